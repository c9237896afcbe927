"""The precision pass: every type of the firmware, derived once from the QKeras model.

Quantizer sites (QActivation and the result/weight/bias formats of the SAL-T layers) keep
their QKeras format, with convergent rounding and saturation as QKeras does. Every other
intermediate (dense accumulators, residual sums, attention dot products, the logit
convolution, softmax differences and sums, the DyT argument) gets the narrowest type that
holds its exact value, so it can neither overflow nor round. The converter writes the plan
into the hls4ml configuration and into the project's precision summary; the handlers take
their tables from it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import tensorflow as tf
from qkeras import QActivation, QDense

from salt_hls.errors import ConfigError
from salt_hls.hls.fixed import FxType, sum_of, sum_of_products
from salt_hls.hls.quantizers import format_of
from salt_hls.model.attention import AttentionScores, PartitionSoftmax, WeightedValues
from salt_hls.model.dyt import DynamicTanh
from salt_hls.model.logit_conv import LogitConv
from salt_hls.model.partition import LinformerProjection, PartitionProjection


@dataclass
class LayerPlan:
    kind: str
    types: dict[str, FxType] = field(default_factory=dict)  # hls4ml Precision entries: result, accum, weight, ...
    extras: dict = field(default_factory=dict)  # attributes for the hls4ml layer (tables, shifts)

    @property
    def result(self) -> FxType:
        return self.types["result"]


_CACHE: "weakref.WeakKeyDictionary[tf.keras.Model, dict]" = weakref.WeakKeyDictionary()


def precision_plan(model: tf.keras.Model) -> dict[str, LayerPlan]:
    plan = _CACHE.get(model)
    if plan is None:
        plan = _CACHE[model] = _derive(model)
    return plan


def planned(model: tf.keras.Model, name: str) -> LayerPlan:
    """The plan that the converter derived for this model (handlers read tables from it)."""
    plan = _CACHE.get(model)
    if plan is None:
        raise ConfigError("no precision plan for this model: convert it with salt_hls.convert()")
    return plan[name]


def _inbound(layer) -> list[str]:
    node = layer.inbound_nodes[0]
    layers = node.inbound_layers
    return [l.name for l in (layers if isinstance(layers, list) else [layers])]


def _derive(model: tf.keras.Model) -> dict[str, LayerPlan]:
    plan: dict[str, LayerPlan] = {}
    for layer in model.layers:
        name = layer.name
        if isinstance(layer, tf.keras.layers.InputLayer):
            consumers = [n.outbound_layer for n in layer.outbound_nodes]
            if len(consumers) != 1 or not isinstance(consumers[0], QActivation):
                raise ConfigError(f"input {name} must feed exactly one QActivation input quantizer (the model's 'input' site)")
            fmt = format_of(consumers[0].quantizer, consumers[0].name)
            plan[name] = LayerPlan("input", {"result": FxType.from_format(fmt)})
            continue
        ins = [plan[i].result for i in _inbound(layer)]
        where = f"layer {name} ({type(layer).__name__})"
        if isinstance(layer, QActivation):
            plan[name] = LayerPlan("quantizer", {"result": FxType.from_format(format_of(layer.quantizer, where))})
        elif isinstance(layer, QDense):
            w = FxType.from_format(format_of(layer.kernel_quantizer_internal, where + " kernel"))
            types = {"weight": w}
            b = None
            if layer.use_bias:
                b = types["bias"] = FxType.from_format(format_of(layer.bias_quantizer_internal, where + " bias"))
            acc = sum_of_products(ins[0], w, int(layer.kernel.shape[0]), extra=b)
            plan[name] = LayerPlan("dense", {**types, "accum": acc, "result": acc})
        elif isinstance(layer, tf.keras.layers.Add):
            plan[name] = LayerPlan("add", {"result": sum_of(ins)})
        elif isinstance(layer, tf.keras.layers.GlobalMaxPooling1D):
            plan[name] = LayerPlan("max_pool", {"accum": ins[0], "result": ins[0]})
        elif isinstance(layer, (PartitionProjection, LinformerProjection)):
            w = FxType.from_format(layer.formats["weight"])
            terms = layer.geometry.chunk if isinstance(layer, PartitionProjection) else int(layer.kernel.shape[1])
            plan[name] = LayerPlan("projection", {"weight": w, "accum": sum_of_products(ins[0], w, terms),
                                                  "result": FxType.from_format(layer.formats["result"])})
        elif isinstance(layer, AttentionScores):
            from salt_hls.hls.ops.attention import scale_shift

            d = int(layer.input[0].shape[-1]) // layer.n_heads
            acc = sum_of_products(ins[0], ins[1], d)
            s = scale_shift(d)
            acc = FxType(acc.width + s, acc.integer)  # spare fractional bits so the 1/sqrt(d) shift is exact
            plan[name] = LayerPlan("scores", {"accum": acc, "result": FxType.from_format(layer.formats["result"])})
        elif isinstance(layer, LogitConv):
            w, b = FxType.from_format(layer.formats["weight"]), FxType.from_format(layer.formats["bias"])
            k = int(layer.input.shape[-1])
            plan[name] = LayerPlan("logit_conv", {"weight": w, "bias": b, "accum": sum_of_products(ins[0], w, layer.height * k, extra=b),
                                                  "result": FxType.from_format(layer.formats["result"])})
        elif isinstance(layer, PartitionSoftmax):
            t = layer.tables  # the Keras layer's own tables: the firmware gets the same arrays
            diff_shift, sum_shift = t.shifts(ins[0])
            plan[name] = LayerPlan(
                "softmax",
                {"diff": t.diff_t(ins[0]), "exp": t.exp_t, "sum": t.sum_t, "inv": t.inv_t, "exp_table": t.exp_t,
                 "inv_table": t.inv_t, "result": FxType.from_format(layer.formats["result"])},
                {"diff_shift": diff_shift, "sum_shift": sum_shift, "exp_table_data": t.exp_table, "inv_table_data": t.inv_table},
            )
        elif isinstance(layer, WeightedValues):
            k = int(layer.input[1].shape[1])
            plan[name] = LayerPlan("values", {"accum": sum_of_products(ins[0], ins[1], k), "result": FxType.from_format(layer.formats["result"])})
        elif isinstance(layer, DynamicTanh):
            w = FxType.from_format(layer.formats["weight"])
            res = FxType.from_format(layer.formats["result"])
            z = sum_of_products(ins[0], w, 1, extra=w)
            t = layer.table
            plan[name] = LayerPlan("dyt", {"weight": w, "table": res, "z": z, "offset": t.offset_t(z), "result": res},
                                   {"index_shift": t.index_shift(z), "range": t.range, "table_data": t.table})
        else:
            raise ConfigError(
                f"{where} is not supported by the salt-hls converter; supported: QActivation, QDense, Add, "
                "GlobalMaxPooling1D and the SAL-T layers (PartitionProjection, LinformerProjection, AttentionScores, "
                "LogitConv, PartitionSoftmax, WeightedValues, DynamicTanh)"
            )
    return plan


def plan_summary(plan: dict[str, LayerPlan]) -> dict:
    """JSON-able view: every layer's types as ap strings, with the table geometry."""
    out = {}
    for name, p in plan.items():
        entry = {"kind": p.kind, "types": {k: str(v) for k, v in p.types.items()}}
        extras = {k: v for k, v in p.extras.items() if not k.endswith("_data")}
        extras.update({k.replace("_data", "_size"): len(v) for k, v in p.extras.items() if k.endswith("_data")})
        if extras:
            entry["tables"] = extras
        out[name] = entry
    return out
