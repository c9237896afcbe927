"""The in-memory jet sample that every loader returns, and the dispatch on file layout.

Every loader hands back the same thing: per-particle (pT [GeV], Δη, Δφ) in the jet's
own pT order, a mask of real particles, and labels in the hls4ml order g, q, W, Z, t.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from salt_hls.errors import DataError

CLASS_NAMES = ("g", "q", "W", "Z", "t")
FEATURE_NAMES = ("pt", "deta", "dphi")


@dataclass
class JetSet:
    """Jets as fixed-size particle arrays.

    features: (jets, particles, 3) float32, columns FEATURE_NAMES, pT-descending, zero-padded.
    mask: (jets, particles) bool, True for a real particle.
    labels: (jets,) int64, index into CLASS_NAMES.
    """

    features: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    source: str = ""

    def __post_init__(self):
        f, m, y = self.features, self.mask, self.labels
        if f.ndim != 3 or f.shape[2] != len(FEATURE_NAMES):
            raise DataError(
                f"{self.source or 'jets'}: particle features have shape {f.shape}; expected "
                f"(jets, particles, {len(FEATURE_NAMES)}) with columns {', '.join(FEATURE_NAMES)}"
            )
        if m.shape != f.shape[:2]:
            raise DataError(f"{self.source or 'jets'}: mask shape {m.shape} does not match features {f.shape[:2]}")
        if y.shape != (f.shape[0],):
            raise DataError(f"{self.source or 'jets'}: {y.shape[0]} labels for {f.shape[0]} jets")
        bad = ~np.isfinite(f)
        if bad.any():
            jets = np.unique(np.nonzero(bad)[0])
            raise DataError(
                f"{self.source or 'jets'}: {int(bad.sum())} NaN or infinite feature values in "
                f"{jets.size} jets (first: jet {int(jets[0])}); clean or drop those jets before use"
            )
        if y.size and (y.min() < 0 or y.max() >= len(CLASS_NAMES)):
            raise DataError(f"{self.source or 'jets'}: labels must lie in 0..{len(CLASS_NAMES) - 1}")
        self.features = f.astype(np.float32, copy=False)
        self.mask = m.astype(bool, copy=False)
        self.labels = y.astype(np.int64, copy=False)

    def __len__(self) -> int:
        return self.labels.shape[0]

    @property
    def max_particles(self) -> int:
        return self.features.shape[1]

    def subset(self, index) -> JetSet:
        return JetSet(self.features[index], self.mask[index], self.labels[index], self.source)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise DataError(
            f"jets file not found: {p}. Pass the path of an HDF5 jets file (the shared Pythia 8 jets, "
            "an hls4ml LHC jet file) or make one with `salt-hls generate-jets --out FILE`"
        )
    return p


def load_jets(path: str | Path, max_jets: int | None = None) -> JetSet:
    """Load a jets file, telling the layout from its datasets."""
    p = _check_path(path)
    try:
        with h5py.File(p, "r") as fh:
            keys = set(fh.keys())
    except OSError as exc:
        raise DataError(f"{p} is not a readable HDF5 file ({exc})") from exc
    if "particle_features" in keys:
        from salt_hls.data.pythia import load_pythia_jets

        return load_pythia_jets(p, max_jets=max_jets)
    if "jetConstituentList" in keys:
        from salt_hls.data.lhc import load_lhc_jets

        return load_lhc_jets(p, max_jets=max_jets)
    raise DataError(
        f"{p}: unknown jets layout (datasets: {', '.join(sorted(keys)) or 'none'}); expected "
        "'particle_features' (salt-hls / shared Pythia jets) or 'jetConstituentList' (hls4ml LHC jets)"
    )
