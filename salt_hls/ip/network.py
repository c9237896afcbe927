"""The trained network with the input normalization folded into its first layer (fold.py), as a
QKeras model that the ordinary converter, precision pass and bit-exact reference take unchanged.

Two layers change, nothing else:
- the input quantizer becomes quantized_bits(15, 14): the identity on the stage's integers
  (pt 0..16383, deltas -512..511), so the firmware's input type holds them exactly;
- the first QDense gets the folded kernel and bias (fold.fold) with quantizers on their grid 2^-F,
  so that firmware_model's re-quantization leaves them bit for bit as folded.
"""

from __future__ import annotations

import math

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.l1input.fold import fold, weight_frac

NATIVE_INPUT = (15, 14)  # quantized_bits(bits, integer), signed: every stage output exactly


def _integer_bits(values: np.ndarray) -> int:
    """Integer bits (sign excluded) of a signed format that holds every value."""
    m = float(np.max(np.abs(values))) if values.size else 0.0
    return max(math.floor(math.log2(m)) + 1, 0) if m > 0 else 0


def first_layers(model):
    """(input quantizer, first QDense) at the start of the model, or a clear error."""
    from qkeras import QActivation, QDense

    layers = model.layers
    if len(layers) < 3 or not (isinstance(layers[1], QActivation) and isinstance(layers[2], QDense)):
        names = [f"{layer.name} ({type(layer).__name__})" for layer in layers[:3]]
        raise ConfigError(f"the input stage folds into a model that starts input -> QActivation -> QDense; got {names}")
    return layers[1], layers[2]


def fold_model(model, metadata: dict):
    """(folded Keras model, its metadata, Folded) for a trained salt-hls model and its metadata."""
    import tensorflow as tf

    from salt_hls.data.preprocess import Normalization
    from salt_hls.model.firmware import firmware_model
    from salt_hls.model.io import custom_objects
    from salt_hls.model.quantize import format_of

    if "normalization" not in metadata:
        raise ConfigError(
            "the model's metadata.json has no normalization to fold into the first layer; use a model written by salt-hls train"
        )
    if metadata.get("features", ["pt", "deta", "dphi"]) != ["pt", "deta", "dphi"]:
        raise ConfigError(f"the input stage delivers (pt, deta, dphi); the model takes {metadata.get('features')}")
    quant, dense = first_layers(model)
    fw_dense = firmware_model(model).get_layer(dense.name)  # the quantized weights the firmware uses
    kernel, bias = (w.numpy() for w in (fw_dense.kernel, fw_dense.bias))
    w_fmt = format_of(dense.kernel_quantizer_internal, f"layer {dense.name} kernel")
    norm = Normalization.from_dict(metadata["normalization"])
    frac = weight_frac(norm, w_fmt.bits - w_fmt.integer - int(w_fmt.signed))
    folded = fold(kernel, bias, norm, frac)
    ki, bi = _integer_bits(folded.kernel), _integer_bits(folded.bias)

    from qkeras import QActivation, QDense, quantized_bits

    def rebuild(layer):
        if layer.name == quant.name:
            return QActivation(quantized_bits(*NATIVE_INPUT, keep_negative=True, alpha=1), name=layer.name)
        if layer.name == dense.name:
            cfg = layer.get_config()
            cfg["kernel_quantizer"] = quantized_bits(1 + ki + frac, ki, keep_negative=True, alpha=1)
            cfg["bias_quantizer"] = quantized_bits(1 + bi + frac, bi, keep_negative=True, alpha=1)
            return QDense.from_config(cfg)
        return layer.__class__.from_config(layer.get_config())

    with tf.keras.utils.custom_object_scope(custom_objects()):
        out = tf.keras.models.clone_model(model, clone_function=rebuild)
    out.set_weights(model.get_weights())
    out.get_layer(dense.name).set_weights([folded.kernel.astype(np.float32), folded.bias.astype(np.float32)])
    check = firmware_model(out).get_layer(dense.name)
    if not (np.array_equal(check.kernel.numpy(), folded.kernel) and np.array_equal(check.bias.numpy(), folded.bias)):
        raise ConfigError(
            f"the folded weights of {dense.name} are not exact in float32 on 2^-{frac}; this model cannot be folded exactly"
        )
    meta = dict(metadata)
    meta["input_stage"] = {
        "features": ["pt", "deta", "dphi"],
        "units": "native: pt in 0.25 GeV, deta and dphi in pi/720 (the stage's integers)",
        "folded_from": {"normalization": metadata["normalization"], "kernel_format": str(w_fmt)},
        "weight_frac": frac,
        "pad": list(folded.pad),
        "kernel_format": f"{1 + ki + frac},{ki}",
        "bias_format": f"{1 + bi + frac},{bi}",
        "input_format": f"{NATIVE_INPUT[0]},{NATIVE_INPUT[1]}",
    }
    return out, meta, folded
