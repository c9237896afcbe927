"""C simulation of a converted SAL-T (g++ only) and its agreement with the QKeras model."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from salt_hls.data.jets import load_jets
from salt_hls.data.preprocess import split_indices
from salt_hls.errors import DataError
from salt_hls.hls.convert import MODEL_COPY, SUMMARY_FILE, ConvertSettings, convert, firmware_model
from salt_hls.model.io import load_model


def is_project(path: Path) -> bool:
    return (Path(path) / SUMMARY_FILE).is_file()


def load_project(project: Path):
    """(compiled hls4ml model, Keras model, metadata) of a project written by salt_hls.convert."""
    import hls4ml

    project = Path(project)
    if not (project / MODEL_COPY / "model.h5").is_file():
        raise DataError(f"{project} has no {MODEL_COPY}/model.h5: it was converted from an in-memory model; "
                        "run csim on the model directory instead")
    model, metadata = load_model(project / MODEL_COPY)
    hls_model = hls4ml.converters.link_existing_project(str(project))
    hls_model.compile()
    return hls_model, model, metadata


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
    """Trace one jet through a traced C simulation and the reference; the first layer (in model
    order) whose output differs, with its number of differing values."""
    from salt_hls.emulate import Reference

    with tempfile.TemporaryDirectory(prefix="salt_trace_") as tmp:
        traced = convert(model, Path(tmp) / "prj", ConvertSettings(**{**settings.__dict__, "trace": True}))
        traced.compile()
        _, trace = traced.trace(np.ascontiguousarray(x_jet[None]))
    ref = Reference(model)
    _, ref_out = ref.run(x_jet[None], keep=True)
    for name in (layer.name for layer in ref.fw.layers if layer.name in trace):
        # hls4ml's trace reads layers out as float32, so compare at that precision
        got = np.asarray(trace[name]).reshape(ref_out[name].shape)
        bad = got != ref_out[name].astype(np.float32)
        if bad.any():
            return {"layer": name, "n_values_differing": int(bad.sum()), "n_values": int(bad.size)}
    return {"layer": None, "n_values_differing": 0, "n_values": 0}


def run_csim(target, jets_path, max_jets: int | None = 1000, test_split: bool = False,
             settings: ConvertSettings = ConvertSettings(), work_dir=None, bit_exact: bool = False) -> dict:
    """C-simulate `target` (a project from `salt-hls convert`, or a model directory, converted
    on the fly) on jets and compare every output with the QKeras model's quantized logits, or,
    with bit_exact, with the bit-exact reference (salt_hls.emulate); a mismatch is then traced
    to the first jet and the first layer that differ."""
    from salt_hls.evaluate import model_inputs

    target = Path(target)
    t0 = time.time()
    if is_project(target):
        hls_model, model, metadata = load_project(target)
    else:
        model, metadata = load_model(target)
        work_dir = Path(work_dir or tempfile.mkdtemp(prefix="salt_csim_"))
        hls_model = convert(target, work_dir, settings, force=True)
        hls_model.compile()
    build_seconds = time.time() - t0
    jets = load_jets(jets_path)
    if test_split:
        split = metadata["data"]["split"]
        jets = jets.subset(split_indices(len(jets), split["seed"], tuple(split["fractions"]))[2])
    if max_jets is not None:
        jets = jets.subset(slice(0, max_jets))
    x = model_inputs(metadata, jets)
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
    result.update({
        "accuracy_keras": float(np.mean(np.argmax(keras_out, 1) == jets.labels)),
        "accuracy_csim": float(np.mean(np.argmax(hls_out, 1) == jets.labels)),
        "build_seconds": round(build_seconds, 1),
        "csim_jets_per_second": round(len(x) / csim_seconds, 1) if csim_seconds > 0 else None,
    })
    return result


def format_result(r: dict) -> str:
    return json.dumps(r, indent=2)
