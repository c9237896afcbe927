"""salt_hls.convert: a trained QKeras SAL-T -> a complete hls4ml project (io_parallel, latency)."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import tensorflow as tf

from salt_hls import __version__
from salt_hls.errors import ConfigError
from salt_hls.hls.register import register
from salt_hls.hls.structure import structure_summary
from salt_hls.model.firmware import firmware_model
from salt_hls.model.precision import precision_plan
from salt_hls.outdir import replaceable
from salt_hls.plan import plan_summary
from salt_hls.settings import SUMMARY_FILE, ConvertSettings

PROJECT_NAME = "salt_tagger"
MODEL_COPY = "keras_model"


def unsupported_layers(model: tf.keras.Model) -> list[str]:
    import hls4ml

    supported = set(hls4ml.converters.get_supported_keras_layers())
    return [f"{layer.name} ({type(layer).__name__})" for layer in model.layers if type(layer).__name__ not in supported]


def hls_config(model: tf.keras.Model, plan: dict, settings: ConvertSettings, trace: bool = False) -> dict:
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=settings.backend)
    config["Model"].update({"ReuseFactor": settings.reuse, "Strategy": "Latency", "TraceOutput": trace})
    for name, layer_cfg in config["LayerName"].items():
        base = name if name in plan else name.rsplit("_", 1)[0]
        if base not in plan:
            raise ConfigError(f"hls4ml created layer {name} that the precision plan does not cover")
        types = plan[base].types if base == name else {"result": plan[base].result}
        layer_cfg["Precision"] = {k: str(v) for k, v in types.items()}
        if base == name:  # the plan's entries reach the hls4ml layer as attributes (e.g. DiffShift -> diff_shift)
            layer_cfg.update({_pascal(k): v for k, v in plan[base].config.items()})
        layer_cfg["ReuseFactor"] = settings.reuse
        keras_layer = model.get_layer(name) if base == name else None
        if _is_dense(keras_layer):
            n_particles = _particles_of(keras_layer)
            if n_particles is not None:  # hls4ml's PointwiseConv1D reads this factor
                layer_cfg["ParallelizationFactor"] = settings.parallelization_for(n_particles)
            if settings.dense_strategy != "latency":
                layer_cfg["Strategy"] = settings.dense_strategy
        elif _has_products(keras_layer):  # read by the layer's products attribute (salt_hls.hls.ops.base)
            layer_cfg["Products"] = settings.products
        layer_cfg["Trace"] = trace
    return config


def check_output_dir(output_dir: Path, force: bool) -> bool:
    """Whether `output_dir` holds a project to replace: --force replaces only a salt-hls project (its
    salt_summary.json names salt-hls), never other files, the working directory or one above it."""
    return replaceable(
        output_dir, force, what="project", marker=SUMMARY_FILE, key="salt_hls_version", written_by="salt-hls convert"
    )


def convert(
    model,
    output_dir,
    settings: ConvertSettings | None = None,
    force: bool = False,
    tb_inputs: np.ndarray | None = None,
    metadata: dict | None = None,
    source=None,
    trace: bool = False,
):
    """Convert a QKeras SAL-T (a model object or a salt-hls model directory) and write the project.

    `source`: the model directory (or .h5 file) a model object was loaded from, copied into the
    project so that the project can be C-simulated on its own (a directory given as `model` is
    its own source). `trace`: hls4ml's per-layer trace outputs, for localizing a mismatch.
    Returns the hls4ml ModelGraph (compile() / predict() run the C simulation with g++).
    """
    from salt_hls.model.io import quiet_quantizer_serialization

    settings = settings or ConvertSettings()
    settings.validate()
    output_dir = Path(output_dir)
    replace = check_output_dir(output_dir, force)  # before minutes of work
    with quiet_quantizer_serialization():
        return _convert(model, output_dir, settings, replace, tb_inputs, metadata, source, trace)


def _convert(model, output_dir: Path, settings: ConvertSettings, replace: bool, tb_inputs, metadata, source, trace):
    from salt_hls.env import check_environment
    from salt_hls.model.io import load_model, resolve_model_path

    check_environment()
    if not isinstance(model, tf.keras.Model):
        source = Path(model)
        model, metadata = load_model(source)
    register()
    fw = firmware_model(model)
    missing = unsupported_layers(fw)
    if missing:
        raise ConfigError(f"unsupported layer(s) for conversion: {', '.join(missing)}")
    plan = precision_plan(fw)
    config = hls_config(fw, plan, settings, trace)
    if replace:
        shutil.rmtree(output_dir)
    if tb_inputs is None:
        # Deterministic stand-in vectors when no jets are given.
        shapes = fw.input_shape if isinstance(fw.input_shape, list) else [fw.input_shape]
        rng = np.random.default_rng(0)
        tb_inputs = [rng.normal(0.0, 1.0, (100, *s[1:])).astype(np.float32) for s in shapes]
        tb_inputs = tb_inputs if len(tb_inputs) > 1 else tb_inputs[0]
    output_dir.mkdir(parents=True, exist_ok=True)
    # hls4ml copies these into tb_data/ at every write(), compile() included, so they stay here.
    tb_in, tb_out = output_dir / "tb_input.dat", output_dir / "tb_output.dat"
    _write_dat(tb_in, tb_inputs)
    _write_dat(tb_out, fw.predict(tb_inputs, verbose=0))
    with _da_depth(settings.da_hard_dc):
        hls_model = _hls4ml_project(fw, config, output_dir, settings, tb_in, tb_out)
    if source is not None:
        model_file, meta_file = resolve_model_path(source)
        (output_dir / MODEL_COPY).mkdir(exist_ok=True)
        shutil.copy2(model_file, output_dir / MODEL_COPY / "model.h5")
        if meta_file:
            shutil.copy2(meta_file, output_dir / MODEL_COPY / "metadata.json")
    write_summary(output_dir, fw, plan, settings, metadata or {}, structure_summary(hls_model))
    return hls_model


def _hls4ml_project(fw, config, output_dir: Path, settings: ConvertSettings, tb_in: Path, tb_out: Path):
    import hls4ml

    # An absolute OutputDir, so the returned graph compiles wherever the caller's working directory
    # is; a project loaded later (salt_hls.hls.csim.load_project) uses its own location instead.
    hls_model = hls4ml.converters.convert_from_keras_model(
        fw,
        hls_config=config,
        output_dir=str(output_dir.resolve()),
        project_name=PROJECT_NAME,
        backend=settings.backend,
        part=settings.part,
        clock_period=settings.clock_ns,
        io_type="io_parallel",
        input_data_tb=str(tb_in),
        output_data_tb=str(tb_out),
    )
    hls_model.write()
    return hls_model


@contextmanager
def _da_depth(hard_dc: int):
    """hls4ml 1.3 reads da4ml's depth constraint from the environment variable DA_HARD_DC when its
    distributed-arithmetic pass runs (and again when it writes the project): set for the conversion only."""
    before = os.environ.get("DA_HARD_DC")
    os.environ["DA_HARD_DC"] = str(hard_dc)
    try:
        yield
    finally:
        if before is None:
            del os.environ["DA_HARD_DC"]
        else:
            os.environ["DA_HARD_DC"] = before


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _has_products(layer) -> bool:
    """A SAL-T layer whose C++ multiplies data by data (one of its hls4ml classes has the products attribute)."""
    from salt_hls.hls.ops.base import has_products
    from salt_hls.operations import find, load

    op = find(type(layer).__name__) if layer is not None else None
    return op is not None and op.is_salt and any(has_products(load(v.layer)) for v in op.hls_layers())


def _is_dense(layer) -> bool:
    return type(layer).__name__ in ("QDense", "Dense")


def _particles_of(layer) -> int | None:
    """N for a Dense applied to each of N particles (hls4ml makes it a PointwiseConv1D), else None."""
    return layer.input_shape[1] if _is_dense(layer) and len(layer.input_shape) == 3 else None


def _parallelization_summary(fw: tf.keras.Model, settings: ConvertSettings):
    """The factor of the per-particle layers (None when the model has none)."""
    lengths = {_particles_of(layer) for layer in fw.layers} - {None}
    return settings.parallelization_for(lengths.pop()) if len(lengths) == 1 else None


def _write_dat(path: Path, arrays) -> None:
    """hls4ml testbench rows: one jet per line, every input flattened and concatenated in order."""
    arrays = arrays if isinstance(arrays, (list, tuple)) else [arrays]
    rows = np.concatenate([np.asarray(a).reshape(len(a), -1) for a in arrays], axis=1)
    np.savetxt(path, rows, fmt="%.17g")


def write_summary(
    output_dir: Path, fw: tf.keras.Model, plan: dict, settings: ConvertSettings, metadata: dict, structure: dict | None = None
) -> None:
    import hls4ml

    input_name = fw.layers[0].name
    summary = {
        "salt_hls_version": __version__,
        "hls4ml_version": hls4ml.__version__,
        "project_name": PROJECT_NAME,
        "settings": settings.to_dict(),
        # the factor the per-particle layers got (settings.parallelization None: all N)
        "parallelization_factor": _parallelization_summary(fw, settings),
        "io_type": "io_parallel",
        # hls4ml Strategy of the constant-weight dense layers (the SAL-T layers have their own C++)
        "strategy": "Latency" if settings.dense_strategy == "latency" else settings.dense_strategy,
        # the top function's and every layer's II and particle groups (salt_hls.hls.structure)
        "structure": structure,
        "model": metadata.get("spec"),
        "firmware_input": {
            "shape": list(fw.input_shape[1:]),
            "type": str(plan[input_name].result),
            "features": metadata.get("features"),
            "order": f"the N highest-pT particles, sorted per jet by {metadata.get('sort', 'kt')} descending, padding last "
            "(the firmware does not sort: upstream must deliver this order)",
            "normalization": metadata.get("normalization"),
            "padding": "zero in every feature after normalization",
        },
        "firmware_output": {
            "name": fw.layers[-1].name,
            "shape": list(fw.output_shape[1:]),
            "type": str(plan[fw.layers[-1].name].result),
            "meaning": "quantized class logits in the order g, q, W, Z, t; softmax is left to software",
        },
        "precisions": plan_summary(plan),
    }
    (output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
