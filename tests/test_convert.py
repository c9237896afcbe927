"""Whole-model conversion, C simulation of the shipped model, and the converter's refusals."""

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from salt_hls.cli import main
from salt_hls.errors import ConfigError, DataError
from salt_hls.hls.convert import convert, firmware_model
from salt_hls.model.builders import ModelSpec, build_model
from salt_hls.settings import ConvertSettings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_N16 = ROOT / "keras_models" / "salt_n16"


def _random_model(spec, seed=0):
    tf.keras.utils.set_random_seed(seed)  # the initializers draw from the global state: fix it, whatever ran before
    model = build_model(spec)
    r = np.random.default_rng(seed)
    model.set_weights([w + r.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["Vitis", "Vivado"])
@pytest.mark.parametrize("architecture", ["salt", "linformer"])
def test_full_model_is_bit_exact(backend, architecture, tmp_path):
    model = _random_model(ModelSpec(architecture=architecture, n_particles=10), seed=1)
    x = np.random.default_rng(2).normal(0, 1.5, (60, 10, 3)).astype(np.float32)
    hls_model = convert(model, tmp_path / "prj", ConvertSettings(backend=backend), tb_inputs=x[:10])
    hls_model.compile()
    expected = firmware_model(model).predict(x, verbose=0)
    np.testing.assert_array_equal(np.asarray(hls_model.predict(x)).reshape(expected.shape), expected)
    assert np.unique(expected.argmax(1)).size > 1  # outputs are not degenerate
    summary = json.loads((tmp_path / "prj" / "salt_summary.json").read_text())
    assert summary["settings"]["backend"] == backend and summary["firmware_output"]["name"] == "logits_quant"
    assert summary["precisions"]["attn_softmax"]["types"]["result"] == "ufixed<10,1,RND_CONV,SAT>"
    for f in (
        "firmware/salt_tagger.cpp",
        "firmware/parameters.h",
        "tb_data/tb_input_features.dat",
        "build_prj.tcl",
        "firmware/nnet_utils/salt_softmax.h",
    ):
        assert (tmp_path / "prj" / f).is_file(), f


@pytest.mark.slow
@pytest.mark.parametrize("parallelization,n_partitions", [(None, 1), (2, 5)])
def test_parallelization_factor(parallelization, n_partitions, tmp_path):
    """By default every per-particle layer takes all N particles per clock (hls4ml n_partitions = 1,
    II = 1); a smaller factor time-multiplexes the particles and must compute the same bits."""
    model = _random_model(ModelSpec(n_particles=10), seed=3)
    x = np.random.default_rng(4).normal(0, 1.5, (40, 10, 3)).astype(np.float32)
    hls_model = convert(model, tmp_path / "prj", ConvertSettings(parallelization=parallelization), tb_inputs=x[:10])
    params = (tmp_path / "prj" / "firmware" / "parameters.h").read_text()
    assert "n_partitions = 10;" not in params  # hls4ml's default, PF = 1
    assert f"static const unsigned n_partitions = {n_partitions};" in params
    summary = json.loads((tmp_path / "prj" / "salt_summary.json").read_text())
    assert summary["parallelization_factor"] == (parallelization or 10)
    hls_model.compile()
    expected = firmware_model(model).predict(x, verbose=0)
    np.testing.assert_array_equal(np.asarray(hls_model.predict(x)).reshape(expected.shape), expected)


@pytest.mark.slow
def test_shipped_n16_csim_on_shared_jets(shared_jets_path, tmp_path):
    res = CliRunner().invoke(main, ["convert", str(SHIPPED_N16), "--out", str(tmp_path / "prj")])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        main, ["csim", str(tmp_path / "prj"), "--jets", str(shared_jets_path), "--max-jets", "1000", "--test-split", "--json"]
    )
    assert res.exit_code == 0, res.output
    r = json.loads(res.output.strip().splitlines()[-1])
    assert r["n_jets"] == 1000
    assert r["argmax_agreement"] >= 0.99
    # The QKeras layers compute the firmware's arithmetic, tables included: every output bit agrees.
    assert r["n_bit_exact"] == 1000 and r["max_abs_diff"] == 0.0
    assert r["accuracy_csim"] == r["accuracy_keras"] > 0.4


def test_refuses_existing_project(tmp_path):
    (tmp_path / "prj").mkdir()
    (tmp_path / "prj" / "mine.txt").write_text("keep")
    model = build_model(ModelSpec(n_particles=8))
    with pytest.raises(DataError, match="exists and is not empty; choose another directory or pass --force"):
        convert(model, tmp_path / "prj")
    assert (tmp_path / "prj" / "mine.txt").read_text() == "keep"
    with pytest.raises(DataError, match="is not a salt-hls project"):
        convert(model, tmp_path / "prj", force=True)
    assert (tmp_path / "prj" / "mine.txt").read_text() == "keep"


@pytest.mark.parametrize(
    "settings,msg",
    [
        (ConvertSettings(part="xc7a35t"), "xc7a35t"),
        (ConvertSettings(clock_ns=0), "clock period 0 ns is out of range"),
        (ConvertSettings(reuse=0), "reuse factor must be an integer >= 1"),
        (ConvertSettings(backend="Quartus"), "unknown backend 'Quartus'"),
        (ConvertSettings(parallelization=3), r"parallelization factor 3 does not divide N = 8; choose one of \[1, 2, 4, 8\]"),
        (ConvertSettings(parallelization=0), "parallelization factor must be an integer >= 1"),
    ],
)
def test_bad_settings_are_refused(settings, msg, tmp_path):
    with pytest.raises(ConfigError, match=msg):
        convert(build_model(ModelSpec(n_particles=8)), tmp_path / "prj", settings)


def test_float_twin_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="only quantized models convert"):
        convert(build_model(ModelSpec(n_particles=8, quantized=False)), tmp_path / "prj")


def test_unsupported_layer_is_named(tmp_path):
    spec = ModelSpec(n_particles=8)
    base = build_model(spec)
    x = tf.keras.layers.LayerNormalization(name="my_norm")(base.get_layer("dyt2").output)
    x = tf.keras.layers.GlobalMaxPooling1D(name="pool2")(x)
    model = tf.keras.Model(base.input, x)
    with pytest.raises(ConfigError, match=r"my_norm \(LayerNormalization\)"):
        convert(model, tmp_path / "prj")


def test_bad_head_dim_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="head dimension d = 2"):
        convert(build_model(ModelSpec(n_particles=8, d_model=16, n_heads=8)), tmp_path / "prj")


def test_bad_n_p_refused_by_cli(tmp_path, tiny_jets):
    res = CliRunner().invoke(main, ["train", "--jets", str(tiny_jets), "--particles", "5", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "leaves partition 3 empty" in res.output
    res = CliRunner().invoke(main, ["convert", str(tmp_path / "none"), "--out", str(tmp_path / "p"), "--clock-ns", "-1"])
    assert res.exit_code == 2
