"""The Level-1 input stage: word layout, sorting network, bit-exact model, C++ testbench, folding, cost."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salt_hls.data.jets import JetSet
from salt_hls.data.preprocess import Normalization, select_and_sort
from salt_hls.errors import ConfigError, DataError
from salt_hls.estimate.input_stage import stage_cost
from salt_hls.l1input import words as W
from salt_hls.l1input.fold import first_layer, fold, weight_frac
from salt_hls.l1input.sortnet import bitonic_stages, n_comparators, n_stages, sort_desc
from salt_hls.l1input.stage import StageConfig, run, to_physics

# ---------------------------------------------------------------- words


def test_puppi_word_layout_known_bits():
    # pt 1 (0.25 GeV) at bit 0, eta -1 (12 ones) from bit 14, phi -1 (11 ones) from 26, id 3 at 37, data 5 at 40
    w = W.pack([1], [-1], [-1], [3], [5])
    assert int(w[0]) == 0x57FFFFFC001
    pt, eta, phi = W.unpack(w)
    assert (pt[0], eta[0], phi[0]) == (1, -1, -1)
    assert W.PUPPI_BITS == 61  # l1ct::PuppiObj::BITWIDTH; bits 61-63 of the link word stay 0


def test_pack_refuses_out_of_range_field():
    with pytest.raises(DataError, match=r"field eta out of its range -2048..2047"):
        W.pack([4], [2048], [0])


def test_quantize_rounds_saturates_wraps_and_counts():
    q = W.quantize(
        pt_gev=[5000.0, 0.1, 1.13, 2.0, 3.0],
        eta=[0.0, 0.0, 10.0, 0.0, 0.0],
        phi=[0.0, 0.0, 0.0, np.pi + 3 * W.ETAPHI_LSB, 0.0],
        real=[True, True, True, True, False],
    )
    np.testing.assert_array_equal(q.pt, [16383, 0, 5, 8, 0])  # 1.13 GeV -> 4.52 -> 5; absent -> 0
    assert q.eta[2] == 2047 and q.phi[3] == -717  # eta saturates; phi just beyond +pi wraps to -pi + 3 LSB
    assert q.counts() == {"pt_saturated": 1, "eta_saturated": 1, "pt_rounded_to_zero": 1}


# ---------------------------------------------------------------- sorting network


@pytest.mark.parametrize("p, stages, comparators", [(16, 10, 80), (32, 15, 240), (64, 21, 672)])
def test_bitonic_stage_and_comparator_counts(p, stages, comparators):
    assert len(bitonic_stages(p)) == n_stages(p) == stages
    assert sum(len(f) for f, _ in bitonic_stages(p)) == n_comparators(p) == comparators
    for first, second in bitonic_stages(p):  # each stage touches every element at most once
        touched = np.concatenate([first, second])
        assert len(np.unique(touched)) == len(touched)


def test_bitonic_refuses_other_sizes():
    with pytest.raises(ConfigError, match="power-of-two size, got 24"):
        bitonic_stages(24)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), log_p=st.integers(1, 6), key_range=st.sampled_from([1, 2, 3, 16, 1 << 20]))
def test_sort_network_equals_stable_sort(seed, log_p, key_range):
    """100 examples x 1,000 rows = 100,000 cases; small key ranges make most of them ties."""
    p = 1 << log_p
    r = np.random.default_rng(seed)
    key = r.integers(0, key_range, (1000, p))
    index = np.broadcast_to(np.arange(p), key.shape)
    (_,), (got,) = sort_desc([key * p + (p - 1 - index)], [index])
    expected = np.argsort(-key, axis=1, kind="stable")
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- the stage against a plain model


def _plain_stage(pt, eta, phi, jeta, jphi, cfg):
    """Per jet, in plain Python: stable top-N by pT, then stable sort by pT * dR."""
    out = []
    for j in range(len(pt)):
        parts = []
        for i in range(cfg.n_in):
            de = int(np.clip(eta[j, i] - jeta[j], -512, 511))
            dp = int(phi[j, i] - jphi[j])
            dp = (dp + 720) % 1440 - 720
            dp = int(np.clip(dp, -512, 511))
            parts.append((int(pt[j, i]), de, dp))
        parts = sorted(parts, key=lambda x: -x[0])[: cfg.n_out]  # sorted() is stable
        parts = sorted(parts, key=lambda x: -(x[0] ** 2) * (x[1] ** 2 + x[2] ** 2))  # kt^2: same order as kt
        out.append([x if x[0] > 0 else cfg.pad for x in parts] + [cfg.pad] * (cfg.n_out - len(parts)))
    return np.array(out, np.int64)


def _words(r, n_jets, m, pt_max, spread, empty_fraction):
    pt = r.integers(1, pt_max + 1, (n_jets, m))
    pt[r.random((n_jets, m)) < empty_fraction] = 0
    jeta = r.integers(-1000, 1000, n_jets)
    jphi = r.integers(-720, 720, n_jets)
    eta = np.clip(jeta[:, None] + r.integers(-spread, spread + 1, (n_jets, m)), -2048, 2047)
    phi = W.wrap_phi(jphi[:, None] + r.integers(-spread, spread + 1, (n_jets, m)))
    garbage = pt == 0  # empty words may carry any eta/phi: the stage must ignore them
    eta[garbage] = r.integers(-2048, 2048, garbage.sum())
    return W.pack(pt, eta, phi), W.pack(np.full(n_jets, 4000), jeta, jphi), (pt, eta, phi, jeta, jphi)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_out=st.sampled_from([1, 3, 8, 16]),
    extra=st.sampled_from([0, 0, 1, 5, 16]),
    pt_max=st.sampled_from([1, 3, 200, 16383]),  # 1 and 3: pT and k_T ties everywhere
    spread=st.sampled_from([0, 2, 200, 1500]),  # 0: dR = 0 ties; 1500: saturated deltas and phi wrap
    empty_fraction=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_stage_equals_plain_stable_sorts(seed, n_out, extra, pt_max, spread, empty_fraction):
    cfg = StageConfig(n_out, n_out + extra, pad=(61, -3, 7))
    r = np.random.default_rng(seed)
    cand, jets, (pt, eta, phi, jeta, jphi) = _words(r, 30, cfg.n_in, pt_max, spread, empty_fraction)
    got, valid = run(cand, jets, cfg)
    np.testing.assert_array_equal(got, _plain_stage(pt, eta, phi, jeta, jphi, cfg))
    np.testing.assert_array_equal(valid, (pt > 0).sum(axis=1)[:, None] > np.arange(n_out)[None, :])


def test_stage_order_equals_software_preprocessing_on_a_wrapped_jet():
    """One jet at phi = +pi: particles across the +-pi line, a k_T tie, a dR = 0 particle, empty words."""
    jet = W.pack([4000], [100], [719])
    pt = np.array([[40, 40, 20, 8, 0, 12, 0]])
    deta = np.array([[3, -4, 6, 0, 0, -2, 0]])
    dphi = np.array([[4, 3, -8, 0, 0, 5, 0]])  # +4 from 719 crosses to -717
    cand = W.pack(pt, 100 + deta, W.wrap_phi(719 + dphi))
    got, valid = run(cand, jet, StageConfig(6, 7))
    # k_T = 40 x 5 = 40 x 5 = 20 x 10: a three-way tie keeps pT, then input order; dR = 0 before the empty slots
    np.testing.assert_array_equal(got[0, :, 0], [40, 40, 20, 12, 8, 0])
    np.testing.assert_array_equal(got[0, :, 2], [4, 3, -8, 5, 0, 0])
    phys = to_physics(np.stack([pt, deta, dphi], -1))
    f, m = select_and_sort(JetSet(phys.astype(np.float32), pt > 0, np.zeros(1, int)), 6, "kt")
    np.testing.assert_array_equal(valid, m)
    np.testing.assert_allclose(to_physics(got)[m], f[m], rtol=1e-6)


def test_stage_refuses_fewer_words_than_n():
    with pytest.raises(ConfigError, match="M >= N candidate words"):
        StageConfig(32, 16)


# ---------------------------------------------------------------- the C++ against the model


@pytest.mark.parametrize("n_out, n_in", [(16, 16), (32, 64), (5, 13)])
def test_cpp_stage_bit_exact(tmp_path, n_out, n_in):
    from salt_hls.l1input.csim import compile_testbench, run_testbench

    cfg = StageConfig(n_out, n_in, pad=(61, 0, -1))
    exe = compile_testbench(cfg, tmp_path)
    r = np.random.default_rng(n_in)
    batches = [
        _words(r, 40, n_in, pt_max, spread, empty)
        for pt_max, spread, empty in [(3, 0, 0.3), (16383, 1500, 0.1), (200, 100, 0.0), (50, 30, 1.0), (1, 2, 0.5)]
    ]
    cand = np.concatenate([b[0] for b in batches])
    jets = np.concatenate([b[1] for b in batches])
    expected, _ = run(cand, jets, cfg)
    np.testing.assert_array_equal(run_testbench(exe, cand, jets, n_out), expected)


# ---------------------------------------------------------------- folding the normalization


def test_folded_first_layer_gives_trained_padding_output_exactly(rng):
    norm = Normalization([15.2374, -5.49e-5, -6.9e-5], [117.414, 0.41184, 0.41404])
    kernel = np.round(rng.normal(0, 0.5, (3, 16)) * 64) / 64  # an 8,1 kernel
    bias = np.round(rng.normal(0, 0.5, 16) * 64) / 64
    frac = weight_frac(norm, 6)
    assert frac == 15  # 6 + ceil(log2(117.414 / 0.25))
    f = fold(kernel, bias, norm, frac)
    assert f.pad == (61, 0, 0)
    padding_slot = np.array(f.pad, np.int64)
    np.testing.assert_array_equal(first_layer(padding_slot, f), bias)  # exactly b, bit for bit
    u = np.array([[400, 30, -25], [61, 1, 0]])  # a real particle: close to the trained layer
    trained = ((to_physics(u) - norm.center) / norm.scale) @ kernel + bias
    np.testing.assert_allclose(first_layer(u, f), trained, atol=3 * 2.0**-frac * 520)


# ---------------------------------------------------------------- cost


def test_stage_cost_known_counts():
    c = stage_cost(StageConfig(32, 64))
    assert c["parts"]["pt_selection"]["comparators"] == 672 and c["parts"]["pt_selection"]["stages"] == 21
    assert c["parts"]["kt_sort"]["comparators"] == 240 and c["parts"]["kt_sort"]["stages"] == 15
    # selection compare-exchange: key pt + index (14 + 6), element pt, deta, dphi, index (14 + 10 + 10 + 6)
    assert c["parts"]["pt_selection"]["luts"] == 672 * (20 + 40)
    # k_T compare-exchange: key kt2, pt, index (48 + 14 + 6), element + kt2 (40 + 48)
    assert c["parts"]["kt_sort"]["luts"] == 240 * (68 + 88)
    assert c["dsp"] == 32 * 5  # deta^2, dphi^2, pt^2: one DSP each; the 28 x 20 product: two
    assert stage_cost(StageConfig(32, 32))["parts"]["pt_selection"]["luts"] == 0  # M = N: no selection network


# ---------------------------------------------------------------- write-words


def test_write_words_command_round_trips_the_jets(tmp_path):
    import h5py
    from click.testing import CliRunner
    from conftest import write_pythia_layout

    from salt_hls.cli.app import main
    from salt_hls.data.jets import load_jets
    from salt_hls.l1input.writer import load_words

    src, out = tmp_path / "jets.h5", tmp_path / "words.h5"
    write_pythia_layout(src, n_jets=20, m=24)
    res = CliRunner().invoke(main, ["write-words", "--jets", str(src), "--out", str(out), "--candidates", "16", "--json"])
    assert res.exit_code == 0, res.output
    cand, jets_w, labels = load_words(out)
    assert cand.shape == (20, 16) and cand.dtype == np.uint64 and jets_w.shape == (20,)
    jets = load_jets(src)
    np.testing.assert_array_equal(labels, jets.labels)
    pt, eta, phi = W.unpack(cand)
    _, jeta, jphi = W.unpack(jets_w)
    real = pt > 0
    # each particle's pT and its deltas to the jet come back within half a step of each word's rounding
    np.testing.assert_allclose(pt[real] * 0.25, jets.features[:, :16, 0][real], atol=0.125 + 1e-3)
    dphi = W.wrap_phi(phi - jphi[:, None]) * W.ETAPHI_LSB
    np.testing.assert_allclose(dphi[real], jets.features[:, :16, 2][real], atol=W.ETAPHI_LSB + 1e-6)
    deta = (eta - jeta[:, None]) * W.ETAPHI_LSB
    np.testing.assert_allclose(deta[real], jets.features[:, :16, 1][real], atol=W.ETAPHI_LSB + 1e-6)
    with h5py.File(out) as fh:
        assert "l1ct::PuppiObj::pack" in fh.attrs["layout"]
    summary = json.loads(res.output)
    assert summary["real_particles_not_written"] == int(jets.mask[:, 16:].sum())
    again = CliRunner().invoke(main, ["write-words", "--jets", str(src), "--out", str(out)])
    assert again.exit_code != 0 and "exists; pass --force" in again.output


def test_write_words_refuses_too_many_candidates(tmp_path):
    from conftest import write_pythia_layout

    from salt_hls.l1input.writer import write_words

    write_pythia_layout(tmp_path / "jets.h5", n_jets=5, m=8)
    with pytest.raises(DataError, match=r"--candidates must lie in 1..8"):
        write_words(tmp_path / "jets.h5", tmp_path / "w.h5", n_candidates=9)


# ---------------------------------------------------------------- words to scores, end to end


@pytest.mark.slow
def test_words_to_scores_csim_equals_reference(shared_jets_path, tmp_path):
    """Shared test jets as words -> the C++ stage -> normalization -> the hls4ml C simulation of
    salt_n16, against the NumPy stage -> the bit-exact reference: every logit bit equal."""
    from pathlib import Path

    from salt_hls.data.jets import load_jets
    from salt_hls.data.preprocess import split_indices
    from salt_hls.emulate import Reference
    from salt_hls.hls.convert import ConvertSettings, convert
    from salt_hls.l1input.csim import compile_testbench, run_testbench
    from salt_hls.l1input.writer import load_words, write_words
    from salt_hls.model.io import load_model

    model_dir = Path(__file__).resolve().parents[1] / "keras_models" / "salt_n16"
    model, meta = load_model(model_dir)
    n = meta["spec"]["n_particles"]
    words = tmp_path / "words.h5"
    write_words(shared_jets_path, words, max_jets=2000, n_candidates=2 * n)
    cand, jets_w, labels = load_words(words)
    pick = split_indices(len(load_jets(shared_jets_path)), 0)[2]
    pick = pick[pick < 2000][:300]
    cand, jets_w, labels = cand[pick], jets_w[pick], labels[pick]
    cfg = StageConfig(n, 2 * n)
    u_cpp = run_testbench(compile_testbench(cfg, tmp_path / "tb"), cand, jets_w, n)
    u, valid = run(cand, jets_w, cfg)
    np.testing.assert_array_equal(u_cpp, u)
    norm = Normalization.from_dict(meta["normalization"])
    x = norm.apply(to_physics(u_cpp).astype(np.float32), u_cpp[..., 0] > 0)
    hls_model = convert(model_dir, tmp_path / "prj", ConvertSettings())
    hls_model.compile()
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    expected = Reference(model).run(norm.apply(to_physics(u).astype(np.float32), valid))
    assert np.all(got == expected, axis=1).sum() == len(pick)
    assert np.mean(expected.argmax(1) == labels) > 0.5


@pytest.mark.slow
def test_ip_from_written_words_equals_reference(shared_jets_path, tmp_path):
    """salt-hls write-words on the shared jets -> the IP (stage + folded salt_n16 in one top, M = 2N)
    in C simulation, against the NumPy stage + the folded model's bit-exact reference: every score bit."""
    from pathlib import Path

    from salt_hls.data.preprocess import split_indices
    from salt_hls.ip.top import build_ip, compile_ip, reference, run_ip
    from salt_hls.l1input.writer import load_words, write_words

    model_dir = Path(__file__).resolve().parents[1] / "keras_models" / "salt_n16"
    n = json.loads((model_dir / "metadata.json").read_text())["spec"]["n_particles"]
    write_words(shared_jets_path, tmp_path / "words.h5", max_jets=1500, n_candidates=2 * n)
    cand, jets_w, labels = load_words(tmp_path / "words.h5")
    pick = np.sort(split_indices(120_000, 0)[2])
    pick = pick[pick < 1500][:300]
    ip = build_ip(model_dir, tmp_path / "prj", n_candidates=2 * n)
    assert ip["pad"] == [135, 0, 0]  # salt_n16's normalization centre, 33.77 GeV, in 0.25 GeV
    got, valid = run_ip(compile_ip(tmp_path / "prj"), cand[pick], jets_w[pick])
    expected = reference(tmp_path / "prj", cand[pick], jets_w[pick])
    assert np.all(got == expected, axis=1).sum() == len(pick) and valid.all()
    assert np.mean(expected.argmax(1) == labels[pick]) > 0.5
