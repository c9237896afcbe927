"""The part of a trained model that becomes firmware."""

from __future__ import annotations

import tensorflow as tf

from salt_hls.model.quantize import format_of


def firmware_model(model: tf.keras.Model) -> tf.keras.Model:
    """The model up to the quantized logits (the final softmax is monotonic and stays in software),
    with every QDense weight replaced by its quantized value so that hls4ml's Dense-on-sequence
    rewrite cannot lose a quantizer."""
    from qkeras import QDense

    from salt_hls.model.io import custom_objects

    out_layer = model.layers[-1]
    if isinstance(out_layer, tf.keras.layers.Activation) and out_layer.get_config()["activation"] == "softmax":
        model = tf.keras.Model(model.input, out_layer.input, name=model.name)
    with tf.keras.utils.custom_object_scope(custom_objects()):
        clone = tf.keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for layer in clone.layers:
        if isinstance(layer, QDense):
            format_of(layer.kernel_quantizer_internal, f"layer {layer.name} kernel")  # a clear error for a float layer
            values = [layer.kernel_quantizer_internal(layer.kernel).numpy()]
            if layer.use_bias:
                values.append(layer.bias_quantizer_internal(layer.bias).numpy())
            layer.set_weights(values)
    return clone
