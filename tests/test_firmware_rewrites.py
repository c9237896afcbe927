"""Rewrites of the firmware graph that must not change a single output bit."""

import numpy as np
import pytest
import tensorflow as tf

from salt_hls.model.builders import ModelSpec, build_model
from salt_hls.model.firmware import firmware_model


def _model(alpha: float, seed: int = 0):
    model = build_model(ModelSpec(n_particles=12, n_partitions=2, quant={"qkv.result": "10,2", "attn.result": "10,1"}))
    r = np.random.default_rng(seed)
    model.set_weights([w + r.normal(0, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    model.get_layer("dyt2").alpha.assign(alpha)
    return model


def _jets(model, n=400, seed=1):
    x = np.random.default_rng(seed).normal(0, 2.0, (n, *model.input.shape[1:])).astype(np.float32)
    x[:, 8:] = 0.0  # zero-padded slots, as in the data: ties in the pooling
    return x


def _logits(model, x):
    out = model.get_layer("logits_quant").output
    return tf.keras.Model(model.input, out).predict(x, verbose=0)


def _order(model):
    return [layer.name for layer in model.layers]


@pytest.mark.parametrize("alpha", [0.71875, 0.0])
def test_the_last_dyt_moves_after_the_max_pooling_and_every_logit_bit_stays(alpha):
    model = _model(alpha)
    fw = firmware_model(model)
    order = _order(fw)
    assert order.index("pool") < order.index("dyt2") and order.index("res2") < order.index("pool")
    assert tuple(fw.get_layer("dyt2").output.shape) == (None, model.get_layer("dyt2").output.shape[-1])
    assert fw.get_layer("head1").input is fw.get_layer("dyt2").output
    x = _jets(model)
    got, want = fw.predict(x, verbose=0), _logits(model, x)
    if alpha:  # alpha = 0: tanh(beta) for every jet, the same before or after the pooling
        assert np.unique(want).size > 20  # not a degenerate comparison
    np.testing.assert_array_equal(got, want)


def test_a_dyt_with_negative_alpha_stays_before_the_pooling():
    # max_n f(x_n) with f decreasing is f(min_n x_n): a minimum pooling, which hls4ml does not build
    model = _model(-0.5)
    fw = firmware_model(model)
    assert _order(fw).index("dyt2") < _order(fw).index("pool")
    x = _jets(model)
    np.testing.assert_array_equal(fw.predict(x, verbose=0), _logits(model, x))
