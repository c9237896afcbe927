"""Evaluate a saved model on a jets file, with the model's own preprocessing."""

from __future__ import annotations

import numpy as np

from salt_hls.data.jets import load_jets
from salt_hls.data.preprocess import Normalization, prepare, split_indices
from salt_hls.errors import DataError
from salt_hls.metrics import classifier_metrics
from salt_hls.model.builders import ModelSpec
from salt_hls.model.io import load_model


def model_inputs(metadata: dict, jets) -> np.ndarray:
    """The model's input for `jets`, with the sort and the frozen normalization in its metadata."""
    if "normalization" not in metadata or "spec" not in metadata:
        raise DataError("the model has no salt-hls metadata.json (normalization, spec); train it with `salt-hls train`")
    spec = ModelSpec.from_dict(metadata["spec"])
    x, _ = prepare(jets, spec.n_particles, Normalization.from_dict(metadata["normalization"]), metadata.get("sort", "kt"))
    return x


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def evaluate(model_path, jets_path, max_jets: int | None = None, test_split: bool = False, firmware: bool = False) -> dict:
    """Metrics of a saved model on a jets file; `test_split` keeps only the held-out test part
    (the same permutation as in training, valid when the file is the training file); `firmware`
    scores the firmware's outputs (bit-exact reference, softmax applied in software)."""
    model, metadata = load_model(model_path)
    jets = load_jets(jets_path, max_jets=max_jets)
    if test_split:
        split = metadata["data"]["split"]
        jets = jets.subset(split_indices(len(jets), split["seed"], tuple(split["fractions"]))[2])
    x = model_inputs(metadata, jets)
    if firmware:
        from salt_hls.emulate import emulate

        probs = softmax(emulate(model, x))
    else:
        probs = model.predict(x, batch_size=4096, verbose=0)
    return classifier_metrics(jets.labels, probs)
