"""C simulation of a converted SAL-T (g++ only) and its agreement with the QKeras model."""

from __future__ import annotations

import json
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from salt_hls.data.jets import JetSet, load_jets
from salt_hls.data.preprocess import split_indices
from salt_hls.errors import ConfigError, DataError
from salt_hls.hls.convert import MODEL_COPY, convert, firmware_model
from salt_hls.model.io import load_metadata, load_model, quiet_quantizer_serialization
from salt_hls.settings import SUMMARY_FILE, ConvertSettings, project_settings


def is_project(path: Path) -> bool:
    return (Path(path) / SUMMARY_FILE).is_file()


def link_project(project: Path):
    """hls4ml's graph of a project on disk (compile() and predict() only), wherever the project lies now.

    hls4ml_config.yml records the OutputDir given at conversion, relative to the working directory
    of that moment or absolute (the original location), and compile() builds there. The project's
    own directory is where that file lies, so it is the OutputDir: a project moved, copied or
    loaded from another working directory compiles itself, not the original.
    """
    import hls4ml

    project = Path(project)
    hls_model = hls4ml.converters.link_existing_project(str(project))
    hls_model.config.config["OutputDir"] = str(project.resolve())
    return hls_model


def _model_copy(project: Path) -> Path:
    if not (project / MODEL_COPY / "model.h5").is_file():
        raise DataError(
            f"{project} has no {MODEL_COPY}/model.h5: it was converted from an in-memory model; "
            "run csim on the model directory instead"
        )
    return project / MODEL_COPY


def load_project(project: Path):
    """(compiled hls4ml model, Keras model, metadata, settings) of a project written by salt_hls.convert."""
    project = Path(project)
    settings = project_settings(project)
    model, metadata = load_model(_model_copy(project))
    hls_model = link_project(project)
    hls_model.compile()
    return hls_model, model, metadata, settings


def select_jets(jets: JetSet, metadata: dict, max_jets: int | None, test_split: bool) -> JetSet:
    """The jets to simulate: the model's held-out test part when asked, then the first max_jets."""
    if max_jets is not None and max_jets < 1:
        raise ConfigError(f"max jets must be >= 1, got {max_jets}")
    if test_split:
        split = (metadata.get("data") or {}).get("split")
        if not split:
            raise DataError(
                "--test-split needs the model's data split (data.split in its metadata.json, written by "
                "salt-hls train); drop --test-split to simulate the file's first jets"
            )
        jets = jets.subset(split_indices(len(jets), split["seed"], tuple(split["fractions"]))[2])
    if max_jets is not None:
        jets = jets.subset(slice(0, max_jets))
    if len(jets) == 0:
        raise DataError(f"no jets to simulate in {jets.source}")
    return jets


def compare(keras_out: np.ndarray, hls_out: np.ndarray) -> dict:
    diff = np.abs(hls_out.astype(np.float64) - keras_out.astype(np.float64))
    exact_rows = np.all(hls_out == keras_out, axis=1)
    return {
        "n_jets": int(keras_out.shape[0]),
        "argmax_agreement": float(np.mean(np.argmax(hls_out, 1) == np.argmax(keras_out, 1))),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
        "n_bit_exact": int(exact_rows.sum()),
        "first_mismatch": int(np.argmax(~exact_rows)) if not exact_rows.all() else None,
    }


def first_differing_layer(model, x_jet: np.ndarray, settings: ConvertSettings) -> dict:
    """Trace one jet through a traced C simulation, converted with the project's own `settings`,
    and through the reference; the first layer (in model order) whose output differs, with its
    number of differing values."""
    from salt_hls.emulate import Reference

    with tempfile.TemporaryDirectory(prefix="salt_trace_") as tmp:
        traced = convert(model, Path(tmp) / "prj", settings, trace=True)
        traced.compile()
        _, trace = traced.trace(np.ascontiguousarray(x_jet[None]))
    with quiet_quantizer_serialization():
        ref = Reference(model)
    _, ref_out = ref.run(x_jet[None], keep=True)
    for name in (layer.name for layer in ref.fw.layers if layer.name in trace):
        # hls4ml's trace reads layers out as float32, so compare at that precision
        got = np.asarray(trace[name]).reshape(ref_out[name].shape)
        bad = got != ref_out[name].astype(np.float32)
        if bad.any():
            return {"layer": name, "n_values_differing": int(bad.sum()), "n_values": int(bad.size)}
    return {"layer": None, "n_values_differing": 0, "n_values": 0}


def simulate(hls_model, model, metadata: dict, jets: JetSet, settings: ConvertSettings, bit_exact: bool = False) -> dict:
    """Run a compiled project's C simulation on jets and compare every output with the QKeras
    model's quantized logits or, with bit_exact, with the bit-exact reference (salt_hls.emulate);
    a mismatch is then traced to the first jet and the first layer that differ."""
    from salt_hls.evaluate import model_inputs

    x = model_inputs(metadata, jets)
    with quiet_quantizer_serialization():  # both clone the model
        if bit_exact:
            from salt_hls.emulate import emulate

            keras_out = emulate(model, x)
        else:
            keras_out = firmware_model(model).predict(x, batch_size=4096, verbose=0)
    t1 = time.time()
    hls_out = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(keras_out.shape)
    csim_seconds = time.time() - t1
    result = compare(keras_out, hls_out)
    if bit_exact and result["first_mismatch"] is not None:
        result["first_mismatch_layer"] = first_differing_layer(model, x[result["first_mismatch"]], settings)
    result.update(
        {
            "accuracy_keras": float(np.mean(np.argmax(keras_out, 1) == jets.labels)),
            "accuracy_csim": float(np.mean(np.argmax(hls_out, 1) == jets.labels)),
            "csim_jets_per_second": round(len(x) / csim_seconds, 1) if csim_seconds > 0 else None,
        }
    )
    return result


def run_csim(
    target,
    jets_path,
    max_jets: int | None = 1000,
    test_split: bool = False,
    settings: ConvertSettings | None = None,
    work_dir=None,
    bit_exact: bool = False,
) -> dict:
    """C-simulate `target`: a project from `salt-hls convert` (with the settings it was converted
    with), or a model directory, converted on the fly with `settings` (default ConvertSettings())
    into `work_dir` or a temporary directory that is removed afterwards. See simulate()."""
    target = Path(target)
    # Every input is checked before the conversion and the g++ build (tens of seconds).
    if is_project(target):
        if settings is not None:
            raise ConfigError(
                f"{target} is a converted project: it is simulated with the settings it was converted with "
                f"({SUMMARY_FILE}); re-convert it to change them"
            )
        project_settings(target)
        metadata = load_metadata(_model_copy(target))
    else:
        settings = settings or ConvertSettings()
        settings.validate()
        metadata = load_metadata(target)
    jets = select_jets(load_jets(jets_path), metadata, max_jets, test_split)
    with ExitStack() as cleanup:
        t0 = time.time()
        if is_project(target):
            hls_model, model, metadata, settings = load_project(target)
        else:
            model, metadata = load_model(target)
            if work_dir is None:
                work_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="salt_csim_"))) / "project"
            hls_model = convert(model, work_dir, settings, force=True, metadata=metadata, source=target)
            hls_model.compile()
        build_seconds = time.time() - t0
        result = simulate(hls_model, model, metadata, jets, settings, bit_exact)
    result["build_seconds"] = round(build_seconds, 1)
    return result


def format_result(r: dict) -> str:
    return json.dumps(r, indent=2)
