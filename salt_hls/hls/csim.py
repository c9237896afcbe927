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


def run_csim(target, jets_path, max_jets: int | None = 1000, test_split: bool = False,
             settings: ConvertSettings = ConvertSettings(), work_dir=None) -> dict:
    """C-simulate `target` (a project from `salt-hls convert`, or a model directory, converted
    on the fly) on jets and compare every output with the QKeras model's quantized logits."""
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
    keras_out = firmware_model(model).predict(x, batch_size=4096, verbose=0)
    t1 = time.time()
    hls_out = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(keras_out.shape)
    csim_seconds = time.time() - t1
    result = compare(keras_out, hls_out)
    result.update({
        "accuracy_keras": float(np.mean(np.argmax(keras_out, 1) == jets.labels)),
        "accuracy_csim": float(np.mean(np.argmax(hls_out, 1) == jets.labels)),
        "build_seconds": round(build_seconds, 1),
        "csim_jets_per_second": round(len(x) / csim_seconds, 1) if csim_seconds > 0 else None,
    })
    return result


def format_result(r: dict) -> str:
    return json.dumps(r, indent=2)
