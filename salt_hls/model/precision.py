"""The precision pass: the firmware plan (salt_hls.plan) of a QKeras model, derived once.

Quantizer sites (QActivation and the result/weight/bias formats of the SAL-T layers) keep
their QKeras format, with convergent rounding and saturation as QKeras does. Every other
intermediate (dense accumulators, residual sums, attention dot products, the logit
convolution, softmax differences and sums, the DyT argument) gets the narrowest type that
holds its exact value, so it can neither overflow nor round. Each operation's rule is named by
its record in salt_hls.operations; rule(layer, input types) -> LayerPlan (operation, inputs and
shape are filled in by `precision_plan`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import tensorflow as tf

from salt_hls.errors import ConfigError
from salt_hls.fixed import FixedType, sum_of, sum_of_products
from salt_hls.geometry import head_width, scale_shift
from salt_hls.model.quantize import format_of
from salt_hls.operations import for_keras_layer, load
from salt_hls.plan import LayerPlan


def precision_plan(model: tf.keras.Model) -> dict[str, LayerPlan]:
    """{layer name: LayerPlan} in model order, for the firmware part of a model (salt_hls.model.firmware)."""
    plan: dict[str, LayerPlan] = {}
    for layer in model.layers:
        op = for_keras_layer(layer)
        inputs = _inbound(layer)
        rule = load(op.precision)
        p = rule(layer, [plan[i].result for i in inputs])
        plan[layer.name] = replace(p, operation=op.name, inputs=inputs, shape=tuple(int(s) for s in layer.output.shape[1:]))
    return plan


def _inbound(layer) -> list[str]:
    if isinstance(layer, tf.keras.layers.InputLayer):
        return []
    layers = layer.inbound_nodes[0].inbound_layers
    return [src.name for src in (layers if isinstance(layers, list) else [layers])]


def _site(fmt) -> FixedType:
    if fmt is None:
        raise ConfigError(
            "a SAL-T layer without quantization formats (a float model): convert the quantized model, not its float twin"
        )
    return fmt.type


def _where(layer) -> str:
    return f"layer {layer.name} ({type(layer).__name__})"


def _plan(types, attrs=None, arrays=None, config=None) -> LayerPlan:
    return LayerPlan("", types=types, attrs=attrs or {}, arrays=arrays or {}, config=config or {})


# ---------------------------------------------------------------- hls4ml's own layers


def input(layer, ins):
    consumers = [n.outbound_layer for n in layer.outbound_nodes]
    if len(consumers) != 1 or type(consumers[0]).__name__ != "QActivation":
        raise ConfigError(f"input {layer.name} must feed exactly one QActivation input quantizer (the model's 'input' site)")
    return _plan({"result": _site(format_of(consumers[0].quantizer, consumers[0].name))})


def quantizer(layer, ins):
    relu = type(layer.quantizer).__name__ == "quantized_relu"
    return _plan({"result": _site(format_of(layer.quantizer, _where(layer)))}, {"relu": relu})


def dense(layer, ins):
    where = _where(layer)
    w = _site(format_of(layer.kernel_quantizer_internal, where + " kernel"))
    types = {"weight": w}
    arrays = {"weight": layer.kernel.numpy().astype(np.float64)}  # the firmware model holds quantized weights
    b = None
    if layer.use_bias:
        b = types["bias"] = _site(format_of(layer.bias_quantizer_internal, where + " bias"))
        arrays["bias"] = layer.bias.numpy().astype(np.float64)
    acc = sum_of_products(ins[0], w, int(layer.kernel.shape[0]), extra=b)
    return _plan({**types, "accum": acc, "result": acc}, arrays=arrays)


def add(layer, ins):
    return _plan({"result": sum_of(ins)})


def max_pool(layer, ins):
    return _plan({"accum": ins[0], "result": ins[0]})


# ---------------------------------------------------------------- SAL-T layers


def partition_projection(layer, ins):
    w = _site(layer.formats["weight"])
    geo = layer.geometry
    return _plan(
        {"weight": w, "accum": sum_of_products(ins[0], w, geo.chunk), "result": _site(layer.formats["result"])},
        {"n_heads": layer.n_heads, "n_particles": geo.n_particles, "n_partitions": geo.n_partitions},
        layer.firmware_weights(),
    )


def linformer_projection(layer, ins):
    w = _site(layer.formats["weight"])
    return _plan(
        {"weight": w, "accum": sum_of_products(ins[0], w, int(layer.kernel.shape[1])), "result": _site(layer.formats["result"])},
        {"n_heads": layer.n_heads},
        layer.firmware_weights(),
    )


def attention_scores(layer, ins):
    d = head_width(int(layer.input[0].shape[-1]), layer.n_heads)
    acc = sum_of_products(ins[0], ins[1], d)
    s = scale_shift(d)
    acc = FixedType(acc.width + s, acc.integer)  # spare fractional bits so the 1/sqrt(d) shift is exact
    return _plan({"accum": acc, "result": _site(layer.formats["result"])}, {"n_heads": layer.n_heads, "scale_shift": s})


def logit_conv(layer, ins):
    w, b = _site(layer.formats["weight"]), _site(layer.formats["bias"])
    k = int(layer.input.shape[-1])
    return _plan(
        {
            "weight": w,
            "bias": b,
            "accum": sum_of_products(ins[0], w, layer.height * k, extra=b),
            "result": _site(layer.formats["result"]),
        },
        arrays=layer.firmware_weights(),
    )


def partition_softmax(layer, ins):
    t = layer.tables  # the Keras layer's own tables: the firmware gets the same arrays
    diff_shift, sum_shift = t.shifts(ins[0])
    if t.k == 2:  # the same function as two tables of |s_0 - s_1| (salt_hls.tables.SoftmaxTables.pair_tables)
        res = _site(layer.formats["result"])
        top, low = t.pair_tables(res)
        return _plan(
            {"diff": t.diff_t(ins[0]), "table": res, "top_table": res, "low_table": res, "result": res},
            {"exp_index_bits": t.exp_index_bits},
            {"top_table": top, "low_table": low},
            {"diff_shift": diff_shift},
        )
    return _plan(
        {
            "diff": t.diff_t(ins[0]),
            "exp": t.exp_t,
            "sum": t.sum_t,
            "inv": t.inv_t,
            "exp_table": t.exp_t,
            "inv_table": t.inv_t,
            "result": _site(layer.formats["result"]),
        },
        {"exp_index_bits": t.exp_index_bits, "inv_index_bits": t.inv_index_bits},
        {"exp_table": t.exp_table, "inv_table": t.inv_table},
        {"diff_shift": diff_shift, "sum_shift": sum_shift},
    )


def weighted_values(layer, ins):
    terms = int(layer.input[1].shape[1]) * (layer.n_heads if layer.sum_heads else 1)
    return _plan(
        {"accum": sum_of_products(ins[0], ins[1], terms), "result": _site(layer.formats["result"])},
        {"n_heads": layer.n_heads, "sum_heads": layer.sum_heads},
    )


def dynamic_tanh(layer, ins):
    w, res = _site(layer.formats["weight"]), _site(layer.formats["result"])
    z = sum_of_products(ins[0], w, 1, extra=w)
    t = layer.table
    return _plan(
        {"weight": w, "table": res, "z": z, "offset": t.offset_t(z), "result": res},
        {"index_bits": t.index_bits, "range": t.range},
        {**layer.firmware_weights(), "table": t.table},
        {"index_shift": t.index_shift(z), "range": t.range},
    )
