"""Model files: a directory holding model.h5 (Keras 2 HDF5) and metadata.json.

The metadata carries everything needed to feed the model and rebuild the firmware: the
ModelSpec, the input normalization and sort key, the data provenance and the figures.
"""

from __future__ import annotations

import json
import warnings
from contextlib import contextmanager
from pathlib import Path

import tensorflow as tf

from salt_hls.errors import DataError

MODEL_FILE = "model.h5"
METADATA_FILE = "metadata.json"


@contextmanager
def quiet_quantizer_serialization():
    """Keras warns that a QKeras quantizer held as a layer constraint is not a
    keras.constraints.Constraint each time a QKeras layer's config is serialized (save, clone,
    hls4ml's parser and writer). The quantizers serialize correctly: silence exactly that warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"The `keras\.constraints\.serialize\(\)` API should only be used", category=UserWarning
        )
        yield


def custom_objects() -> dict:
    """Every class needed to deserialize a salt-hls model: QKeras's and ours."""
    from qkeras.utils import _add_supported_quantized_objects

    from salt_hls.operations import load, salt_operations

    objs: dict = {}
    _add_supported_quantized_objects(objs)
    for op in salt_operations():
        objs[op.keras_class] = load(op.keras_layer)
    return objs


def save_model(model: tf.keras.Model, directory: str | Path, metadata: dict, overwrite: bool = False) -> Path:
    d = Path(directory)
    if (d / MODEL_FILE).exists() and not overwrite:
        raise DataError(f"{d / MODEL_FILE} exists; choose another directory or pass --force to replace it")
    d.mkdir(parents=True, exist_ok=True)
    with quiet_quantizer_serialization():
        model.save(d / MODEL_FILE, save_format="h5", include_optimizer=False)
    (d / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return d


def resolve_model_path(path: str | Path) -> tuple[Path, Path | None]:
    """(model file, metadata file or None) for a model directory or a .h5 file."""
    p = Path(path)
    if p.is_dir():
        model_file, meta = p / MODEL_FILE, p / METADATA_FILE
    else:
        model_file, meta = p, p.with_name(METADATA_FILE)
    if not model_file.is_file():
        raise DataError(
            f"no model at {path}: expected a directory with {MODEL_FILE} and {METADATA_FILE} "
            "(as written by `salt-hls train`) or a Keras .h5 file"
        )
    return model_file, (meta if meta.is_file() else None)


def load_metadata(path: str | Path) -> dict:
    """A saved model's metadata alone ({} when it has none), without loading the Keras model."""
    meta = resolve_model_path(path)[1]
    return json.loads(meta.read_text()) if meta else {}


def load_model(path: str | Path) -> tuple[tf.keras.Model, dict]:
    model_file = resolve_model_path(path)[0]
    model = tf.keras.models.load_model(model_file, custom_objects=custom_objects(), compile=False)
    return model, load_metadata(path)
