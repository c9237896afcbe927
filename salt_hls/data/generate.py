"""Generate a labelled, balanced five-class jet sample with Pythia 8 + FastJet.

Same recipe and layout as the shared jets (/work/shared/data/README.md, read back by
`salt_hls.data.pythia.load_pythia_jets`): pp at 13 TeV, hard-process pT-hat > 900 GeV,
anti-kT R = 0.8 on all visible final-state particles, the leading two jets with pT > 500 GeV
and |eta| < 2, truth-matched (ΔR < 0.8) to the parton or boson of its class; each event gives
at most one jet, the harder matched one of the two (as the shared jets do).

Each class has its own Pythia instance with its own processes and a seed derived from `seed`,
so a given seed always gives the same file. Needs the optional `generate` extra
(PyPI `pythia8mc` and `fastjet`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import h5py
import numpy as np

from salt_hls.data.jets import CLASS_NAMES
from salt_hls.data.pythia import PARTICLE_COLUMNS
from salt_hls.errors import DataError, SaltError

E_CM = 13000.0
PT_HAT_MIN = 900.0
JET_R = 0.8
JET_PT_MIN = 500.0
JET_ABS_ETA_MAX = 2.0
MATCH_DR = 0.8
N_LEADING = 2
JET_COLUMNS = ("pt", "eta", "mass", "n_constituents")

HADRONIC = "1 2 3 4 5"  # W/Z decays to quarks d u s c b only
CLASS_SETTINGS: dict[str, tuple[str, ...]] = {
    "g": ("HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"),
    # Only processes with two outgoing quarks: with qg -> qg the quark is often the softer jet, and
    # the shared jets' quark pT spectrum shows no such low tail (see _event_jet).
    "q": ("HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on"),
    "W": (
        "WeakBosonAndParton:qqbar2Wg = on",
        "WeakBosonAndParton:qg2Wq = on",
        "24:onMode = off",
        f"24:onIfAny = {HADRONIC}",
    ),
    "Z": (
        "WeakBosonAndParton:qqbar2gmZg = on",
        "WeakBosonAndParton:qg2gmZq = on",
        "WeakZ0:gmZmode = 2",  # pure Z, no photon
        "23:onMode = off",
        f"23:onIfAny = {HADRONIC}",
    ),
    "t": (
        "Top:gg2ttbar = on",
        "Top:qqbar2ttbar = on",
        "6:onMode = off",
        "6:onIfAll = 5 24",
        "24:onMode = off",
        f"24:onIfAny = {HADRONIC}",
    ),
}
# What a jet of each class is matched to: hard-process outgoing partons (status ±23) for g and q,
# the last copy of the decaying W, Z or top (after shower recoils) for the others.
_MATCH_IDS = {"g": (21,), "q": (1, 2, 3, 4, 5), "W": (24,), "Z": (23,), "t": (6,)}
_MATCH_HARD_PARTON = {"g": True, "q": True, "W": False, "Z": False, "t": False}

_SEED_MAX = 900_000_000  # Pythia's Random:seed range is 1..900000000


def _common_settings(seed: int, underlying_event: bool) -> tuple[str, ...]:
    return (
        "Beams:idA = 2212",
        "Beams:idB = 2212",
        f"Beams:eCM = {E_CM:g}",
        f"PhaseSpace:pTHatMin = {PT_HAT_MIN:g}",
        f"PartonLevel:MPI = {'on' if underlying_event else 'off'}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        "Print:quiet = on",
        "Print:errors = off",
        "Next:numberCount = 0",
        "Next:numberShowInfo = 0",
        "Next:numberShowProcess = 0",
        "Next:numberShowEvent = 0",
        "Init:showProcesses = off",
        "Init:showMultipartonInteractions = off",
        "Init:showChangedSettings = off",
        "Init:showChangedParticleData = off",
    )


def class_seeds(seed: int) -> dict[str, int]:
    """The Pythia seed of each class, derived from the sample seed."""
    state = np.random.SeedSequence(seed).generate_state(len(CLASS_NAMES), dtype=np.uint32)
    return {c: int(s) % _SEED_MAX + 1 for c, s in zip(CLASS_NAMES, state, strict=True)}


def _check_args(out, per_class, particles, seed) -> Path:
    for name, value in (("per_class", per_class), ("particles", particles)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DataError(f"{name} must be a whole number >= 1, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0, got {seed!r}")
    out = Path(out)
    if out.exists():
        raise DataError(f"{out} already exists; delete it or pick another path (generate-jets never overwrites)")
    return out


def _import_generators():
    try:
        import fastjet
        import pythia8mc
    except ImportError as exc:
        raise SaltError(
            f"generating jets needs Pythia 8 and FastJet ({exc}); install them with "
            "`pip install 'salt-hls[generate]'` (PyPI pythia8mc and fastjet)"
        ) from exc
    # FastJet prints a banner on the first clustering unless told not to.
    fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None)
    return pythia8mc, fastjet


def _make_pythia(pythia8, settings: tuple[str, ...], cls: str):
    py = pythia8.Pythia("", False)
    for s in settings:
        if not py.readString(s):
            raise SaltError(f"Pythia rejected the setting {s!r} for class {cls}")
    if not py.init():
        raise SaltError(f"Pythia failed to initialise for class {cls} (settings: {'; '.join(settings)})")
    return py


def _truth_objects(ev, cls: str) -> list[tuple[float, float]]:
    """(eta, phi) of the partons or bosons that a jet of class `cls` must match."""
    ids = _MATCH_IDS[cls]
    hard = _MATCH_HARD_PARTON[cls]
    out = []
    for i in range(ev.size()):
        p = ev[i]
        if p.idAbs() not in ids:
            continue
        if hard:
            if p.statusAbs() != 23:
                continue
        elif p.iBotCopyId() != i:
            continue
        if p.pT() > 0:
            out.append((p.eta(), p.phi()))
    return out


def _delta_r(eta1, phi1, eta2, phi2) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def _event_jet(ev, fastjet, jet_def, cls: str, particles: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The one jet an event contributes, or None: (particle_features (particles, 4), jet_features (4,)).

    Of the leading two jets, the harder one that passes pT > 500 GeV, |eta| < 2 and the truth
    match. One jet per event, as in the shared jets: taking both matched jets of g, q and t
    events gives a low-pT tail (the softer jet of events with hard radiation) that they lack.
    """
    truth = _truth_objects(ev, cls)
    # A matched jet has |eta| < 2 and lies within ΔR < 0.8 of a truth object: skip the rest early.
    truth = [t for t in truth if abs(t[0]) < JET_ABS_ETA_MAX + MATCH_DR]
    if not truth:
        return None
    mom = [(p.px(), p.py(), p.pz(), p.e()) for p in ev if p.isFinal() and p.isVisible()]
    if not mom:
        return None
    mom = np.asarray(mom, dtype=np.float64)
    inputs = []
    for k, (px, py, pz, e) in enumerate(mom):
        pj = fastjet.PseudoJet(float(px), float(py), float(pz), float(e))
        pj.set_user_index(k)
        inputs.append(pj)
    cs = fastjet.ClusterSequence(inputs, jet_def)
    pt_all = np.hypot(mom[:, 0], mom[:, 1])
    phi_all = np.arctan2(mom[:, 1], mom[:, 0])
    eta_all = np.arcsinh(np.divide(mom[:, 2], pt_all, out=np.zeros_like(pt_all), where=pt_all > 0))
    for jet in fastjet.sorted_by_pt(cs.inclusive_jets(JET_PT_MIN))[:N_LEADING]:
        jpt, jeta, jphi = jet.pt(), jet.eta(), jet.phi_std()
        if abs(jeta) >= JET_ABS_ETA_MAX:
            continue
        if not any(_delta_r(jeta, jphi, te, tp) < MATCH_DR for te, tp in truth):
            continue
        idx = np.fromiter((c.user_index() for c in jet.constituents()), dtype=np.int64)
        idx = idx[np.argsort(-pt_all[idx], kind="stable")]
        n_const = idx.size
        keep = idx[:particles]
        pf = np.zeros((particles, len(PARTICLE_COLUMNS)), dtype=np.float32)
        pf[: keep.size, 0] = eta_all[keep] - jeta
        pf[: keep.size, 1] = (phi_all[keep] - jphi + np.pi) % (2 * np.pi) - np.pi
        pf[: keep.size, 2] = pt_all[keep] / jpt
        pf[: keep.size, 3] = 1.0
        jf = np.array([jpt, jeta, jet.m(), n_const], dtype=np.float32)
        return pf, jf
    return None


def generate_jets(
    out: str | Path,
    per_class: int,
    particles: int = 128,
    seed: int = 1,
    underlying_event: bool = False,
    progress: bool = True,
    *,
    max_events_per_class: int | None = None,
) -> Path:
    """Generate `per_class` jets of each class g, q, W, Z, t into a new HDF5 file `out`.

    Layout as the shared jets: particle_features (jets, particles, 4) = eta_rel, phi_rel,
    pt_rel, mask (pT-descending, zero-padded, the `particles` hardest kept); jet_features
    (jets, 4) = pT [GeV], eta, mass [GeV], constituents before truncation; labels int8;
    label_names. Classes are shuffled together with `seed`. `underlying_event` turns on
    multi-parton interactions. Gives up with a DataError when a class has used
    `max_events_per_class` events (default 20 * per_class + 200) without enough jets.
    Refuses to overwrite `out`. Returns the path written.
    """
    out = _check_args(out, per_class, particles, seed)
    per_class, particles, seed = int(per_class), int(particles), int(seed)
    if max_events_per_class is None:
        max_events_per_class = 20 * per_class + 200
    elif (
        isinstance(max_events_per_class, bool)
        or not isinstance(max_events_per_class, (int, np.integer))
        or max_events_per_class < 1
    ):
        raise DataError(f"max_events_per_class must be a whole number >= 1, got {max_events_per_class!r}")
    pythia8, fastjet = _import_generators()
    from tqdm.auto import tqdm

    seeds = class_seeds(seed)
    settings = {c: _common_settings(seeds[c], underlying_event) + CLASS_SETTINGS[c] for c in CLASS_NAMES}
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)

    pf_by_class: dict[str, list[np.ndarray]] = {}
    jf_by_class: dict[str, list[np.ndarray]] = {}
    events_used: dict[str, int] = {}
    bar = tqdm(total=per_class * len(CLASS_NAMES), desc="generating jets", unit="jet", disable=not progress)
    try:
        for cls in CLASS_NAMES:
            bar.set_postfix_str(f"class {cls}")
            py = _make_pythia(pythia8, settings[cls], cls)
            version = py.settings.parm("Pythia:versionNumber")
            pfs, jfs = [], []
            events = failures = 0
            while len(pfs) < per_class:
                if events >= max_events_per_class:
                    raise DataError(
                        f"class {cls}: only {len(pfs)} of {per_class} matched jets after {events} events "
                        f"(max_events_per_class = {max_events_per_class}); raise the cap or ask for fewer jets"
                    )
                events += 1
                if not py.next():
                    failures += 1
                    if failures > max(10, events // 10):
                        raise SaltError(f"class {cls}: Pythia failed {failures} of {events} events; giving up")
                    continue
                found = _event_jet(py.event, fastjet, jet_def, cls, particles)
                if found is not None:
                    pfs.append(found[0])
                    jfs.append(found[1])
                    bar.update(1)
            pf_by_class[cls], jf_by_class[cls] = pfs, jfs
            events_used[cls] = events
            del py
    finally:
        bar.close()

    # Interleave the classes (g q W Z t g q ...), then shuffle with the seed.
    n_cls = len(CLASS_NAMES)
    pf = np.stack([pf_by_class[c][i] for i in range(per_class) for c in CLASS_NAMES])
    jf = np.stack([jf_by_class[c][i] for i in range(per_class) for c in CLASS_NAMES])
    labels = np.tile(np.arange(n_cls, dtype=np.int8), per_class)
    order = np.random.default_rng(seed).permutation(labels.size)
    pf, jf, labels = pf[order], jf[order], labels[order]

    fastjet_version = getattr(fastjet._swig, "FASTJET_VERSION", fastjet.__version__)
    attrs = {
        "generator": (
            f"Pythia {version:.3f} + FastJet {fastjet_version}, pp {E_CM / 1000:g} TeV, anti-kT R={JET_R:g}, "
            "generator level, no detector, no pile-up"
        ),
        "made_by": "salt_hls.data.generate.generate_jets",
        "selection": (
            f"pTHatMin = {PT_HAT_MIN:g} GeV; visible final-state particles (no neutrinos); leading "
            f"{N_LEADING} jets; per event the harder of them with pT > {JET_PT_MIN:g} GeV, |eta| < "
            f"{JET_ABS_ETA_MAX:g} and within Delta R < {MATCH_DR:g} of an outgoing gluon (g), quark d u s c b "
            "(q), or the last copy of the W, Z or top (hadronic decays only); one jet per event"
        ),
        "multi_parton_interactions": "on" if underlying_event else "off",
        "particle_features": f"{', '.join(PARTICLE_COLUMNS)} (eta_rel, phi_rel in [-pi, pi), pt_rel = pT / jet pT, "
        "mask 1 = real particle); pT-ordered, zero-padded",
        "jet_features": "pt [GeV], eta, mass [GeV], n_constituents (before truncation)",
        "seed": seed,
        "class_seeds": json.dumps(seeds),
        "per_class": per_class,
        "particles": particles,
        "events_per_class": json.dumps(events_used),
        "pythia_settings": json.dumps({c: list(s) for c, s in settings.items()}),
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with h5py.File(tmp, "w", track_order=True) as fh:
            fh.create_dataset("particle_features", data=pf, compression="gzip", compression_opts=4, track_times=False)
            fh.create_dataset("jet_features", data=jf, track_times=False)
            fh.create_dataset("labels", data=labels, track_times=False)
            fh.create_dataset("label_names", data=np.array([c.encode() for c in CLASS_NAMES], dtype="S1"), track_times=False)
            for k, v in attrs.items():
                fh.attrs[k] = v
        if out.exists():
            raise DataError(f"{out} appeared while generating; delete it or pick another path")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


__all__ = ["CLASS_SETTINGS", "class_seeds", "generate_jets"]
