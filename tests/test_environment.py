"""The pinned environment: Keras 2 under hls4ml, and a QKeras model converted and C-simulated."""

import numpy as np
import pytest

from salt_hls.env import EnvironmentProblem, check_environment


def test_environment_is_the_pinned_one():
    v = check_environment()
    assert v["keras"].startswith("2.")
    assert v["hls4ml"] == "1.3.0" and v["qkeras"] == "0.9.0"
    assert v["hgq2"] is None


def test_wrong_keras_is_named(monkeypatch):
    import salt_hls.env as env

    fake = {"tensorflow": "2.17.0", "keras": "3.5.0", "hls4ml": "1.3.0", "qkeras": "0.9.0", "numpy": "1.26.4", "hgq2": "0.1"}
    monkeypatch.setattr(env, "environment_report", lambda: fake)
    with pytest.raises(EnvironmentProblem) as e:
        env.check_environment()
    assert "Keras 3.5.0 is installed" in str(e.value)
    assert "hgq2 is installed" in str(e.value)


def test_hls4ml_routes_qkeras_to_keras2_parser():
    import hls4ml
    import keras

    # hls4ml dispatches on keras.__version__; Keras 3 would send QKeras models to the v3 parser.
    assert int(keras.__version__.split(".")[0]) == 2
    assert hasattr(hls4ml.converters, "convert_from_keras_model")


@pytest.mark.slow
def test_hls4ml_converts_and_csimulates_a_qkeras_model(tmp_path):
    import hls4ml
    import tensorflow as tf
    from qkeras import QActivation, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu

    tf.keras.utils.set_random_seed(3)
    inp = tf.keras.Input((8,))
    x = QActivation(quantized_bits(10, 3, alpha=1), name="in_q")(inp)
    x = QDense(6, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1), name="d1")(x)
    x = QActivation(quantized_relu(10, 4), name="relu1")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1), name="d2")(x)
    model = tf.keras.Model(inp, x)
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    # Left 'auto', the input and the dense outputs fall back to fixed<16,6> and truncate before
    # the quantizers round (260 of 600 outputs then differ); wide types leave only QKeras's roundings.
    for layer in config["LayerName"].values():
        if layer["Precision"].get("result") == "auto":
            layer["Precision"]["result"] = "fixed<32,12>"
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp_path / "prj"), backend="Vitis", io_type="io_parallel"
    )
    hls_model.compile()
    x = np.random.default_rng(0).uniform(-4, 4, (200, 8)).astype(np.float32)
    np.testing.assert_array_equal(hls_model.predict(x).reshape(200, 3), model.predict(x, verbose=0))
    assert np.abs(model.predict(x, verbose=0)).max() > 0.1  # not a degenerate all-zero comparison
