"""Quantization-aware training with fixed seeds, early stopping and full metadata."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from salt_hls import __version__
from salt_hls.data.jets import CLASS_NAMES, FEATURE_NAMES, file_sha256, load_jets
from salt_hls.data.preprocess import Normalization, out_of_range, prepare, split_indices
from salt_hls.errors import ConfigError, DataError
from salt_hls.metrics import classifier_metrics
from salt_hls.model.builders import TABLE_SETTINGS, ModelSpec, build_model
from salt_hls.model.io import load_model, save_model


@dataclass
class TrainSettings:
    epochs: int = 100
    patience: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    # ReduceLROnPlateau halves the rate on every plateau; without a floor a 200-epoch schedule spends
    # its tail at ~1e-8, where nothing changes (benchmarks/fit/hetero/reading.md)
    min_learning_rate: float = 0.0
    seed: int = 0
    sort: str = "kt"
    split_seed: int = 0
    max_jets: int | None = None


def set_seeds(seed: int) -> None:
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def prepared_split(jets_path, n_particles: int, sort: str, split_seed: int, max_jets=None, norm: Normalization | None = None):
    """(X, y) for train, validation and test, with the normalization fitted on train."""
    jets = load_jets(jets_path, max_jets=max_jets)
    if len(jets) < 10:
        raise DataError(f"{jets_path}: {len(jets)} jets is too few to split into train/validation/test (need >= 10)")
    tr, va, te = split_indices(len(jets), split_seed)
    Xtr, norm = prepare(jets.subset(tr), n_particles, norm, sort)
    Xva, _ = prepare(jets.subset(va), n_particles, norm, sort)
    Xte, _ = prepare(jets.subset(te), n_particles, norm, sort)
    return (Xtr, jets.labels[tr]), (Xva, jets.labels[va]), (Xte, jets.labels[te]), norm


def _portable_path(path) -> str:
    """A path as it should be recorded in metadata: relative to the working directory when under it,
    so that a model trained in one checkout names its parent the same way in another."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_init(init_from, spec: ModelSpec):
    model, meta = load_model(init_from)
    init_spec = ModelSpec.from_dict(meta["spec"]) if "spec" in meta else None
    # formats and tables hold no weights: any of them may start from any other's weights
    free = dict.fromkeys(("quantized", "quant", *TABLE_SETTINGS))
    if init_spec is None or {**init_spec.to_dict(), **free} != {**spec.to_dict(), **free}:
        raise ConfigError(f"--init-from {init_from}: its architecture differs from the model being trained")
    return model, meta


def train(
    jets_path,
    spec: ModelSpec,
    out_dir,
    settings: TrainSettings | None = None,
    init_from=None,
    overwrite: bool = False,
    verbose: int | None = None,
    hetero=None,
    width_search=None,
) -> dict:
    """Train `spec` on a jets file and save model + metadata in out_dir; returns the metadata.

    hetero (salt_hls.model.hetero.HeteroSettings): learn one width per constant weight with
    β · EBOPs in the loss; the saved model is the frozen export (plain QKeras layers holding the
    quantized weights) and its metadata records every per-weight format under "hetero".

    width_search (salt_hls.model.widths.WidthSearchSettings): before training, narrow every
    activation site from the --init-from model's weights (salt_hls/model/widths.py) and train
    with the formats found; the search and its trials go into the metadata under "width_search"."""
    settings = settings or TrainSettings()
    if not 0 <= settings.min_learning_rate <= settings.learning_rate:
        raise ConfigError(
            f"min_learning_rate {settings.min_learning_rate:g} must lie in [0, learning_rate = {settings.learning_rate:g}]"
        )
    if Path(out_dir).exists() and any(Path(out_dir).iterdir()) and not overwrite:
        raise DataError(f"output directory {out_dir} is not empty; choose another or pass --force")
    if hetero is not None:
        hetero.validate()
        if not spec.quantized:
            raise ConfigError("heterogeneous quantization needs a quantized model; drop --float")
    if width_search is not None:
        width_search.validate()
        if not init_from:
            raise ConfigError("the activation width search starts from trained weights: give --init-from (e.g. the float twin)")
        if not spec.quantized:
            raise ConfigError("the activation width search needs a quantized model; drop --float")
    set_seeds(settings.seed)
    init_model, init_meta = _load_init(init_from, spec) if init_from else (None, None)
    norm = Normalization.from_dict(init_meta["normalization"]) if init_meta else None
    (Xtr, ytr), (Xva, yva), (Xte, yte), norm = prepared_split(
        jets_path, spec.n_particles, settings.sort, settings.split_seed, settings.max_jets, norm
    )
    search_record = None
    if width_search is not None:
        from salt_hls.model.widths import keras_accuracy_of, search_activation_widths

        n = min(width_search.eval_jets, len(yva))
        accuracy_of = keras_accuracy_of(init_model.get_weights(), Xva[:n], yva[:n])
        search_record = search_activation_widths(
            spec, accuracy_of, width_search, log=lambda m: print(f"width search: {m}", flush=True)
        )
        spec = ModelSpec.from_dict(
            {**spec.to_dict(), **search_record["tables"], "quant": {**spec.quant, **search_record["formats"]}}
        )
        set_seeds(settings.seed)
    model = build_model(spec)
    if init_model is not None:
        model.set_weights(init_model.get_weights())
    resource = None
    if hetero is not None:
        from salt_hls.model.hetero import ResourceTerm, heterogenize

        model = heterogenize(model, hetero.max_frac, hetero.frac_scale)
        resource = ResourceTerm(model, hetero)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        tf.keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=settings.patience,
            restore_best_weights=True,
            start_from_epoch=hetero.ramp_epochs if hetero else 0,
        ),
        tf.keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=max(2, settings.patience // 3), min_lr=settings.min_learning_rate
        ),
    ] + ([resource] if resource else [])
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    t0 = time.time()
    history = model.fit(
        Xtr,
        ytr,
        validation_data=(Xva, yva),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=True,
    )
    train_seconds = time.time() - t0
    hetero_record = None
    if hetero is not None:
        from salt_hls.model.hetero import freeze, hetero_summary

        hetero_record = {
            "settings": hetero.to_dict(),
            **hetero_summary(model),
            "history": {k: history.history[k] for k in ("ebops", "beta")},
        }
        model = freeze(model)
    probs = model.predict(Xte, batch_size=4096, verbose=0)
    metrics = classifier_metrics(yte, probs)
    quant = spec.quant_config
    metadata = {
        "salt_hls_version": __version__,
        "spec": spec.to_dict(),
        "quantization": quant.to_dict() if quant else None,
        "classes": list(CLASS_NAMES),
        "features": list(FEATURE_NAMES),
        "sort": settings.sort,
        "normalization": norm.to_dict(),
        "data": {
            "file": Path(jets_path).name,
            "sha256": file_sha256(jets_path),
            "max_jets": settings.max_jets,
            "split": {
                "seed": settings.split_seed,
                "fractions": [0.7, 0.1, 0.2],
                "n_train": len(ytr),
                "n_val": len(yva),
                "n_test": len(yte),
            },
        },
        "training": {
            "epochs_run": len(history.history["loss"]),
            "best_val_loss": float(np.min(history.history["val_loss"])),
            "seconds": round(train_seconds, 1),
            "settings": settings.__dict__,
            "init_from": _portable_path(init_from) if init_from else None,
            "platform": f"{platform.machine()} {platform.system()}, TensorFlow {tf.__version__}",
        },
        "test_metrics": metrics,
    }
    if hetero_record is not None:
        metadata["hetero"] = hetero_record
    if search_record is not None:
        metadata["width_search"] = search_record
    if quant is not None:
        metadata["input_saturation_fraction"] = out_of_range(Xte, quant["input"].min, quant["input"].max)
    save_model(model, out_dir, metadata, overwrite=overwrite)
    return metadata
