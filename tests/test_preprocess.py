"""Selection, k_T sorting, padding and normalization of jets."""

import numpy as np
import pytest

from salt_hls.data.jets import JetSet, load_jets
from salt_hls.data.preprocess import Normalization, prepare, select_and_sort, sort_key, split_indices
from salt_hls.errors import ConfigError, DataError


def _random_jets(rng, n_jets=50, m=20):
    n_real = rng.integers(1, m + 1, n_jets)
    mask = np.arange(m)[None, :] < n_real[:, None]
    pt = np.sort(rng.exponential(20.0, (n_jets, m)), axis=1)[:, ::-1]
    f = np.stack([pt, rng.normal(0, 0.3, (n_jets, m)), rng.normal(0, 0.3, (n_jets, m))], -1).astype(np.float32)
    f[~mask] = 0
    return JetSet(f, mask, rng.integers(0, 5, n_jets))


def test_kt_sort_equals_numpy_argsort(rng):
    jets = _random_jets(rng)
    f, m = select_and_sort(jets, 12, "kt")
    for i in range(len(jets)):
        top = jets.features[i, :12][jets.mask[i, :12]]
        kt = top[:, 0] * np.hypot(top[:, 1], top[:, 2])
        expected = top[np.argsort(-kt, kind="stable")]
        k = int(jets.mask[i, :12].sum())
        np.testing.assert_array_equal(f[i, :k], expected)
        assert m[i, :k].all() and not m[i, k:].any()
        np.testing.assert_array_equal(f[i, k:], 0)  # padding sorts last and stays zero


def test_selection_is_by_pt_then_sorted_by_kt():
    # Particle 2 has the largest k_T but the lowest pT: with N = 2 it is dropped, not selected.
    f = np.array([[[100.0, 0.01, 0.0], [50.0, 0.1, 0.0], [10.0, 0.7, 0.0]]], np.float32)
    jets = JetSet(f, np.ones((1, 3), bool), np.array([0]))
    out, _ = select_and_sort(jets, 2, "kt")
    np.testing.assert_array_equal(out[0, :, 0], [50.0, 100.0])  # kT 5.0 before 1.0


def test_ties_keep_pt_order_and_other_keys():
    f = np.array([[[4.0, 0.5, 0.0], [2.0, 1.0, 0.0], [1.0, 0.1, 0.0]]], np.float32)  # kT 2, 2, 0.1
    jets = JetSet(f, np.ones((1, 3), bool), np.array([0]))
    np.testing.assert_array_equal(select_and_sort(jets, 3, "kt")[0][0, :, 0], [4.0, 2.0, 1.0])
    np.testing.assert_array_equal(select_and_sort(jets, 3, "dr")[0][0, :, 0], [1.0, 4.0, 2.0])
    with pytest.raises(ConfigError, match="unknown sort key 'eta'"):
        sort_key(f, np.ones((1, 3), bool), "eta")


def test_padding_beyond_the_file_and_normalization(rng):
    jets = _random_jets(rng, m=6)
    x, norm = prepare(jets, 10)
    assert x.shape == (50, 10, 3)
    np.testing.assert_array_equal(x[:, 6:], 0)
    f, m = select_and_sort(jets, 10)
    real = f[m].astype(np.float64)
    np.testing.assert_allclose(norm.center, np.median(real, axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.scale, np.percentile(real, 95, axis=0) - np.percentile(real, 5, axis=0), rtol=1e-6)
    np.testing.assert_allclose(x[m], (f[m] - norm.center) / norm.scale, rtol=1e-5, atol=1e-6)
    assert Normalization.from_dict(norm.to_dict()) == norm


def test_split_is_fixed_and_disjoint():
    a = split_indices(1000, seed=0)
    b = split_indices(1000, seed=0)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert [len(s) for s in a] == [700, 100, 200]
    assert len(np.unique(np.concatenate(a))) == 1000


def test_bad_inputs_have_clear_errors(tmp_path):
    with pytest.raises(DataError, match=r"jets file not found: .*nope\.h5.*generate-jets"):
        load_jets(tmp_path / "nope.h5")
    with pytest.raises(DataError, match=r"shape \(2, 3, 4\); expected \(jets, particles, 3\)"):
        JetSet(np.zeros((2, 3, 4), np.float32), np.ones((2, 3), bool), np.zeros(2, int))
    f = np.zeros((3, 4, 3), np.float32)
    f[1, 2, 0] = np.nan
    f[2, 0, 1] = np.inf
    with pytest.raises(DataError, match="2 NaN or infinite feature values in 2 jets \\(first: jet 1\\)"):
        JetSet(f, np.ones((3, 4), bool), np.zeros(3, int))
    bad = tmp_path / "bad.h5"
    import h5py

    with h5py.File(bad, "w") as fh:
        fh["something"] = np.zeros(3)
    with pytest.raises(DataError, match="unknown jets layout \\(datasets: something\\)"):
        load_jets(bad)


def test_pythia_loader_wrong_feature_count(tmp_path):
    import h5py

    path = tmp_path / "three.h5"
    with h5py.File(path, "w") as fh:
        fh["particle_features"] = np.zeros((2, 5, 3), np.float32)
        fh["jet_features"] = np.zeros((2, 4), np.float32)
        fh["labels"] = np.zeros(2, np.int8)
    with pytest.raises(DataError, match=r"particle_features has shape \(2, 5, 3\); expected \(jets, particles, 4\)"):
        load_jets(path)


def test_shared_jets_load(shared_jets_path):
    jets = load_jets(shared_jets_path, max_jets=500)
    assert len(jets) == 500 and jets.max_particles == 128
    pt = np.where(jets.mask, jets.features[..., 0], -1)
    assert (np.diff(pt, axis=1)[jets.mask[:, 1:]] <= 0).all()  # pT-descending
    assert set(np.unique(jets.labels)) == {0, 1, 2, 3, 4}
