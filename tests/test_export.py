"""The tagger IP (input stage + network in one top) and its export bundle, on a tiny random model."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from salt_hls.errors import ConfigError, DataError

N, M = 4, 7  # M > N and not a power of two: the pT selection network and its padding are exercised
NORM = {"center": [30.0, 0.001, -0.002], "scale": [100.0, 0.3, 0.3], "features": ["pt", "deta", "dphi"], "method": "test"}


def _tiny_model_dir(root: Path) -> Path:
    import tensorflow as tf

    from salt_hls.model.builders import ModelSpec, build_model
    from salt_hls.model.io import save_model

    tf.keras.utils.set_random_seed(3)
    spec = ModelSpec(n_particles=N, n_partitions=2, d_model=8, n_heads=2, ffn_dim=8, classifier_dim=8)
    model = build_model(spec)
    r = np.random.default_rng(3)
    model.set_weights([w + r.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    meta = {
        "spec": spec.to_dict(),
        "sort": "kt",
        "features": ["pt", "deta", "dphi"],
        "normalization": NORM,
        "classes": ["g", "q", "W", "Z", "t"],
        "training": {"epochs": 0, "note": "random test model"},
    }
    return save_model(model, root / "model", meta)


@pytest.fixture(scope="module")
def ip_project(tmp_path_factory):
    from salt_hls.ip.top import build_ip

    root = tmp_path_factory.mktemp("ip")
    model_dir = _tiny_model_dir(root)
    ip = build_ip(model_dir, root / "prj", n_candidates=M)
    return model_dir, root / "prj", ip


@pytest.fixture(scope="module")
def bundle(ip_project, tmp_path_factory):
    from salt_hls.export import export_project

    out = tmp_path_factory.mktemp("bundle") / "ip"
    manifest = export_project(ip_project[1], out, max_jets=40)
    return out, manifest


# ---------------------------------------------------------------- the folded network


def test_folded_network_gives_the_trained_bias_on_padding_and_takes_native_integers(ip_project):
    from salt_hls.data.preprocess import Normalization
    from salt_hls.hls.convert import MODEL_COPY
    from salt_hls.l1input.fold import weight_frac
    from salt_hls.model.firmware import firmware_model
    from salt_hls.model.io import load_model

    model_dir, prj, ip = ip_project
    trained, _ = load_model(model_dir)
    folded, meta = load_model(prj / MODEL_COPY)
    frac = weight_frac(Normalization.from_dict(NORM), 6)  # the embedding kernel is 8,1: 6 fractional bits
    assert meta["input_stage"]["weight_frac"] == frac == 6 + 9  # ceil(log2(100 / 0.25)) = 9
    assert ip["pad"] == [120, 0, 0]  # 30 GeV / 0.25; the angular centres round to 0
    emb_t, emb_f = firmware_model(trained).get_layer("embed"), firmware_model(folded).get_layer("embed")
    pad = np.array(ip["pad"], np.float64)
    np.testing.assert_array_equal(pad @ emb_f.kernel.numpy().astype(np.float64) + emb_f.bias.numpy(), emb_t.bias.numpy())
    summary = json.loads((prj / "salt_summary.json").read_text())
    assert summary["firmware_input"]["type"] == "fixed<15,15,RND_CONV,SAT>"  # every stage integer exactly
    assert summary["precisions"]["embed"]["types"]["weight"].startswith(f"fixed<{1 + frac}")


def test_ip_refuses_fewer_words_than_particles_before_converting(ip_project, tmp_path):
    from salt_hls.ip.top import build_ip

    with pytest.raises(ConfigError, match="M >= N candidate words"):
        build_ip(ip_project[0], tmp_path / "prj", n_candidates=N - 1)
    assert not (tmp_path / "prj").exists()


# ---------------------------------------------------------------- the IP top and its C simulation


def test_ip_signature_lists_every_port_in_order(ip_project):
    prj = ip_project[1]
    header = (prj / "firmware" / "salt_ip.h").read_text()
    names = re.findall(r"(?:const )?(?:ap_uint<64>|bool|result_t) &?(\w+)[,)]", header)
    assert names == [f"cand_{i}" for i in range(M)] + [
        "jet",
        "in_valid",
        "score_g",
        "score_q",
        "score_W",
        "score_Z",
        "score_t",
        "out_valid",
    ]
    cpp = (prj / "firmware" / "salt_ip.cpp").read_text()
    assert "#pragma HLS INTERFACE ap_ctrl_none port = return" in cpp
    assert "static const unsigned n_in = 7, n_out = 4, sort_in = 8, sort_out = 4;" in cpp
    assert "pad_pt = 120, pad_deta = 0, pad_dphi = 0" in cpp


@pytest.mark.slow
def test_ip_csim_equals_reference_bit_for_bit(ip_project):
    from salt_hls.ip.top import compile_ip, reference, run_ip, stand_in_words

    _, prj, _ = ip_project
    cand, jets = stand_in_words(200, M, seed=11)
    cand[:5] = 0  # empty jets: every slot padding
    valid = np.arange(200) % 4 != 1
    got, out_valid = run_ip(compile_ip(prj), cand, jets, valid)
    expected = reference(prj, cand, jets)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(out_valid, valid)
    assert len(np.unique(expected, axis=0)) > 150  # the jets give different scores: the comparison means something


def test_estimate_costs_the_input_stage(ip_project):
    from salt_hls.estimate.estimator import estimate_project
    from salt_hls.estimate.input_stage import stage_cost
    from salt_hls.l1input.stage import StageConfig

    r = estimate_project(ip_project[1]).to_dict()
    first = r["breakdown"]["layers"][0]
    cost = stage_cost(StageConfig(N, M))
    assert first["name"] == "input_stage" and first["lut"] == cost["luts"] and first["dsp"] == cost["dsp"] == 5 * N
    assert r["resources"]["post_synthesis"]["LUT"] == sum(layer["lut"] for layer in r["breakdown"]["layers"])
    assert any("input stage" in n for n in r["notes"])


# ---------------------------------------------------------------- the bundle


def _signature_widths(bundle_dir: Path) -> dict:
    """Port name -> width in bits, read from the bundle's C++ (the header's signature and defines.h)."""
    fw = bundle_dir / "hls" / "firmware"
    header = (fw / "salt_ip.h").read_text()
    m = re.search(r"typedef ap_fixed<(\d+),", re.search(r"typedef [^;]* result_t;", (fw / "defines.h").read_text()).group(0))
    widths = {"ap_uint<64>": 64, "bool": 1, "result_t": int(m.group(1))}
    return {name: widths[t] for t, name in re.findall(r"(?:const )?(ap_uint<64>|bool|result_t) &?(\w+)[,)]", header)}


def test_bundle_ports_match_the_top_signature(bundle):
    out, manifest = bundle
    signature = _signature_widths(out)
    assert [p["name"] for p in manifest["ports"]] == list(signature)
    for p in manifest["ports"]:
        assert signature[p["name"]] == p["width"], p["name"]
        assert p["meaning"] and p["format"]
    assert manifest["top"] == "salt_ip" and manifest["timing"]["ii_cycles"] == 1
    for src in manifest["synthesis_sources"] + ["hls/firmware/salt_input_stage.h", "hls/firmware/ap_types/ap_int.h"]:
        assert (out / src).is_file(), src


def test_bundle_tcl_names_the_top_and_part(bundle):
    out, manifest = bundle
    for name in ("vitis_hls.tcl", "vivado_hls.tcl"):
        text = (out / name).read_text()
        assert "set_top salt_ip\n" in text and "set_part {xcvu13p-flga2577-2-e}" in text
        assert "export_design -format ip_catalog" in text and "create_clock -period 5.0" in text
    assert "-flow_target vivado" in (out / "vitis_hls.tcl").read_text()
    v = manifest["vendor"]
    assert v["ran"] is False and v["command"].endswith("vitis_hls -f vitis_hls.tcl")  # no vendor tool here


def test_bundle_vectors_reproduce_through_the_reference(bundle, ip_project):
    from salt_hls.export.bundle import score_bits
    from salt_hls.ip.top import reference

    out, manifest = bundle
    rows = (out / "testbench" / "input_words.txt").read_text().split("\n")
    assert int(rows[0]) == manifest["testbench"]["jets"] == 40
    words = np.array([[int(v) for v in r.split()] for r in rows[1:41]], dtype=np.uint64)
    assert words.shape == (40, 2 + M) and np.all(words[:, 0] == 1)
    scores = reference(ip_project[1], words[:, 2:], words[:, 1])
    expected = np.array(
        [[float(v) for v in r.split()] for r in (out / "testbench" / "expected_scores.txt").read_text().splitlines()]
    )
    np.testing.assert_array_equal(expected[:, 1:], scores)
    assert "-0" not in (out / "testbench" / "expected_scores.txt").read_text().split()  # the C++ prints a fixed-point zero as 0
    bits = [r.split() for r in (out / "testbench" / "expected_bits.txt").read_text().splitlines()]
    assert bits == score_bits(scores, manifest["ports"][-2]["format"])


def test_bundle_manifest_model_hash_and_input_convention(bundle, ip_project):
    import hashlib

    out, manifest = bundle
    model_dir = ip_project[0]
    assert manifest["model"]["source"]["sha256"] == hashlib.sha256((model_dir / "model.h5").read_bytes()).hexdigest()
    assert manifest["model"]["training"] == {"epochs": 0, "note": "random test model"}
    conv = manifest["input_convention"]
    assert conv["candidate_word"]["fields"]["eta"]["bits"] == [14, 25] and conv["candidates"] == M
    assert "folded into the first layer" in conv["normalization"]
    assert (out / "LICENSES" / "NOTICE").is_file()


def test_score_bits_known_patterns():
    from salt_hls.export.bundle import score_bits

    assert score_bits(np.array([[1.0, -0.5, -64.0]]), "fixed<16,7,RND_CONV,SAT>") == [["0200", "ff00", "8000"]]
    with pytest.raises(DataError, match="not on the grid"):
        score_bits(np.array([[2.0**-10]]), "fixed<16,7>")


def test_export_refuses_other_directories_and_replaces_only_an_export(ip_project, bundle, tmp_path):
    from salt_hls.cli import main

    prj = str(ip_project[1])
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    r = CliRunner().invoke(main, ["export", prj, "--out", str(other), "--force", "--max-jets", "2"])
    assert r.exit_code == 2 and "not a salt-hls export" in r.output
    assert (other / "keep.txt").read_text() == "x"
    r = CliRunner().invoke(main, ["export", prj, "--out", str(bundle[0]), "--max-jets", "2"])
    assert r.exit_code == 2 and "pass --force" in r.output
    again = tmp_path / "again"
    r = CliRunner().invoke(main, ["export", prj, "--out", str(again), "--max-jets", "3", "--no-vendor"])
    assert r.exit_code == 0, r.output
    (again / "stale.txt").write_text("old")
    r = CliRunner().invoke(main, ["export", prj, "--out", str(again), "--max-jets", "3", "--force", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["testbench"]["jets"] == 3 and not (again / "stale.txt").exists()


def test_export_refuses_a_project_without_the_input_stage(tmp_path):
    from salt_hls.cli import main

    (tmp_path / "prj").mkdir()
    (tmp_path / "prj" / "salt_summary.json").write_text(json.dumps({"salt_hls_version": "0", "settings": {}}))
    r = CliRunner().invoke(main, ["export", str(tmp_path / "prj"), "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "salt-hls ip MODEL --out DIR" in r.output


@pytest.mark.slow
def test_bundle_csim_from_its_own_sources(bundle, tmp_path):
    """The bundle alone (copied elsewhere) compiles with g++ and reproduces its expected scores; a changed
    expected score is found and named."""
    import shutil

    from salt_hls.export.bundle import check_bundle

    copy = tmp_path / "moved"
    shutil.copytree(bundle[0], copy)
    assert check_bundle(copy) == {"jets": 40, "bit_exact_jets": 40, "first_mismatch": None}
    lines = (copy / "testbench" / "expected_scores.txt").read_text().splitlines()
    lines[7] = lines[7].rsplit(" ", 1)[0] + " 99"
    (copy / "testbench" / "expected_scores.txt").write_text("\n".join(lines) + "\n")
    assert check_bundle(copy) == {"jets": 40, "bit_exact_jets": 39, "first_mismatch": 7}
