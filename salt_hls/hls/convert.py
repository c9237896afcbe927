"""salt_hls.convert: a trained QKeras SAL-T -> a complete hls4ml project (io_parallel, latency)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from salt_hls import __version__
from salt_hls.errors import ConfigError, DataError
from salt_hls.hls.register import register
from salt_hls.model.firmware import firmware_model
from salt_hls.model.precision import precision_plan
from salt_hls.plan import plan_summary

BACKENDS = ("Vitis", "Vivado")
DEFAULT_PART = "xcvu13p-flga2577-2-e"
PROJECT_NAME = "salt_tagger"
DENSE_STRATEGIES = ("latency", "distributed_arithmetic")
SUMMARY_FILE = "salt_summary.json"
MODEL_COPY = "keras_model"


@dataclass(frozen=True)
class ConvertSettings:
    backend: str = "Vitis"
    part: str = DEFAULT_PART
    clock_ns: float = 5.0
    reuse: int = 1
    # ParallelizationFactor of the per-particle layers: how many particles each one processes per
    # clock. None means all N, the L1T default (II = ReuseFactor); hls4ml's own default, 1, gives II = N.
    parallelization: int | None = None
    # How constant-weight Dense layers are built: "latency" (hls4ml's, one product per weight, HLS
    # maps each) or "distributed_arithmetic" (hls4ml + da4ml shift-add adder graphs, no DSPs).
    dense_strategy: str = "latency"
    trace: bool = False

    def validate(self) -> None:
        from salt_hls.budget.devices import lookup_part

        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose {' or '.join(BACKENDS)}")
        lookup_part(self.part)
        if not (isinstance(self.clock_ns, (int, float)) and 0.5 <= float(self.clock_ns) <= 100.0):
            raise ConfigError(f"clock period {self.clock_ns!r} ns is out of range; give a period in ns between 0.5 and 100 (e.g. 5 for 200 MHz)")
        if not isinstance(self.reuse, int) or self.reuse < 1:
            raise ConfigError(f"reuse factor must be an integer >= 1, got {self.reuse!r}")
        if self.dense_strategy not in DENSE_STRATEGIES:
            raise ConfigError(f"unknown dense strategy {self.dense_strategy!r}; choose {' or '.join(DENSE_STRATEGIES)}")
        if self.dense_strategy == "distributed_arithmetic" and self.reuse != 1:
            raise ConfigError("the distributed_arithmetic dense strategy needs reuse factor 1 (hls4ml builds it fully parallel)")
        if self.parallelization is not None and (not isinstance(self.parallelization, int) or self.parallelization < 1):
            raise ConfigError(f"parallelization factor must be an integer >= 1 (particles per clock), got {self.parallelization!r}")

    def parallelization_for(self, n_particles: int) -> int:
        pf = n_particles if self.parallelization is None else self.parallelization
        if n_particles % pf:
            divisors = [d for d in range(1, n_particles + 1) if n_particles % d == 0]
            raise ConfigError(f"parallelization factor {pf} does not divide N = {n_particles}; choose one of {divisors}")
        return pf


def unsupported_layers(model: tf.keras.Model) -> list[str]:
    import hls4ml

    supported = set(hls4ml.converters.get_supported_keras_layers())
    return [f"{l.name} ({type(l).__name__})" for l in model.layers if type(l).__name__ not in supported]


def hls_config(model: tf.keras.Model, plan: dict, settings: ConvertSettings) -> dict:
    import hls4ml

    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=settings.backend)
    config["Model"].update({"ReuseFactor": settings.reuse, "Strategy": "Latency", "TraceOutput": settings.trace})
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
        layer_cfg["Trace"] = settings.trace
    return config


def prepare_output_dir(output_dir: Path, force: bool) -> None:
    if output_dir.exists() and any(output_dir.iterdir()):
        if not force:
            raise DataError(f"{output_dir} exists and is not empty; choose another directory or pass --force to replace it")
        shutil.rmtree(output_dir)


def convert(model, output_dir, settings: ConvertSettings = ConvertSettings(), force: bool = False,
            tb_inputs: np.ndarray | None = None, metadata: dict | None = None):
    """Convert a QKeras SAL-T (a model object or a salt-hls model directory) and write the project.

    Returns the hls4ml ModelGraph (compile() / predict() run the C simulation with g++).
    """
    import hls4ml

    from salt_hls.env import check_environment
    from salt_hls.model.io import load_model, resolve_model_path

    check_environment()
    settings.validate()
    output_dir = Path(output_dir)
    source = None
    if not isinstance(model, tf.keras.Model):
        source = Path(model)
        model, metadata = load_model(source)
    register()
    fw = firmware_model(model)
    missing = unsupported_layers(fw)
    if missing:
        raise ConfigError(f"unsupported layer(s) for conversion: {', '.join(missing)}")
    plan = precision_plan(fw)
    config = hls_config(fw, plan, settings)
    prepare_output_dir(output_dir, force)
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
    hls_model = hls4ml.converters.convert_from_keras_model(
        fw, hls_config=config, output_dir=str(output_dir), project_name=PROJECT_NAME, backend=settings.backend,
        part=settings.part, clock_period=settings.clock_ns, io_type="io_parallel",
        input_data_tb=str(tb_in), output_data_tb=str(tb_out),
    )
    hls_model.write()
    if source is not None:
        model_file, meta_file = resolve_model_path(source)
        (output_dir / MODEL_COPY).mkdir(exist_ok=True)
        shutil.copy2(model_file, output_dir / MODEL_COPY / "model.h5")
        if meta_file:
            shutil.copy2(meta_file, output_dir / MODEL_COPY / "metadata.json")
    write_summary(output_dir, fw, plan, settings, metadata or {})
    return hls_model


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


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


def write_summary(output_dir: Path, fw: tf.keras.Model, plan: dict, settings: ConvertSettings, metadata: dict) -> None:
    import hls4ml

    input_name = fw.layers[0].name
    summary = {
        "salt_hls_version": __version__,
        "hls4ml_version": hls4ml.__version__,
        "project_name": PROJECT_NAME,
        "backend": settings.backend,
        "part": settings.part,
        "clock_ns": settings.clock_ns,
        "reuse_factor": settings.reuse,
        "parallelization_factor": _parallelization_summary(fw, settings),
        "dense_strategy": settings.dense_strategy,
        "io_type": "io_parallel",
        "strategy": "Latency",
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
