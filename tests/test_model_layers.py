"""Each SAL-T Keras layer against the spec's formula in numpy (salt_hls.model.formulas)."""

import numpy as np
import pytest
import tensorflow as tf

from salt_hls.errors import ConfigError
from salt_hls.geometry import partition_geometry
from salt_hls.model import formulas as ref
from salt_hls.model.attention import AttentionScores, PartitionSoftmax, WeightedValues
from salt_hls.model.builders import ModelSpec, build_model
from salt_hls.model.dyt import DynamicTanh
from salt_hls.model.logit_conv import LogitConv
from salt_hls.model.partition import LinformerProjection, PartitionProjection
from salt_hls.model.quantize import Fixed


def _run(layer, *inputs):
    out = layer(inputs[0] if len(inputs) == 1 else list(inputs))
    return np.asarray(out, dtype=np.float64)


@pytest.mark.parametrize("n,p", [(16, 4), (13, 4), (10, 3), (8, 8)])
def test_partition_projection_is_the_weighted_sum(rng, n, p):
    heads, d = 4, 4
    layer = PartitionProjection(p, heads)
    x = rng.normal(size=(3, n, heads * d)).astype(np.float32)
    layer.build(x.shape)
    w = rng.normal(size=layer.kernel.shape).astype(np.float32)
    layer.kernel.assign(w)
    y = _run(layer, x)
    assert y.shape == (3, p, heads * d)
    for b in range(3):
        np.testing.assert_allclose(y[b], ref.partition_projection(x[b].astype(np.float64), w), rtol=1e-5, atol=1e-5)


def test_partition_padding_follows_the_spec(rng):
    # N = 13, p = 4: c = ceil(13/4) = 4, padded to 16; the last chunk holds particle 12 and 3 zeros.
    geo = partition_geometry(13, 4)
    assert (geo.chunk, geo.padded, geo.n_pad) == (4, 16, 3)
    assert list(geo.members(3)) == [12]
    layer = PartitionProjection(4, 1)
    x = np.zeros((1, 13, 2), np.float32)
    x[0, 12] = [2.0, -3.0]
    layer.build(x.shape)
    w = np.zeros((1, 4, 4), np.float32)
    w[0, 3] = [0.5, 7.0, 7.0, 7.0]  # weights of padding slots must not matter
    layer.kernel.assign(w)
    np.testing.assert_array_equal(_run(layer, x)[0], [[0, 0], [0, 0], [0, 0], [1.0, -1.5]])


def test_partition_projection_quantizes_weights_and_result():
    layer = PartitionProjection(2, 1, quant={"weight": "4,0", "result": "6,1"})
    x = np.array([[[1.0], [1.0], [1.0], [1.0]]], np.float32)
    layer.build(x.shape)
    layer.kernel.assign(np.array([[[0.30, 0.30], [0.9, 0.9]]], np.float32))
    # weight 4,0: lsb 1/8, range [-1, 0.875]: 0.30 -> 0.25, 0.9 -> 0.875; result 6,1: lsb 1/16, max 1.9375
    np.testing.assert_array_equal(_run(layer, x)[0, :, 0], [0.5, 1.75])
    x2 = 2 * x
    np.testing.assert_array_equal(_run(layer, x2)[0, :, 0], [1.0, 1.9375])  # 3.5 saturates


def test_linformer_projection_is_dense(rng):
    layer = LinformerProjection(4, 2)
    x = rng.normal(size=(2, 9, 6)).astype(np.float32)
    layer.build(x.shape)
    e = rng.normal(size=(2, 9, 4)).astype(np.float32)
    layer.kernel.assign(e)
    y = _run(layer, x)
    for b in range(2):
        np.testing.assert_allclose(y[b], ref.linformer_projection(x[b].astype(np.float64), e), rtol=1e-5, atol=1e-5)


def test_scores_softmax_and_values(rng):
    heads = 4
    q = rng.normal(size=(2, 10, 16)).astype(np.float32)
    kt = rng.normal(size=(2, 4, 16)).astype(np.float32)
    vt = rng.normal(size=(2, 4, 16)).astype(np.float32)
    s = _run(AttentionScores(heads), q, kt)
    a = _run(PartitionSoftmax(), s.astype(np.float32))
    o = _run(WeightedValues(heads), a.astype(np.float32), vt)
    for b in range(2):
        s_ref = ref.attention_scores(q[b], kt[b], heads)
        np.testing.assert_allclose(s[b], s_ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(a[b], ref.partition_softmax(s_ref), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(o[b], ref.weighted_values(a[b], vt[b]), rtol=1e-5, atol=1e-5)
    # softmax is over the p partitions of each (head, particle), not over the flattened tensor
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-6)
    # sum_heads: the heads' outputs summed (ModelSpec.fold_projections), (N, 16 / 4)
    summed = _run(WeightedValues(heads, sum_heads=True), a.astype(np.float32), vt)
    assert summed.shape == (2, 10, 4)
    for b in range(2):
        np.testing.assert_allclose(summed[b], ref.weighted_values(a[b], vt[b], sum_heads=True), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(summed[b], o[b].reshape(10, heads, 4).sum(axis=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("p", [4, 3])
def test_logit_conv_equals_three_averaged_convolutions(rng, p):
    layer = LogitConv((1, 3, 5))
    s = rng.normal(size=(2, 4, 11, p)).astype(np.float32)
    layer.build(s.shape)
    kernels = [rng.normal(size=(k, p)).astype(np.float32) for k in (1, 3, 5)]
    biases = [0.3, -0.2, 0.05]
    for var, k in zip(layer.kernels, kernels, strict=True):
        var.assign(k)
    for var, b in zip(layer.biases, biases, strict=True):
        var.assign(b)
    y = _run(layer, s)
    for b in range(2):
        np.testing.assert_allclose(y[b], ref.logit_conv(s[b].astype(np.float64), kernels, biases), rtol=1e-5, atol=1e-5)


def test_logit_conv_matches_keras_conv2d_same(rng):
    """The reference's padding is Keras Conv2D(padding='same')'s, heads treated as separate images."""
    s = rng.normal(size=(3, 9, 4)).astype(np.float32)
    kern = rng.normal(size=(3, 4)).astype(np.float32)
    conv = tf.keras.layers.Conv2D(1, (3, 4), padding="same")
    conv.build((None, 9, 4, 1))
    conv.set_weights([kern[:, :, None, None], np.array([0.25], np.float32)])
    keras_out = conv(s[..., None]).numpy()[..., 0]
    np.testing.assert_allclose(ref.logit_conv(s.astype(np.float64), [kern], [0.25]), keras_out, rtol=1e-5, atol=1e-5)


def test_logit_conv_rejects_even_heights():
    with pytest.raises(ValueError, match="odd and positive"):
        LogitConv((1, 2))


def test_dynamic_tanh_quantized_uses_the_firmware_table():
    layer = DynamicTanh(quant={"weight": "8,2", "result": "8,0"})
    x = np.array([[-9.0, -2.0, 0.1, 0.5, 3.0, 9.0]], np.float32)
    layer.build(x.shape)
    layer.alpha.assign(1.3)
    layer.beta.assign(-0.1)
    a, b = 1.3125, -0.09375  # 8,2 has lsb 1/32
    z = a * x.astype(np.float64) + b
    # 1024 bins over [-4, 4): bin i covers [-4 + i/128, -4 + (i+1)/128); value = tanh(bin centre) in 8,0
    idx = np.clip(np.floor((np.clip(z, -4, 4) + 4) * 128), 0, 1023)
    expected = np.clip(np.round(np.tanh(-4 + (idx + 0.5) / 128) * 128) / 128, -1, 127 / 128)
    np.testing.assert_array_equal(_run(layer, x), expected)
    assert _run(layer, x)[0, 0] == -1.0 and _run(layer, x)[0, -1] == 127 / 128  # saturated ends
    np.testing.assert_allclose(_run(layer, x), np.tanh(z), atol=1 / 128)


def test_partition_softmax_quantized_uses_the_firmware_tables(rng):
    layer = PartitionSoftmax(quant={"result": "u10,1"})
    s = np.round(rng.normal(0, 2.0, (3, 2, 5, 4)) * 512) / 512  # scores on a 9-fractional-bit grid
    s[0, 0, 0] = [0.0, 0.0, 0.0, 0.0]  # a tie
    s[0, 0, 1] = [20.0, -20.0, 0.0, 0.0]  # differences beyond the exp table
    a = _run(layer, s.astype(np.float32))
    d = s.max(-1, keepdims=True) - s
    e = np.round(np.exp(-np.minimum(np.floor(d * 128), 1023) / 128) * 2**15) / 2**15
    e[np.minimum(np.floor(d * 128), 1023) == 0] = 1.0
    idx = np.minimum(np.floor((e.sum(-1, keepdims=True) - 1) * 256), 1023)
    inv = np.round(1 / (1 + (idx + 0.5) / 256) * 2**15) / 2**15
    expected = np.clip(np.round(e * inv * 512) / 512, 0, 2 - 1 / 512)
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(a[0, 0, 0], [0.25, 0.25, 0.25, 0.25])
    np.testing.assert_allclose(a, ref.partition_softmax(s), atol=4 / 512)


@pytest.mark.parametrize("result", ["u10,1", "u8,0", "u4,0"])
def test_two_partition_softmax_tables_equal_the_chain_for_every_pair_of_scores(result):
    """k = 2: the firmware's two tables of |s_0 - s_1| give what the exp / reciprocal / normalize chain of the
    Keras layer gives, on every pair of 8-bit scores (65,536 rows: ties, both orders, the clamp)."""
    from salt_hls.emulate.kernels import partition_softmax as kernel
    from salt_hls.fixed import FixedType
    from salt_hls.model.precision import partition_softmax as rule

    score_t = FixedType.site(8, 3)  # [-4, 4) in steps of 1/32: differences up to 8, past the exp table's range
    grid = np.arange(score_t.min, score_t.max + score_t.lsb / 2, score_t.lsb)
    s0, s1 = np.meshgrid(grid, grid, indexing="ij")
    s = np.stack([s0.ravel(), s1.ravel()], -1).reshape(1, 1, -1, 2)
    layer = PartitionSoftmax(quant={"result": result}, exp_size=256, inv_size=256)
    chain = _run(layer, s.astype(np.float32)).astype(np.float64)
    plan = rule(layer, [score_t])
    assert sorted(plan.arrays) == ["low_table", "top_table"] and plan.config == {"diff_shift": 0}
    np.testing.assert_array_equal(kernel(plan)(s), chain)
    ties = s0.ravel() == s1.ravel()
    np.testing.assert_array_equal(chain[0, 0, ties, 0], chain[0, 0, ties, 1])


def test_fixed_format_text_and_ranges():
    f = Fixed.parse("u10,1")
    assert (f.bits, f.integer, f.signed, f.lsb, f.max) == (10, 1, False, 2**-9, 2 - 2**-9)
    assert str(Fixed.parse("8,1")) == "8,1" and Fixed.parse("8,1").min == -2.0
    with pytest.raises(ConfigError, match="bad fixed-point format"):
        Fixed.parse("8.1")
    with pytest.raises(ConfigError, match="fractional bits"):
        Fixed(4, 5)


def test_n_smaller_than_p_is_refused():
    with pytest.raises(ConfigError, match="N = 3 particles cannot fill p = 4 partitions"):
        ModelSpec(n_particles=3, n_partitions=4)
    with pytest.raises(ConfigError, match="leaves partition 3 empty"):
        partition_geometry(5, 4)


def test_unknown_quant_site_is_refused():
    with pytest.raises(ConfigError, match="unknown quantization site"):
        ModelSpec(quant={"qkv.weights": "8,1"})


def test_folded_projections_equal_the_spec_form_in_float(rng):
    """With one head the two forms have the same partition weights, and K~ = (W_E.X).W_K, V~.W_O + b =
    (W_F.X).(W_V.W_O) + b (the softmax rows sum to 1): the same float model once the weights are mapped."""
    geo = {"n_particles": 12, "n_heads": 1, "d_model": 8, "n_partitions": 3, "quantized": False}
    spec, fold = build_model(ModelSpec(**geo)), build_model(ModelSpec(**geo, fold_projections=True))
    spec.set_weights([w + rng.normal(0, 0.5, w.shape).astype(np.float32) for w in spec.get_weights()])
    for layer in fold.layers:
        if layer.name == "v_proj":  # W_V.W_O and the output bias
            w_o, b_o = spec.get_layer("attn_out").get_weights()
            layer.set_weights([spec.get_layer("v_proj").get_weights()[0] @ w_o, b_o])
        elif layer.weights:
            layer.set_weights(spec.get_layer(layer.name).get_weights())
    x = rng.normal(0, 1, (16, 12, 3)).astype(np.float32)
    np.testing.assert_allclose(fold.predict(x, verbose=0), spec.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    assert "attn_out" not in {layer.name for layer in fold.layers}
    # the per-particle constant products: 3 N d^2 for K, V and the output projection become 2 p d (d + h d)
    assert fold.count_params() < spec.count_params()
    with pytest.raises(ConfigError, match="fold_projections applies to SAL-T's partition sums; architecture 'linformer'"):
        ModelSpec(architecture="linformer", fold_projections=True)


def test_parameter_count_matches_the_paper():
    # arXiv:2510.23641 quotes 3,264 parameters for SAL-T at N = 150, p = 4.
    assert build_model(ModelSpec(n_particles=150, quantized=False)).count_params() == 3264


def test_float_twin_has_identical_weights_layout():
    q = build_model(ModelSpec(n_particles=16))
    f = build_model(ModelSpec(n_particles=16).float_twin())
    assert [w.shape for w in q.get_weights()] == [w.shape for w in f.get_weights()]
    f.set_weights(q.get_weights())  # the float twin can start from (or seed) the quantized model
