"""From jets to model input: take the N highest-pT particles, sort them, normalize, pad.

Order of operations (the firmware assumes the same): the N hardest particles by pT are
kept; within them particles are ordered per jet by the sort key (k_T = pT·ΔR descending by
default); real particles are normalized with a robust scaling fitted on training jets;
padding slots are exactly zero after normalization and sort last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salt_hls.data.jets import FEATURE_NAMES, JetSet
from salt_hls.errors import ConfigError, DataError

SORT_KEYS = ("kt", "pt", "dr")


def sort_key(features: np.ndarray, mask: np.ndarray, key: str) -> np.ndarray:
    """Per-particle key; larger sorts first. Padding gets -inf so it sorts last."""
    pt, deta, dphi = features[..., 0], features[..., 1], features[..., 2]
    dr = np.sqrt(deta.astype(np.float64) ** 2 + dphi.astype(np.float64) ** 2)
    if key == "kt":
        k = pt * dr
    elif key == "pt":
        k = pt.astype(np.float64)
    elif key == "dr":
        k = -dr  # closest to the jet axis first
    else:
        raise ConfigError(f"unknown sort key {key!r}; choose one of {', '.join(SORT_KEYS)}")
    return np.where(mask, k, -np.inf)


def select_and_sort(jets: JetSet, n_particles: int, key: str = "kt") -> tuple[np.ndarray, np.ndarray]:
    """The N highest-pT particles of each jet, reordered by `key` (stable: ties keep pT order)."""
    if n_particles < 1:
        raise ConfigError(f"number of particles must be >= 1, got {n_particles}")
    # Loaders give pT-descending particles; re-sort defensively so a file that is not still works.
    pt_order = np.argsort(np.where(jets.mask, -jets.features[..., 0], np.inf), axis=1, kind="stable")
    f = np.take_along_axis(jets.features, pt_order[..., None], axis=1)[:, :n_particles]
    m = np.take_along_axis(jets.mask, pt_order, axis=1)[:, :n_particles]
    if f.shape[1] < n_particles:
        pad = n_particles - f.shape[1]
        f = np.pad(f, ((0, 0), (0, pad), (0, 0)))
        m = np.pad(m, ((0, 0), (0, pad)))
    order = np.argsort(-sort_key(f, m, key), axis=1, kind="stable")
    return np.take_along_axis(f, order[..., None], axis=1), np.take_along_axis(m, order, axis=1)


@dataclass
class Normalization:
    """x_norm = (x - center) / scale per feature; center = median, scale = 5–95 percentile range."""

    center: list[float]
    scale: list[float]
    features: tuple = FEATURE_NAMES

    @classmethod
    def fit(cls, features: np.ndarray, mask: np.ndarray) -> Normalization:
        real = features[mask].astype(np.float64)
        if real.shape[0] == 0:
            raise DataError("cannot fit the input normalization: the training jets hold no real particle")
        center = np.median(real, axis=0)
        p5, p95 = np.percentile(real, [5, 95], axis=0)
        scale = p95 - p5
        scale[scale <= 0] = 1.0
        return cls([float(c) for c in center], [float(s) for s in scale])

    def apply(self, features: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = (features - np.asarray(self.center, np.float32)) / np.asarray(self.scale, np.float32)
        return np.where(mask[..., None], x, 0.0).astype(np.float32)

    def to_dict(self) -> dict:
        return {"center": self.center, "scale": self.scale, "features": list(self.features), "method": "median / (p95 - p5)"}

    @classmethod
    def from_dict(cls, d: dict) -> Normalization:
        return cls(list(d["center"]), list(d["scale"]), tuple(d.get("features", FEATURE_NAMES)))


def prepare(jets: JetSet, n_particles: int, norm: Normalization | None = None, key: str = "kt"):
    """Model input (jets, N, 3) and the normalization used (fitted here when `norm` is None)."""
    f, m = select_and_sort(jets, n_particles, key)
    if norm is None:
        norm = Normalization.fit(f, m)
    return norm.apply(f, m), norm


def split_indices(n: int, seed: int = 0, fractions=(0.7, 0.1, 0.2)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train / validation / test indices, a fixed permutation of range(n) for a given seed."""
    if abs(sum(fractions) - 1.0) > 1e-9 or any(f <= 0 for f in fractions):
        raise ConfigError(f"split fractions must be positive and sum to 1, got {fractions}")
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :]


def out_of_range(x: np.ndarray, lo: float, hi: float) -> float:
    """Fraction of input values that the input quantizer [lo, hi] would saturate."""
    return float(np.mean((x < lo) | (x > hi))) if x.size else 0.0
