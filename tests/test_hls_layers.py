"""Every SAL-T layer converted alone through hls4ml, C-simulated with g++, compared bit for bit
with the QKeras layer, on both backends. Inputs are scaled past the input type's range so
saturation and rounding are exercised."""

import numpy as np
import pytest
import tensorflow as tf
from qkeras import QActivation

from salt_hls.hls.convert import ConvertSettings, convert
from salt_hls.model.attention import AttentionScores, PartitionSoftmax, WeightedValues
from salt_hls.model.dyt import DynamicTanh
from salt_hls.model.firmware import firmware_model
from salt_hls.model.logit_conv import LogitConv
from salt_hls.model.partition import LinformerProjection, PartitionProjection
from salt_hls.model.quantize import Fixed

pytestmark = pytest.mark.slow
BACKENDS = ["Vitis", "Vivado"]
IN_Q = Fixed(12, 3)


def _quant_input(shape, name):
    inp = tf.keras.Input(shape, name=name)
    return inp, QActivation(IN_Q.quantizer(), name=f"{name}_q")(inp)


def _randomize(model, seed):
    r = np.random.default_rng(seed)
    model.set_weights([r.normal(0, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])


def _check(model, inputs, backend, tmp_path, **settings):
    hls_model = convert(model, tmp_path / backend, ConvertSettings(backend=backend, **settings), tb_inputs=inputs)
    hls_model.compile()
    expected = firmware_model(model).predict(inputs, verbose=0)
    got = np.asarray(hls_model.predict(inputs if not isinstance(inputs, list) else [np.ascontiguousarray(i) for i in inputs]))
    got = got.reshape(expected.shape)
    assert np.count_nonzero(expected) > expected.size // 4, "degenerate comparison: mostly zeros"
    np.testing.assert_array_equal(got, expected)


def _inputs(shape, seed, n=40):
    x = np.random.default_rng(seed).normal(0, 3.0, (n, *shape)).astype(np.float32)
    x[0] = 20.0  # beyond the input type's range [-8, 8): saturates identically on both sides
    x[1] = -20.0
    return x


@pytest.mark.parametrize("backend", BACKENDS)
def test_partition_projection(backend, tmp_path):
    inp, x = _quant_input((10, 8), "x")  # N = 10, p = 4: chunk 3, two padding slots
    y = PartitionProjection(4, 2, quant={"weight": "8,1", "result": "14,5"}, name="proj")(x)
    model = tf.keras.Model(inp, y)
    _randomize(model, 1)
    _check(model, _inputs((10, 8), 2), backend, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linformer_projection(backend, tmp_path):
    inp, x = _quant_input((9, 8), "x")
    y = LinformerProjection(4, 2, quant={"weight": "8,1", "result": "14,6"}, name="proj")(x)
    model = tf.keras.Model(inp, y)
    _randomize(model, 3)
    _check(model, _inputs((9, 8), 4), backend, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_attention_scores(backend, tmp_path):
    inp, x = _quant_input((8, 8), "x")
    kt = PartitionProjection(4, 2, quant={"weight": "6,1", "result": "10,3"}, name="proj")(x)
    s = AttentionScores(2, quant={"result": "12,4"}, name="scores")([x, kt])
    model = tf.keras.Model(inp, s)
    _randomize(model, 5)
    _check(model, _inputs((8, 8), 6), backend, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logit_conv(backend, tmp_path):
    inp, s = _quant_input((2, 7, 4), "s")
    y = LogitConv((1, 3, 5), quant={"weight": "8,1", "bias": "8,2", "result": "12,4"}, name="conv")(s)
    model = tf.keras.Model(inp, y)
    _randomize(model, 7)
    _check(model, _inputs((2, 7, 4), 8), backend, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_partition_softmax(backend, tmp_path):
    inp, s = _quant_input((2, 6, 4), "s")
    a = PartitionSoftmax(quant={"result": "u10,1"}, name="softmax")(s)
    model = tf.keras.Model(inp, a)
    _check(model, _inputs((2, 6, 4), 9), backend, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_partition_softmax_is_built_from_two_tables(backend, tmp_path):
    inp, s = _quant_input((2, 6, 2), "s")
    a = PartitionSoftmax(quant={"result": "u8,0"}, name="softmax")(s)
    model = tf.keras.Model(inp, a)
    x = _inputs((2, 6, 2), 12)
    x[2, :, :3] = 1.5  # ties
    _check(model, x, backend, tmp_path)
    top = (tmp_path / backend / "firmware" / "salt_tagger.cpp").read_text()
    assert "nnet::pair_softmax<" in top and "partition_softmax<" not in top


@pytest.mark.parametrize("backend", BACKENDS)
def test_weighted_values(backend, tmp_path):
    a_in, a = _quant_input((2, 6, 4), "a")
    v_in, v = _quant_input((4, 8), "v")
    o = WeightedValues(2, quant={"result": "14,5"}, name="values")([a, v])
    model = tf.keras.Model([a_in, v_in], o)
    _check(model, [_inputs((2, 6, 4), 10), _inputs((4, 8), 11)], backend, tmp_path)


@pytest.mark.parametrize(("backend", "products"), [("Vitis", "dsp"), ("Vivado", "fabric")])
def test_bound_products_compute_the_same(backend, products, tmp_path):
    """convert --products binds the attention's products by pragma (salt_product.h): the same bits in C simulation."""
    inp, x = _quant_input((8, 8), "x")
    kt = PartitionProjection(4, 2, quant={"weight": "6,1", "result": "10,3"}, name="proj")(x)
    s = AttentionScores(2, quant={"result": "12,4"}, name="scores")([x, kt])
    a = PartitionSoftmax(quant={"result": "u10,1"}, name="softmax")(s)
    o = WeightedValues(2, quant={"result": "14,5"}, name="values")([a, kt])
    model = tf.keras.Model(inp, o)
    _randomize(model, 13)
    _check(model, _inputs((8, 8), 14), backend, tmp_path, products=products)
    params = (tmp_path / backend / "firmware" / "parameters.h").read_text()
    # scores, softmax normalization and A.V~: one product class each, the one asked for
    assert params.count(f"using product = nnet::salt_product::{products}<x_T, y_T>;") == 3
    assert params.count("using product =") == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_dynamic_tanh(backend, tmp_path):
    inp, x = _quant_input((6, 8), "x")
    y = DynamicTanh(quant={"weight": "8,2", "result": "12,0"}, name="dyt")(x)
    model = tf.keras.Model(inp, y)
    model.get_layer("dyt").alpha.assign(0.71875)
    model.get_layer("dyt").beta.assign(-0.25)
    _check(model, _inputs((6, 8), 12), backend, tmp_path)
