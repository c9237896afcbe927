"""Loader for the hls4ml LHC jet dataset (Zenodo record 3602260, e.g. `jetImage_7_150p_0_10000.h5`).

Layout of one file:
- `jetConstituentList` (jets, particles, 16): per-particle features, zero-padded;
- `jets` (jets, 59): jet-level features whose columns 53..58 are j_g j_q j_w j_z j_t j_undef
  (the class one-hot in the order g, q, W, Z, t, then an always-zero j_undef flag);
- `particleFeatureNames` (17 names for the 16 columns: j1_px ... j1_costhetarel, then j1_pdgid)
  and `jetFeatureNames` (59 names), as bytes; the files also hold jet images, unused here.

We keep j1_pt, j1_etarel and j1_phirel, picked by name when the name datasets are there and
by their standard positions otherwise. A particle is real when j1_pt > 0.
"""

from __future__ import annotations

import glob
from pathlib import Path

import h5py
import numpy as np

from salt_hls.data.jets import JetSet
from salt_hls.errors import DataError

N_PARTICLE_FEATURES = 16
PARTICLE_FEATURE_NAMES = (
    "j1_px", "j1_py", "j1_pz", "j1_e", "j1_erel", "j1_pt", "j1_ptrel", "j1_eta", "j1_etarel",
    "j1_etarot", "j1_phi", "j1_phirel", "j1_phirot", "j1_deltaR", "j1_costheta", "j1_costhetarel",
)  # fmt: skip
USED_PARTICLE_FEATURES = ("j1_pt", "j1_etarel", "j1_phirel")  # -> JetSet columns pt, deta, dphi
LABEL_NAMES = ("j_g", "j_q", "j_w", "j_z", "j_t")  # same order as CLASS_NAMES
UNDEF_NAME = "j_undef"
N_JET_FEATURES = 59
STANDARD_LABEL_COLUMNS = (53, 54, 55, 56, 57)  # in the 59-column `jets`; column 58 is j_undef
STANDARD_UNDEF_COLUMN = 58

_BLOCK = 4096  # jets read at a time: a 150-particle float64 block of this size is ~80 MB


def _names(fh: h5py.File, key: str) -> list[str] | None:
    if key not in fh:
        return None
    raw = np.asarray(fh[key][()]).reshape(-1)
    return [(n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)).strip() for n in raw]


def _particle_columns(path: Path, names: list[str] | None) -> list[int]:
    if names is None:
        return [PARTICLE_FEATURE_NAMES.index(n) for n in USED_PARTICLE_FEATURES]
    missing = [n for n in USED_PARTICLE_FEATURES if n not in names]
    if missing:
        raise DataError(
            f"{path}: particleFeatureNames lacks {', '.join(missing)} (has {', '.join(names) or 'no names'}); "
            f"expected the hls4ml LHC jet features {', '.join(PARTICLE_FEATURE_NAMES)}"
        )
    cols = [names.index(n) for n in USED_PARTICLE_FEATURES]
    beyond = [n for n, c in zip(USED_PARTICLE_FEATURES, cols, strict=True) if c >= N_PARTICLE_FEATURES]
    if beyond:
        raise DataError(
            f"{path}: particleFeatureNames puts {', '.join(beyond)} beyond the {N_PARTICLE_FEATURES} "
            "columns of jetConstituentList"
        )
    return cols


def _label_columns(path: Path, names: list[str] | None, n_cols: int) -> tuple[list[int], int | None]:
    """Columns of `jets` holding j_g j_q j_w j_z j_t, and of j_undef (None when absent)."""
    if names is not None:
        missing = [n for n in LABEL_NAMES if n not in names]
        if missing:
            raise DataError(
                f"{path}: jetFeatureNames lacks the label column(s) {', '.join(missing)}; expected "
                f"{', '.join(LABEL_NAMES)} (one-hot g, q, W, Z, t)"
            )
        cols = [names.index(n) for n in LABEL_NAMES]
        undef = names.index(UNDEF_NAME) if UNDEF_NAME in names else None
        beyond = [c for c in cols + ([undef] if undef is not None else []) if c >= n_cols]
        if beyond:
            raise DataError(f"{path}: jetFeatureNames has {len(names)} names but `jets` only {n_cols} columns")
        return cols, undef
    if n_cols == N_JET_FEATURES:
        return list(STANDARD_LABEL_COLUMNS), STANDARD_UNDEF_COLUMN
    if n_cols in (5, 6):  # labels only, optionally followed by j_undef
        return list(range(5)), (5 if n_cols == 6 else None)
    raise DataError(
        f"{path}: `jets` has {n_cols} columns and there is no jetFeatureNames to say which hold the labels; "
        f"expected the standard {N_JET_FEATURES} columns (j_g j_q j_w j_z j_t in columns 53-57, j_undef in 58)"
    )


def _labels_from_onehot(path: Path, onehot: np.ndarray, undef: np.ndarray | None, first_jet: int) -> np.ndarray:
    is_one = onehot == 1.0
    good = is_one.sum(axis=1) == 1
    good &= ((onehot == 0.0) | is_one).all(axis=1)
    if not good.all():
        j = int(np.nonzero(~good)[0][0])
        raise DataError(
            f"{path}: jet {first_jet + j} has label flags {onehot[j].tolist()} in j_g j_q j_w j_z j_t; "
            f"expected exactly one 1 and the rest 0 ({int((~good).sum())} such jets in this file)"
        )
    if undef is not None:
        flagged = undef != 0.0
        if flagged.any():
            j = int(np.nonzero(flagged)[0][0])
            raise DataError(
                f"{path}: jet {first_jet + j} has j_undef = {undef[j]!r}; expected 0 "
                f"({int(flagged.sum())} such jets in this file)"
            )
    return np.argmax(is_one, axis=1).astype(np.int64)


def _read_file(path: Path, max_jets: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(features (jets, particles, 3) pt/etarel/phirel as in the file, labels) of one file."""
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"{path} is not a readable HDF5 file ({exc})") from exc
    with fh:
        missing = [k for k in ("jetConstituentList", "jets") if k not in fh]
        if missing:
            raise DataError(
                f"{path}: missing dataset(s) {', '.join(missing)} of the hls4ml LHC jets layout "
                f"(datasets: {', '.join(sorted(fh.keys())) or 'none'})"
            )
        pc, jets = fh["jetConstituentList"], fh["jets"]
        if pc.ndim != 3 or pc.shape[2] != N_PARTICLE_FEATURES:
            got = f"{pc.shape[2]} features" if pc.ndim == 3 else f"{pc.ndim} dimensions"
            raise DataError(
                f"{path}: jetConstituentList has shape {pc.shape} ({got}); expected (jets, particles, "
                f"{N_PARTICLE_FEATURES}) with the {N_PARTICLE_FEATURES} hls4ml particle features "
                f"{', '.join(PARTICLE_FEATURE_NAMES)}"
            )
        if jets.ndim != 2 or jets.shape[0] != pc.shape[0]:
            raise DataError(
                f"{path}: `jets` has shape {jets.shape} for {pc.shape[0]} jets in jetConstituentList; "
                f"expected ({pc.shape[0]}, {N_JET_FEATURES})"
            )
        pcols = _particle_columns(path, _names(fh, "particleFeatureNames"))
        lcols, ucol = _label_columns(path, _names(fh, "jetFeatureNames"), jets.shape[1])
        n = pc.shape[0] if max_jets is None else min(pc.shape[0], max_jets)
        feats = np.empty((n, pc.shape[1], 3), dtype=np.float32)
        labels = np.empty(n, dtype=np.int64)
        for a in range(0, n, _BLOCK):
            b = min(n, a + _BLOCK)
            feats[a:b] = pc[a:b][:, :, pcols]
            jrows = np.asarray(jets[a:b], dtype=np.float64)
            labels[a:b] = _labels_from_onehot(path, jrows[:, lcols], jrows[:, ucol] if ucol is not None else None, a)
    return feats, labels


def _expand(path: str | Path) -> list[Path]:
    text = str(path)
    p = Path(path)
    if p.is_dir():
        files = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in (".h5", ".hdf5"))
        if not files:
            raise DataError(f"{p}: directory holds no .h5 or .hdf5 files")
        return files
    if p.is_file():
        return [p]
    if any(c in text for c in "*?["):
        files = sorted(Path(q) for q in glob.glob(text) if Path(q).is_file())
        if not files:
            raise DataError(f"no files match {text}")
        return files
    raise DataError(
        f"jets file not found: {p}. Pass an hls4ml LHC jet file (Zenodo record 3602260), a directory "
        "of them, or a glob pattern such as 'train/*.h5'"
    )


def load_lhc_jets(path: str | Path, max_jets: int | None = None) -> JetSet:
    """Load hls4ml LHC jet file(s) as a JetSet (pt [GeV], Δη = j1_etarel, Δφ = j1_phirel).

    `path` is one file, a directory (its *.h5 / *.hdf5 files in name order) or a glob pattern;
    several files are concatenated in that order and padded to the largest particle count.
    Particles come out pT-descending (sorted here if the file is not), padding zeroed.
    `max_jets` keeps the first jets only.
    """
    if max_jets is not None and max_jets < 0:
        raise DataError(f"max_jets must be >= 0 or None, got {max_jets}")
    files = _expand(path)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    left = max_jets
    for f in files:
        if left is not None and left <= 0 and parts:
            break
        feats, labels = _read_file(f, left)
        parts.append((feats, labels))
        if left is not None:
            left -= len(labels)
    n_part = max(p[0].shape[1] for p in parts)
    feats = np.zeros((sum(len(p[1]) for p in parts), n_part, 3), dtype=np.float32)
    row = 0
    for f_, _ in parts:
        feats[row : row + len(f_), : f_.shape[1]] = f_
        row += len(f_)
    labels = np.concatenate([p[1] for p in parts])
    source = str(files[0]) if len(files) == 1 else f"{path} ({len(files)} files)"

    pt = feats[:, :, 0]
    if (pt < 0).any():
        j = int(np.nonzero((pt < 0).any(axis=1))[0][0])
        raise DataError(f"{source}: jet {j} has a particle with negative j1_pt; real particles have j1_pt > 0")
    # pT-descending, padding (pt == 0) last; stable so an already sorted jet is unchanged.
    # NaN pT sorts last too and stays NaN, so JetSet reports it.
    order = np.argsort(-pt, axis=1, kind="stable")
    feats = np.take_along_axis(feats, order[:, :, None], axis=1)
    mask = feats[:, :, 0] > 0
    pad = ~mask & np.isfinite(feats).all(axis=-1)
    feats[pad] = 0.0
    return JetSet(feats, mask, labels, source=source)


__all__ = ["load_lhc_jets"]
