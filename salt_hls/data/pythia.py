"""Loader for the Pythia 8 + FastJet jet files (the shared ones and `salt-hls generate-jets`).

Layout: particle_features (jets, particles, 4) = eta_rel, phi_rel, pt_rel, mask;
jet_features (jets, 4) = pT [GeV], eta, mass, n_constituents; labels (jets,) in g q W Z t order.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from salt_hls.data.jets import CLASS_NAMES, JetSet
from salt_hls.errors import DataError

PARTICLE_COLUMNS = ("eta_rel", "phi_rel", "pt_rel", "mask")


def load_pythia_jets(path: str | Path, max_jets: int | None = None) -> JetSet:
    path = Path(path)
    with h5py.File(path, "r") as fh:
        missing = {"particle_features", "jet_features", "labels"} - set(fh.keys())
        if missing:
            raise DataError(f"{path}: missing dataset(s) {', '.join(sorted(missing))} of the Pythia jets layout")
        pf = fh["particle_features"]
        if pf.ndim != 3 or pf.shape[2] != len(PARTICLE_COLUMNS):
            raise DataError(
                f"{path}: particle_features has shape {pf.shape}; expected (jets, particles, 4) with "
                f"columns {', '.join(PARTICLE_COLUMNS)}"
            )
        if "label_names" in fh:
            names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in fh["label_names"][:])
            if names != CLASS_NAMES:
                raise DataError(f"{path}: label_names {names} differ from the expected {CLASS_NAMES}")
        sl = slice(None) if max_jets is None else slice(0, max_jets)
        pf = pf[sl].astype(np.float32)
        jet_pt = fh["jet_features"][sl, 0].astype(np.float32)
        labels = fh["labels"][sl].astype(np.int64)
    mask = pf[:, :, 3] > 0.5
    features = np.stack([pf[:, :, 2] * jet_pt[:, None], pf[:, :, 0], pf[:, :, 1]], axis=-1)
    features[~mask] = 0.0
    return JetSet(features, mask, labels, source=str(path))
