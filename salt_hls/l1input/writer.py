"""Jets files as Level-1 words: each jet's particles as PUPPI candidate words and its axis as a jet word.

The shared Pythia files store particles relative to the jet (eta_rel, phi_rel, pt_rel) and the
jet's pT and eta, but not its phi: each jet gets a phi drawn uniformly in [-pi, pi) from a seed,
so jets near phi = +-pi exercise the stage's wrap-around. A particle's eta = jet eta + eta_rel,
phi = jet phi + phi_rel, pT = pt_rel x jet pT; each is quantized as CMSSW's Scales do (round to
nearest) and saturated at its field's range; every saturation is counted, none is silent.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from salt_hls.data.jets import file_sha256, load_jets
from salt_hls.errors import DataError
from salt_hls.l1input import words as W
from salt_hls.l1input.stage import DELTA_MAX, DELTA_MIN

LAYOUT = (
    "candidates (jets, M) uint64: CMSSW l1ct::PuppiObj::pack, pt bits 0-13 (0.25 GeV), eta 14-25 and phi 26-36 "
    "(pi/720 rad), id 37-39 (0: neutral hadron), data 40-60 (neutral: PUPPI weight 40-48, 256 = 1.0); pt = 0: empty. "
    "jets (jets,) uint64: pt 0-13, eta 14-25, phi 26-36 as l1ct::Jet::pack_ap's first fields. "
    "Particles in the source file's (pT-descending) order."
)


def write_words(
    jets_path: str | Path,
    out: str | Path,
    max_jets: int | None = None,
    n_candidates: int | None = None,
    seed: int = 0,
    force: bool = False,
) -> dict:
    """Write the words file; returns its summary (also stored as the file's `summary` attribute)."""
    out = Path(out)
    if out.exists() and not force:
        raise DataError(f"{out} exists; pass --force to replace it")
    if max_jets is not None and max_jets < 1:
        raise DataError(f"--max-jets must be >= 1, got {max_jets}")
    jets = load_jets(jets_path, max_jets=max_jets)
    with h5py.File(jets_path, "r") as fh:
        if "jet_features" not in fh or "particle_features" not in fh:
            raise DataError(
                f"{jets_path}: writing words needs the Pythia jets layout (particle_features, jet_features with jet pT and eta)"
            )
        jet_pt_eta = fh["jet_features"][: len(jets), :2].astype(np.float64)
    slots = jets.max_particles
    m = slots if n_candidates is None else n_candidates
    if not 1 <= m <= slots:
        raise DataError(f"--candidates must lie in 1..{slots} (the file's particle slots), got {m}")
    jet_phi = np.random.default_rng(seed).uniform(-np.pi, np.pi, len(jets))
    jq = W.quantize(jet_pt_eta[:, 0], jet_pt_eta[:, 1], jet_phi)
    f, real = jets.features[:, :m].astype(np.float64), jets.mask[:, :m]
    cq = W.quantize(f[..., 0], jet_pt_eta[:, 1:2] + f[..., 1], jet_phi[:, None] + f[..., 2], real)
    cand = W.candidate_words(cq)
    jw = W.jet_words(jq)
    de = cq.eta - jq.eta[:, None]  # before the stage saturates them
    dp = W.wrap_phi(cq.phi - jq.phi[:, None])
    valid = cq.pt > 0
    summary = {
        "source": str(jets_path),
        "source_sha256": file_sha256(jets_path),
        "jets": len(jets),
        "candidates_per_jet": m,
        "jet_phi_seed": seed,
        "real_particles": int(real.sum()),
        "real_particles_not_written": int(jets.mask[:, m:].sum()),
        "candidate_quantization": cq.counts(),
        "jet_quantization": jq.counts(),
        "stage_delta_saturated": int((valid & ((np.minimum(de, dp) < DELTA_MIN) | (np.maximum(de, dp) > DELTA_MAX))).sum()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with h5py.File(tmp, "w") as fh:
        fh["candidates"] = cand
        fh["jets"] = jw
        fh["labels"] = jets.labels.astype(np.int8)
        fh.attrs["layout"] = LAYOUT
        fh.attrs["summary"] = json.dumps(summary)
    tmp.replace(out)
    return summary


def load_words(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate words (jets, M), jet words (jets,), labels) of a words file."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"words file not found: {p}; write one with `salt-hls write-words --jets FILE --out {p}`")
    with h5py.File(p, "r") as fh:
        missing = {"candidates", "jets", "labels"} - set(fh.keys())
        if missing:
            raise DataError(f"{p}: missing dataset(s) {', '.join(sorted(missing))}; not a salt-hls words file")
        return fh["candidates"][:].astype(np.uint64), fh["jets"][:].astype(np.uint64), fh["labels"][:].astype(np.int64)
