"""Classifier figures: accuracy, macro AUC and background rejection at fixed signal efficiency."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from salt_hls.data.jets import CLASS_NAMES


def rejection_at_efficiency(labels: np.ndarray, scores: np.ndarray, cls: int, efficiency: float = 0.8) -> float:
    """1 / false-positive rate of class `cls` against all others at the given true-positive rate."""
    fpr, tpr, _ = roc_curve(labels == cls, scores[:, cls])
    fp = float(np.interp(efficiency, tpr, fpr))
    return float("inf") if fp == 0 else 1.0 / fp


def classifier_metrics(labels: np.ndarray, probs: np.ndarray, efficiency: float = 0.8) -> dict:
    labels = np.asarray(labels)
    probs = np.asarray(probs, dtype=np.float64)
    present = np.unique(labels)
    out = {
        "n_jets": int(labels.size),
        "accuracy": float(np.mean(np.argmax(probs, axis=1) == labels)),
        "auc": float(roc_auc_score(labels, probs, multi_class="ovr", average="macro", labels=list(range(len(CLASS_NAMES)))))
        if present.size == len(CLASS_NAMES)
        else float("nan"),
        f"rejection_at_{int(round(efficiency * 100))}": {
            CLASS_NAMES[c]: rejection_at_efficiency(labels, probs, c, efficiency) for c in present
        },
    }
    return out
