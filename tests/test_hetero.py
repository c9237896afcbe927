"""Heterogeneous weight quantization: per-weight learned widths, pruning, the EBOPs term, export."""

import json

import numpy as np
import pytest
import tensorflow as tf

from salt_hls.errors import ConfigError
from salt_hls.model import hetero as H
from salt_hls.model.builders import ModelSpec, build_model
from salt_hls.model.io import load_model
from salt_hls.model.quantize import Fixed
from salt_hls.train import TrainSettings, train

N = 8


@pytest.fixture(scope="module")
def spec():
    return ModelSpec(n_particles=N)


def _hetero(spec, seed=0):
    tf.keras.utils.set_random_seed(seed)
    return H.heterogenize(build_model(spec))


def _x(seed=1, n=32):
    return np.random.default_rng(seed).normal(0, 1, (n, N, 3)).astype(np.float32)


def test_quantizer_known_values():
    w = tf.constant([0.3, -0.7, 1.9, 0.01, 0.3])
    f = tf.constant([2.0, 0.0, 3.0, -1.0, 9.0])
    q, fr = H.hetero_quantize(w, f, cap=1, max_frac=8)
    # 0.3 on a 1/4 grid; -0.7 -> -1; 1.9 saturates at 2 - 1/8; 0.01 is pruned; frac 9 is capped at 8
    np.testing.assert_array_equal(q.numpy(), [0.25, -1.0, 1.875, 0.0, 77 / 256])
    np.testing.assert_array_equal(fr.numpy(), [2, 0, 3, -1, 8])
    np.testing.assert_array_equal(H.integer_bits(q, fr).numpy(), [-1, 0, 1, 0, -1])
    np.testing.assert_array_equal(H.weight_bits(q, fr).numpy(), [2, 1, 5, 0, 8])


def test_plain_and_hetero_models_agree_at_the_start(spec):
    model = build_model(spec)
    het = H.heterogenize(model)
    np.testing.assert_array_equal(model.predict(_x(), verbose=0), het.predict(_x(), verbose=0))
    kinds = {type(layer).__name__ for layer in het.layers}
    assert {"HQDense", "HPartitionProjection", "HLogitConv"} <= kinds and "QDense" not in kinds


def test_ebops_counts_weight_bits_times_input_bits_times_copies(spec):
    het = _hetero(spec)
    embed = het.get_layer("embed")  # 3 x 16 kernel, 16-bit input, one copy per particle
    q, f = embed.quantized_kernel()
    bits = H.weight_bits(q, f).numpy()
    assert (embed.input_bits, embed.copies) == (16, N)
    assert float(embed.ebops()) == bits.sum() * 16 * N
    conv = het.get_layer("logit_conv")
    assert conv.copies == 4 * N * 4  # heads x particles x partitions
    assert het.get_layer("ffn1").input_bits == 12  # DyT output, "12,0"
    assert het.get_layer("logits").copies == 1


def test_gradient_reaches_every_width(spec):
    het = _hetero(spec)
    r = np.random.default_rng(7)  # off the initial grid (the partition kernel starts at exactly 1/c)
    for v in het.weights:
        if not v.name.endswith("frac:0"):
            v.assign(v + r.normal(0, 0.1, v.shape).astype(np.float32))
    layers = [layer for layer in het.layers if isinstance(layer, H.HETERO_LAYERS)]
    y = np.arange(32) % 5
    with tf.GradientTape(persistent=True) as tape:
        ce = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, het(_x(), training=True)))
        ebops = H.total_ebops(het)
    for layer in layers:
        g_ce = tape.gradient(ce, layer.frac).numpy()
        assert np.count_nonzero(g_ce) > 0, layer.name
        g_e = tape.gradient(ebops, layer.frac).numpy()
        q, _ = layer.quantized_kernel()
        # d EBOPs / d f = input bits x copies for every kept weight, 0 for a pruned one (the variable is f / 32)
        np.testing.assert_array_equal(g_e, np.where(q.numpy() != 0, layer.input_bits * layer.copies * 32.0, 0.0))


def test_zero_width_weights_are_exactly_zero_and_stay_zero_in_the_export(spec):
    het = _hetero(spec)
    layer = het.get_layer("q_proj")
    k = layer.kernel.numpy()
    small = np.abs(k) < 0.5  # at F = -cap = -1 the grid is {-2, 0}: these round to zero
    assert small.sum() > 50
    layer.set_fractional(np.where(small, -5.0, layer.fractional.numpy()))
    fmt = layer.per_weight_formats()
    np.testing.assert_array_equal(fmt["values"][small], 0.0)
    np.testing.assert_array_equal(fmt["bits"][small], 0)
    frozen = H.freeze(het)
    kernel = frozen.get_layer("q_proj").get_weights()[0]
    assert np.all(kernel[small] == 0.0) and np.all(kernel[~small] != 0.0)
    np.testing.assert_array_equal(frozen.predict(_x(), verbose=0), het.predict(_x(), verbose=0))


def test_weights_are_exactly_representable_in_their_declared_formats(spec):
    het = _hetero(spec)
    r = np.random.default_rng(3)
    for layer in het.layers:
        if isinstance(layer, H.HETERO_LAYERS):
            layer.set_fractional(r.integers(-1, 9, layer.frac.shape))
    frozen = H.freeze(het)
    for layer in het.layers:
        if not isinstance(layer, H.HETERO_LAYERS):
            continue
        f = layer.per_weight_formats()
        v, frac, i, kept = f["values"], f["frac"], f["integer"], f["bits"] > 0
        scaled = v * 2.0**frac
        np.testing.assert_array_equal(scaled, np.round(scaled))  # on the per-weight grid
        assert np.all(v[kept] >= -(2.0 ** i[kept])) and np.all(v[kept] <= 2.0 ** i[kept] - 2.0 ** -frac[kept])
        np.testing.assert_array_equal(f["bits"][kept], 1 + i[kept] + frac[kept])
        # ... and in the layer's widest format, whose QKeras quantizer leaves them unchanged
        wide = H.widest_format(f)
        np.testing.assert_array_equal(wide.quantizer()(tf.constant(v, tf.float32)).numpy(), v.astype(np.float32))
        if layer.name == "logit_conv":
            fl = frozen.get_layer(layer.name)
            np.testing.assert_array_equal(fl.quantize("weight", fl.effective_kernel()[0]).numpy(), v.astype(np.float32))
            assert fl.formats["weight"] == wide
        else:
            assert H.widest_format(f) == Fixed.parse(str(wide))
    np.testing.assert_array_equal(frozen.predict(_x(), verbose=0), het.predict(_x(), verbose=0))


def test_widest_format_of_all_pruned_and_negative_fractions():
    z = np.zeros(3, np.int64)
    assert H.widest_format({"bits": z, "frac": z, "integer": z}) == Fixed(2, 1)
    # -2 at F = -1 (bits 1 + 1 - 1 = 1) and 0.75 at F = 2 (integer 0): 1 + 1 + 2 bits
    assert H.widest_format({"bits": np.array([1, 3]), "frac": np.array([-1, 2]), "integer": np.array([1, 0])}) == Fixed(4, 1)


def test_hetero_model_save_load_round_trip(spec, tmp_path):
    het = _hetero(spec)
    het.get_layer("v_partition").set_fractional(np.full(het.get_layer("v_partition").frac.shape, 3.0))
    het.save(tmp_path / "h.h5", save_format="h5", include_optimizer=False)
    back = tf.keras.models.load_model(tmp_path / "h.h5", custom_objects=H.custom_objects(), compile=False)
    np.testing.assert_array_equal(back.predict(_x(), verbose=0), het.predict(_x(), verbose=0))
    assert back.get_layer("v_partition").get_config() == het.get_layer("v_partition").get_config()
    np.testing.assert_array_equal(back.get_layer("v_partition").fractional.numpy(), 3.0)
    assert float(H.total_ebops(back)) == float(H.total_ebops(het))


def test_settings_are_validated():
    with pytest.raises(ConfigError, match="beta must be a finite number >= 0"):
        H.HeteroSettings(beta=-1.0).validate()
    with pytest.raises(ConfigError, match="needs a starting beta > 0"):
        H.HeteroSettings(beta=0.0, target_ebops=1e5).validate()
    with pytest.raises(ConfigError, match="embed is not quantized; heterogenize the quantized model, not its float twin"):
        H.heterogenize(build_model(ModelSpec(n_particles=N, quantized=False)))


@pytest.mark.slow
def test_resource_term_is_smaller_at_larger_beta(spec):
    """A few Adam steps at beta = 0 and at a large beta, same seed and data: the larger beta ends with fewer EBOPs."""
    x, y = _x(seed=2, n=128), np.arange(128) % 5
    ebops = {}
    for beta in (0.0, 1e-4):
        het = _hetero(spec, seed=0)
        term = H.ResourceTerm(het, H.HeteroSettings(beta=beta))
        het.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        start = float(H.total_ebops(het))
        hist = het.fit(x, y, epochs=3, batch_size=32, verbose=0, shuffle=False, callbacks=[term])
        ebops[beta] = hist.history["ebops"][-1]
        assert hist.history["beta"] == pytest.approx([beta] * 3, rel=1e-6)
    assert ebops[1e-4] < 0.9 * start and ebops[1e-4] < 0.9 * ebops[0.0]


@pytest.mark.slow
def test_beta_steers_towards_a_target(spec):
    het = _hetero(spec)
    start = float(H.total_ebops(het))
    term = H.ResourceTerm(het, H.HeteroSettings(beta=1e-6, target_ebops=start / 2))
    het.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    hist = het.fit(_x(n=64), np.arange(64) % 5, epochs=2, batch_size=32, verbose=0, callbacks=[term])
    # above target: beta grows by (ebops / target) each epoch
    assert hist.history["ebops"][0] > start / 2
    assert float(term.beta.numpy()) > 1e-6


@pytest.mark.slow
def test_train_writes_frozen_model_with_per_weight_formats(tiny_jets, tmp_path):
    out = tmp_path / "het"
    meta = train(
        tiny_jets,
        ModelSpec(n_particles=N),
        out,
        TrainSettings(epochs=2, patience=1, batch_size=64),
        verbose=0,
        hetero=H.HeteroSettings(beta=1e-6, ramp_epochs=1),
    )
    model, saved = load_model(out)  # the plain loader: the export has no hetero layers
    assert saved == json.loads((out / "metadata.json").read_text()) == meta
    assert not any(isinstance(layer, H.HETERO_LAYERS) for layer in model.layers)
    rec = meta["hetero"]
    assert rec["history"]["beta"] == pytest.approx([0.0, 1e-6], rel=1e-6) and len(rec["history"]["ebops"]) == 2
    assert rec["ebops"] == pytest.approx(sum(v["ebops"] for v in rec["layers"].values()))
    q = rec["layers"]["q_proj"]
    kernel = model.get_layer("q_proj").get_weights()[0].ravel()
    frac, integer = np.array(q["frac"]), np.array(q["integer"])
    np.testing.assert_array_equal(kernel * 2.0**frac, np.round(kernel * 2.0**frac))
    assert q["pruned"] == int((kernel == 0).sum())
    assert str(model.get_layer("q_proj").get_config()["kernel_quantizer"]["config"]["bits"]) == q["widest"].split(",")[0]
    assert np.all(integer[kernel != 0] <= int(q["widest"].split(",")[1]))


def _random_hetero(seed=1, n=10):
    """A tiny heterogeneous SAL-T off every grid, with random per-weight widths (about a third pruned)."""
    tf.keras.utils.set_random_seed(seed)
    het = H.heterogenize(build_model(ModelSpec(n_particles=n)))
    r = np.random.default_rng(seed)
    for v in het.weights:
        if not v.name.endswith("frac:0"):
            v.assign(v + r.normal(0, 0.3, v.shape).astype(np.float32))
    for layer in het.layers:
        if isinstance(layer, H.HETERO_LAYERS):
            layer.set_fractional(r.integers(-1, 9, layer.frac.shape))
    return het


@pytest.mark.slow
@pytest.mark.parametrize("backend,strategy", [("Vitis", "latency"), ("Vivado", "latency"), ("Vitis", "distributed_arithmetic")])
def test_frozen_hetero_model_converts_bit_exact(backend, strategy, tmp_path):
    from salt_hls.emulate import Reference
    from salt_hls.hls.convert import convert
    from salt_hls.model.firmware import firmware_model
    from salt_hls.settings import ConvertSettings

    het = _random_hetero()
    frozen = H.freeze(het)
    formats = {layer.name: layer.per_weight_formats() for layer in het.layers if isinstance(layer, H.HETERO_LAYERS)}
    assert 0.2 < np.mean(np.concatenate([f["bits"].ravel() == 0 for f in formats.values()])) < 0.6
    x = np.random.default_rng(2).normal(0, 1.5, (60, 10, 3)).astype(np.float32)
    hls_model = convert(frozen, tmp_path / "prj", ConvertSettings(backend=backend, dense_strategy=strategy), tb_inputs=x[:10])
    hls_model.compile()
    expected = firmware_model(frozen).predict(x, verbose=0)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(expected.shape)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(Reference(frozen).run(x), expected)
    assert np.unique(expected.argmax(1)).size > 1
    # every constant-weight layer is typed by the widest of its per-weight formats
    precisions = json.loads((tmp_path / "prj" / "salt_summary.json").read_text())["precisions"]
    for name, f in formats.items():
        assert precisions[name]["types"]["weight"] == str(H.widest_format(f).type), name
