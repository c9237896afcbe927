"""The part of a trained model that becomes firmware."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from salt_hls.model.dyt import DynamicTanh
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
    return pool_before_dyt(clone)


def pool_before_dyt(model: tf.keras.Model) -> tf.keras.Model:
    """The model with every DynamicTanh that feeds only a max pooling moved after that pooling.

    Exact, bit for bit, whenever the quantized DyT is a non-decreasing function of its input: then
    max_n f(x_n) = f(max_n x_n). It is, when the quantized alpha is >= 0: z = alpha·x + beta is exact,
    the clamp and the index floor are non-decreasing, and so are the table's entries (checked here).
    The firmware then looks up tanh once per feature instead of once per particle and feature, and
    compares the DyT's inputs instead of its outputs. A DyT with alpha < 0 (a maximum that becomes a
    minimum, which hls4ml's pooling does not offer) or a float DyT is left where it is.
    """
    from salt_hls.model.io import quiet_quantizer_serialization

    with quiet_quantizer_serialization():
        return _pool_before_dyt(model)


def _pool_before_dyt(model: tf.keras.Model) -> tf.keras.Model:
    config = model.get_config()  # the graph: names and inbound nodes
    layers = {entry["name"]: entry for entry in config["layers"]}
    readers: dict[str, list[str]] = {}
    for entry in config["layers"]:
        for node in entry["inbound_nodes"]:
            for src in node:
                readers.setdefault(src[0], []).append(entry["name"])
    outputs = [out[0] for out in config["output_layers"]]
    swaps = []
    for entry in config["layers"]:
        if entry["class_name"] != "GlobalMaxPooling1D" or len(entry["inbound_nodes"]) != 1:
            continue
        (node,) = entry["inbound_nodes"]
        src = layers[node[0][0]] if len(node) == 1 else None
        if src is None or src["class_name"] != "DynamicTanh" or readers[src["name"]] != [entry["name"]] or src["name"] in outputs:
            continue
        if _non_decreasing(model.get_layer(src["name"])):
            swaps.append((src["name"], entry["name"]))
    if not swaps:
        return model
    sources = {
        name: [src[0] for src in entry["inbound_nodes"][0]] if entry["inbound_nodes"] else [] for name, entry in layers.items()
    }
    order = [entry["name"] for entry in config["layers"]]
    for dyt, pool in swaps:
        for name, srcs in sources.items():  # the pooling's readers now read the DyT
            sources[name] = [dyt if s == pool else s for s in srcs]
        outputs = [dyt if o == pool else o for o in outputs]
        sources[pool], sources[dyt] = sources[dyt], [pool]
        order.insert(order.index(dyt), order.pop(order.index(pool)))
    # rebuilt with fresh copies of the layers (as clone_model does), wired in the new order
    tensors, inputs = {}, []
    for name in order:
        layer = model.get_layer(name)
        if not sources[name]:
            tensors[name] = tf.keras.Input(batch_shape=layer.get_config()["batch_input_shape"], name=name)
            inputs.append(tensors[name])
            continue
        args = [tensors[s] for s in sources[name]]
        tensors[name] = type(layer).from_config(layer.get_config())(args if len(args) > 1 else args[0])
    swapped = tf.keras.Model(inputs, [tensors[o] for o in outputs] if len(outputs) > 1 else tensors[outputs[0]], name=model.name)
    for layer in swapped.layers:
        layer.set_weights(model.get_layer(layer.name).get_weights())
    return swapped


def _non_decreasing(layer: DynamicTanh) -> bool:
    if layer.formats["result"] is None:
        return False
    alpha = float(layer.quantize("weight", layer.alpha))
    return alpha >= 0 and bool(np.all(np.diff(layer.table.table) >= 0))
