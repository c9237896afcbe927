"""The Pythia 8 + FastJet jet generator: argument checks (fast) and small samples (slow)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from salt_hls.data import CLASS_NAMES, load_jets
from salt_hls.data.generate import class_seeds, generate_jets
from salt_hls.errors import DataError

PER_CLASS = 3
PARTICLES = 64


# ---------------------------------------------------------------- fast: arguments, refusing to overwrite


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"per_class": 0}, "per_class must be a whole number >= 1, got 0"),
        ({"per_class": -5}, "per_class must be a whole number >= 1, got -5"),
        ({"per_class": 2.5}, "per_class must be a whole number >= 1, got 2.5"),
        ({"per_class": True}, "per_class must be a whole number >= 1, got True"),
        ({"per_class": 2, "particles": 0}, "particles must be a whole number >= 1, got 0"),
        ({"per_class": 2, "seed": -1}, "seed must be a whole number >= 0, got -1"),
        ({"per_class": 2, "max_events_per_class": 0}, "max_events_per_class must be a whole number >= 1, got 0"),
    ],
)
def test_argument_errors(tmp_path, kwargs, message):
    out = tmp_path / "jets.h5"
    with pytest.raises(DataError) as exc:
        generate_jets(out, progress=False, **kwargs)
    assert str(exc.value) == message
    assert not out.exists()


def test_refuses_to_overwrite(tmp_path):
    out = tmp_path / "jets.h5"
    out.write_bytes(b"precious")
    with pytest.raises(DataError) as exc:
        generate_jets(out, per_class=1, progress=False)
    assert str(exc.value) == f"{out} already exists; delete it or pick another path (generate-jets never overwrites)"
    assert out.read_bytes() == b"precious"


def test_refuses_a_directory(tmp_path):
    with pytest.raises(DataError, match="already exists; delete it or pick another path"):
        generate_jets(tmp_path, per_class=1, progress=False)


def test_class_seeds_are_fixed_and_distinct():
    a, b = class_seeds(1), class_seeds(2)
    assert a == class_seeds(1) and a != b
    assert tuple(a) == CLASS_NAMES and len(set(a.values())) == len(CLASS_NAMES)
    assert all(1 <= s <= 900_000_000 for s in (*a.values(), *b.values()))


# ---------------------------------------------------------------- slow: real generation, kept small


def _need_generators():
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    _need_generators()
    d = tmp_path_factory.mktemp("gen")
    return {
        "a": generate_jets(d / "a.h5", PER_CLASS, particles=PARTICLES, seed=11, progress=False),
        "a2": generate_jets(d / "sub" / "a2.h5", PER_CLASS, particles=PARTICLES, seed=11, progress=False),
        "b": generate_jets(d / "b.h5", PER_CLASS, particles=PARTICLES, seed=12, progress=False),
    }


def _read(path):
    with h5py.File(path, "r") as fh:
        data = {k: fh[k][()] for k in fh}
        attrs = dict(fh.attrs)
    return data, attrs


@pytest.mark.slow
def test_layout_and_physics(samples):
    path = samples["a"]
    assert path.name == "a.h5" and path.is_file()
    d, attrs = _read(path)
    n = PER_CLASS * len(CLASS_NAMES)
    pf, jf, labels = d["particle_features"], d["jet_features"], d["labels"]
    assert pf.shape == (n, PARTICLES, 4) and pf.dtype == np.float32
    assert jf.shape == (n, 4) and jf.dtype == np.float32
    assert labels.dtype == np.int8
    assert [x.decode() for x in d["label_names"]] == list(CLASS_NAMES)
    assert np.bincount(labels, minlength=5).tolist() == [PER_CLASS] * 5  # balanced
    assert attrs["seed"] == 11 and attrs["per_class"] == PER_CLASS and attrs["particles"] == PARTICLES
    assert attrs["multi_parton_interactions"] == "off"
    assert "Pythia 8.3" in attrs["generator"] and "FastJet" in attrs["generator"]
    settings = json.loads(attrs["pythia_settings"])
    assert "PartonLevel:MPI = off" in settings["W"] and "24:onMode = off" in settings["W"]

    # Jet selection.
    assert (jf[:, 0] > 500).all() and (np.abs(jf[:, 1]) < 2).all() and (jf[:, 2] > 0).all()
    # Masks: a prefix of real particles, min(constituents, kept) of them, zero padding after.
    mask = pf[:, :, 3]
    assert set(np.unique(mask)) <= {0.0, 1.0}
    n_real = mask.sum(axis=1)
    assert (np.diff(mask, axis=1) <= 0).all()
    np.testing.assert_array_equal(n_real, np.minimum(jf[:, 3], PARTICLES))
    assert (pf[mask == 0] == 0).all()
    # pT-descending, positive pT, phi wrapped, constituents within reach of the axis.
    ptrel = pf[:, :, 2]
    assert (ptrel[mask == 1] > 0).all()
    assert (np.diff(ptrel, axis=1) <= 0).all()
    phi = pf[:, :, 1][mask == 1]
    assert (phi >= -np.pi).all() and (phi < np.pi).all() and (np.abs(phi) < 1.5).all()
    # Scalar sum of constituent pT >= |vector sum| = jet pT, and not by much: sum(pt_rel) ~ 1 (untruncated jets).
    full = jf[:, 3] <= PARTICLES
    assert full.any()
    sums = ptrel[full].sum(axis=1)
    assert (sums >= 1 - 1e-4).all() and (sums < 1.2).all(), sums


@pytest.mark.slow
def test_loads_with_load_jets(samples):
    js = load_jets(samples["a"])
    d, _ = _read(samples["a"])
    assert len(js) == PER_CLASS * len(CLASS_NAMES) and js.max_particles == PARTICLES
    np.testing.assert_array_equal(js.labels, d["labels"])
    np.testing.assert_array_equal(js.mask, d["particle_features"][:, :, 3] > 0.5)
    np.testing.assert_allclose(js.features[:, :, 0], d["particle_features"][:, :, 2] * d["jet_features"][:, :1])
    np.testing.assert_array_equal(js.features[:, :, 1], d["particle_features"][:, :, 0])


@pytest.mark.slow
def test_same_seed_same_file_other_seed_other_jets(samples):
    (da, aa), (da2, aa2), (db, ab) = _read(samples["a"]), _read(samples["a2"]), _read(samples["b"])
    assert da.keys() == da2.keys()
    for k in da:
        np.testing.assert_array_equal(da[k], da2[k])
    assert aa == aa2
    assert not np.array_equal(da["jet_features"], db["jet_features"])
    assert not np.array_equal(da["particle_features"], db["particle_features"])
    assert ab["seed"] == 12 and aa["class_seeds"] != ab["class_seeds"]


@pytest.mark.slow
def test_event_cap_gives_a_clear_error(tmp_path):
    _need_generators()
    out = tmp_path / "capped.h5"
    expected = r"class g: only [01] of 5 matched jets after 1 events \(max_events_per_class = 1\)"
    with pytest.raises(DataError, match=expected):
        generate_jets(out, per_class=5, max_events_per_class=1, progress=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind
