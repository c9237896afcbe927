"""The hls4ml LHC jet loader, on small files written in the Zenodo 3602260 layout."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from salt_hls.data import load_jets
from salt_hls.data.lhc import PARTICLE_FEATURE_NAMES, load_lhc_jets
from salt_hls.errors import DataError

# The real files: 17 particle names (16 columns + j1_pdgid), 59 jet names ending with the labels and j_undef.
PARTICLE_NAMES = [*PARTICLE_FEATURE_NAMES, "j1_pdgid"]
JET_NAMES = [f"j_feat{i}" for i in range(53)] + ["j_g", "j_q", "j_w", "j_z", "j_t", "j_undef"]
PT, ETAREL, PHIREL = 5, 8, 11

# Three jets, up to 4 particles each, as (pt, etarel, phirel), listed pT-descending.
JETS = [
    [(300.0, 0.10, -0.20), (120.5, -0.05, 0.01), (7.25, 0.3, 0.4)],
    [(510.0, -0.01, 0.02), (20.0, 0.2, -0.3), (3.0, -0.4, 0.5), (0.5, 0.6, -0.7)],
    [(900.0, 0.0, 0.0)],
]
LABELS = [4, 0, 2]  # t, g, W


def _arrays(n_particles=5, shuffle=False, seed=0):
    rng = np.random.default_rng(seed)
    pc = np.zeros((len(JETS), n_particles, 16), dtype=np.float64)
    for j, parts in enumerate(JETS):
        rows = np.arange(len(parts))
        if shuffle:
            rows = rng.permutation(n_particles)[: len(parts)]  # real particles land anywhere, padding between
        for r, (pt, eta, phi) in zip(rows, parts, strict=True):
            pc[j, r, :] = rng.uniform(-5, 5, 16)  # the other 15 features: anything
            pc[j, r, PT], pc[j, r, ETAREL], pc[j, r, PHIREL] = pt, eta, phi
    jets = np.zeros((len(JETS), 59), dtype=np.float64)
    jets[:, :53] = rng.uniform(0, 10, (len(JETS), 53))
    jets[np.arange(len(JETS)), 53 + np.array(LABELS)] = 1.0
    return pc, jets


def _write(path, pc, jets, names=True, pnames=None, jnames=None):
    with h5py.File(path, "w") as fh:
        fh["jetConstituentList"] = pc
        fh["jets"] = jets
        if names:
            fh["particleFeatureNames"] = np.array([n.encode() for n in (pnames or PARTICLE_NAMES)])
            fh["jetFeatureNames"] = np.array([n.encode() for n in (jnames or JET_NAMES)])
        fh["jetImage"] = np.zeros((pc.shape[0], 4, 4), dtype=np.float32)  # the real files carry images too
    return path


def _expected(n_particles):
    feats = np.zeros((len(JETS), n_particles, 3), dtype=np.float32)
    mask = np.zeros((len(JETS), n_particles), dtype=bool)
    for j, parts in enumerate(JETS):
        feats[j, : len(parts)] = np.array(parts, dtype=np.float32)
        mask[j, : len(parts)] = True
    return feats, mask


@pytest.mark.parametrize("names", [True, False], ids=["with-names", "without-names"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_values_come_through(tmp_path, names, shuffle):
    pc, jets = _arrays(shuffle=shuffle)
    path = _write(tmp_path / "lhc.h5", pc, jets, names=names)
    js = load_lhc_jets(path)
    feats, mask = _expected(5)
    np.testing.assert_array_equal(js.mask, mask)
    np.testing.assert_array_equal(js.features, feats)  # exact: float32 values written as float64
    np.testing.assert_array_equal(js.labels, LABELS)
    assert js.features.dtype == np.float32 and js.labels.dtype == np.int64
    assert js.source == str(path)


def test_names_pick_the_columns(tmp_path):
    """Columns in a non-standard order are found by their names."""
    pc, jets = _arrays()
    perm = np.random.default_rng(3).permutation(16)
    jperm = np.random.default_rng(4).permutation(59)
    _write(
        tmp_path / "perm.h5",
        pc[:, :, perm],
        jets[:, jperm],
        pnames=[PARTICLE_NAMES[i] for i in perm] + ["j1_pdgid"],
        jnames=[JET_NAMES[i] for i in jperm],
    )
    js = load_lhc_jets(tmp_path / "perm.h5")
    feats, _ = _expected(5)
    np.testing.assert_array_equal(js.features, feats)
    np.testing.assert_array_equal(js.labels, LABELS)


def test_load_jets_dispatches_here(tmp_path):
    pc, jets = _arrays(shuffle=True)
    path = _write(tmp_path / "lhc.h5", pc, jets)
    a, b = load_jets(path), load_lhc_jets(path)
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert len(load_jets(path, max_jets=2)) == 2


def test_max_jets(tmp_path):
    pc, jets = _arrays()
    path = _write(tmp_path / "lhc.h5", pc, jets)
    js = load_lhc_jets(path, max_jets=2)
    np.testing.assert_array_equal(js.labels, LABELS[:2])
    assert len(load_lhc_jets(path, max_jets=100)) == 3
    with pytest.raises(DataError, match="max_jets must be >= 0"):
        load_lhc_jets(path, max_jets=-1)


def test_directory_and_glob_concatenate(tmp_path):
    pc, jets = _arrays(n_particles=5)
    _write(tmp_path / "a_0.h5", pc, jets)
    pc2, jets2 = _arrays(n_particles=7, shuffle=True)
    _write(tmp_path / "a_1.h5", pc2, jets2, names=False)
    (tmp_path / "notes.txt").write_text("not a jets file")
    for arg in (tmp_path, str(tmp_path / "a_*.h5")):
        js = load_lhc_jets(arg)
        assert js.features.shape == (6, 7, 3)
        feats, mask = _expected(7)
        np.testing.assert_array_equal(js.features, np.concatenate([feats, feats]))
        np.testing.assert_array_equal(js.mask, np.concatenate([mask, mask]))
        np.testing.assert_array_equal(js.labels, LABELS + LABELS)
        assert "2 files" in js.source
    assert len(load_lhc_jets(tmp_path, max_jets=4)) == 4
    with pytest.raises(DataError, match="no files match"):
        load_lhc_jets(str(tmp_path / "zzz_*.h5"))
    with pytest.raises(DataError, match="jets file not found"):
        load_lhc_jets(tmp_path / "missing.h5")


def test_wrong_feature_count(tmp_path):
    pc, jets = _arrays()
    path = _write(tmp_path / "lhc15.h5", pc[:, :, :15], jets, names=False)
    with pytest.raises(DataError) as exc:
        load_lhc_jets(path)
    msg = str(exc.value)
    assert "jetConstituentList has shape (3, 5, 15) (15 features)" in msg
    assert "expected (jets, particles, 16)" in msg
    with pytest.raises(DataError, match=r"\(15 features\); expected \(jets, particles, 16\)"):
        load_jets(path)


def test_missing_dataset(tmp_path):
    pc, _ = _arrays()
    path = tmp_path / "nojets.h5"
    with h5py.File(path, "w") as fh:
        fh["jetConstituentList"] = pc
    with pytest.raises(DataError, match=r"missing dataset\(s\) jets of the hls4ml LHC jets layout"):
        load_lhc_jets(path)


def test_jet_count_mismatch(tmp_path):
    pc, jets = _arrays()
    path = _write(tmp_path / "lhc.h5", pc, jets[:2])
    with pytest.raises(DataError, match=r"`jets` has shape \(2, 59\) for 3 jets"):
        load_lhc_jets(path)


@pytest.mark.parametrize(
    "flags, shown",
    [([0, 1, 1, 0, 0], "[0.0, 1.0, 1.0, 0.0, 0.0]"), ([0, 0, 0, 0, 0], "[0.0, 0.0, 0.0, 0.0, 0.0]"),
     ([0, 0.5, 0, 0, 0], "[0.0, 0.5, 0.0, 0.0, 0.0]")],
    ids=["two-ones", "no-one", "not-binary"],
)  # fmt: skip
@pytest.mark.parametrize("names", [True, False], ids=["with-names", "without-names"])
def test_bad_one_hot_row(tmp_path, flags, shown, names):
    pc, jets = _arrays()
    jets[1, 53:58] = flags
    path = _write(tmp_path / "lhc.h5", pc, jets, names=names)
    with pytest.raises(DataError) as exc:
        load_lhc_jets(path)
    msg = str(exc.value)
    assert f"jet 1 has label flags {shown} in j_g j_q j_w j_z j_t" in msg
    assert "expected exactly one 1 and the rest 0" in msg


def test_j_undef_set_is_an_error(tmp_path):
    pc, jets = _arrays()
    jets[2, 58] = 1.0
    path = _write(tmp_path / "lhc.h5", pc, jets)
    with pytest.raises(DataError, match=r"jet 2 has j_undef = 1\.0; expected 0"):
        load_lhc_jets(path)


def test_label_columns_without_names_need_the_standard_width(tmp_path):
    pc, jets = _arrays()
    path = _write(tmp_path / "lhc.h5", pc, jets[:, 10:], names=False)
    with pytest.raises(DataError, match="`jets` has 49 columns and there is no jetFeatureNames"):
        load_lhc_jets(path)


def test_labels_only_jets_without_names(tmp_path):
    pc, jets = _arrays()
    path = _write(tmp_path / "lhc.h5", pc, jets[:, 53:58], names=False)
    np.testing.assert_array_equal(load_lhc_jets(path).labels, LABELS)


def test_names_missing_a_used_feature(tmp_path):
    pc, jets = _arrays()
    pnames = [n if n != "j1_phirel" else "j1_phi_rel" for n in PARTICLE_NAMES]
    path = _write(tmp_path / "lhc.h5", pc, jets, pnames=pnames)
    with pytest.raises(DataError, match="particleFeatureNames lacks j1_phirel"):
        load_lhc_jets(path)


@pytest.mark.parametrize("column", [PT, ETAREL, PHIREL], ids=["pt", "etarel", "phirel"])
def test_nan_is_reported(tmp_path, column):
    pc, jets = _arrays(shuffle=True)
    real = np.nonzero(pc[1, :, PT] > 0)[0]
    pc[1, real[1], column] = np.nan
    path = _write(tmp_path / "nan.h5", pc, jets)
    with pytest.raises(DataError) as exc:
        load_lhc_jets(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: 1 NaN or infinite feature values in 1 jets (first: jet 1)")
    assert "clean or drop those jets before use" in msg


def test_nan_in_an_unused_column_is_ignored(tmp_path):
    pc, jets = _arrays()
    pc[0, 0, 0] = np.nan  # j1_px: not read
    js = load_lhc_jets(_write(tmp_path / "lhc.h5", pc, jets))
    assert np.isfinite(js.features).all()


def test_negative_pt_is_an_error(tmp_path):
    pc, jets = _arrays()
    pc[2, 3, PT] = -1.0
    with pytest.raises(DataError, match="jet 2 has a particle with negative j1_pt"):
        load_lhc_jets(_write(tmp_path / "lhc.h5", pc, jets))


def test_not_hdf5(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match="is not a readable HDF5 file"):
        load_lhc_jets(path)
