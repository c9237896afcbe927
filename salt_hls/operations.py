"""The operation registry: one record per operation of the firmware, naming every piece of it.

A record names the Keras layer (class name and import path), the precision rule that plans its
types and constants (salt_hls.model.precision), its hls4ml pieces (Keras-2 handler, hls4ml layer
class, config and call templates, C++ header in hls_templates/), its bit-exact reference kernel
(salt_hls.emulate.kernels) and its cost rule per emitted C++ function (salt_hls.estimate.cost).
The layers that hls4ml converts itself (QDense, QActivation, Add, max pooling, the input) have
records without hls4ml pieces.

The model loader, the precision pass, the reference, the hls4ml registration and the estimator
dispatch through these records. Pieces are named by import path and loaded when used, so reading
the registry imports neither TensorFlow nor hls4ml. A new operation is one record here plus its
pieces; tests/test_operations.py checks that every record's pieces exist and agree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace

from salt_hls.errors import ConfigError


@dataclass(frozen=True)
class HlsVariant:
    """Another hls4ml layer class the operation's handler may choose (a special case built differently)."""

    layer: str
    config_template: str
    call_template: str
    function: str  # the C++ function its call emits (a key of the operation's cost rules)


@dataclass(frozen=True)
class HlsPieces:
    """The hls4ml extension of one SAL-T operation."""

    handler: str  # Keras-2 layer handler: (keras_layer, input_names, input_shapes, data_reader) -> (layer dict, output shape)
    layer: str  # hls4ml Layer subclass
    config_template: str  # text of the config struct
    call_template: str  # text of the function call
    header: str  # file in hls_templates/
    variants: tuple[HlsVariant, ...] = ()  # same handler and header


@dataclass(frozen=True)
class Operation:
    name: str
    kind: str  # the layer kind in the project's precision summary (read back by the estimator)
    keras_class: str  # class name, as in model files and hls4ml's handler table
    keras_layer: str  # import path of the class
    precision: str  # (layer, input types) -> LayerPlan
    reference: str  # (LayerPlan) -> function of the input arrays
    cost: dict = field(default_factory=dict)  # emitted C++ function -> cost rule (LayerCoster, LayerCall, LayerCost)
    hls: HlsPieces | None = None  # None: hls4ml converts this layer itself

    @property
    def is_salt(self) -> bool:
        return self.hls is not None

    def hls_layers(self) -> tuple[HlsVariant, ...]:
        """Every hls4ml layer class the handler may choose, the main one first, with the C++ function each emits."""
        h = self.hls
        return (HlsVariant(h.layer, h.config_template, h.call_template, next(iter(self.cost))), *h.variants)


def load(path: str):
    """The object at 'package.module:Name.attr'."""
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


_PREC, _REF, _COST = "salt_hls.model.precision:", "salt_hls.emulate.kernels:", "salt_hls.estimate.cost:LayerCoster."


def _salt(name, kind, keras_class, module, group, header, cpp_function):
    """A SAL-T operation: its pieces follow the project's naming (rule, kernel and cost named after the operation)."""
    ops = f"salt_hls.hls.ops.{group}:"
    upper = name.upper()
    return Operation(
        name,
        kind,
        keras_class,
        f"salt_hls.model.{module}:{keras_class}",
        _PREC + name,
        _REF + name,
        {cpp_function: _COST + name},
        HlsPieces(ops + f"parse_{name}", ops + f"Salt{keras_class}", ops + f"{upper}_CONFIG", ops + f"{upper}_CALL", header),
    )


def _variant(op: Operation, keras_class: str, function: str) -> Operation:
    """op with a variant layer Salt<keras_class> emitting nnet::<function>, costed by the rule of that name."""
    ops = op.hls.layer.rsplit(":", 1)[0] + ":"
    upper = function.upper()
    v = HlsVariant(ops + f"Salt{keras_class}", ops + f"{upper}_CONFIG", ops + f"{upper}_CALL", function)
    return replace(op, cost={**op.cost, function: _COST + function}, hls=replace(op.hls, variants=(*op.hls.variants, v)))


OPERATIONS: tuple[Operation, ...] = (
    Operation("input", "input", "InputLayer", "keras.layers:InputLayer", _PREC + "input", _REF + "input"),
    Operation(
        "quantizer",
        "quantizer",
        "QActivation",
        "qkeras:QActivation",
        _PREC + "quantizer",
        _REF + "quantizer",
        {"relu": _COST + "elementwise_cast", "linear": _COST + "elementwise_cast"},
    ),
    Operation(
        "dense",
        "dense",
        "QDense",
        "qkeras:QDense",
        _PREC + "dense",
        _REF + "dense",
        {
            "dense": _COST + "dense",
            # per-particle Dense (salt_hls.hls.pointwise): Latency products / hls4ml's adder graph per particle
            "pointwise_latency": _COST + "pointwise_conv_1d",
            "pointwise_da": _COST + "conv1d_distributed_arithmetic",
            "dense_da": _COST + "dense_distributed_arithmetic",
        },
    ),
    Operation("add", "add", "Add", "keras.layers:Add", _PREC + "add", _REF + "add", {"add": _COST + "add"}),
    Operation(
        "max_pool",
        "max_pool",
        "GlobalMaxPooling1D",
        "keras.layers:GlobalMaxPooling1D",
        _PREC + "max_pool",
        _REF + "max_pool",
        {"global_pooling1d_cl": _COST + "global_pooling1d"},
    ),
    _salt(
        "partition_projection",
        "projection",
        "PartitionProjection",
        "partition",
        "projection",
        "salt_partition.h",
        "partition_projection",
    ),
    _salt(
        "linformer_projection",
        "projection",
        "LinformerProjection",
        "partition",
        "projection",
        "salt_partition.h",
        "linformer_projection",
    ),
    _salt("attention_scores", "scores", "AttentionScores", "attention", "attention", "salt_attention.h", "attention_scores"),
    _salt("logit_conv", "logit_conv", "LogitConv", "logit_conv", "elementwise", "salt_logit_conv.h", "logit_conv"),
    # k = 2: the same softmax as two tables of |s_0 - s_1| (salt_hls.tables.SoftmaxTables.pair_tables)
    _variant(
        _salt(
            "partition_softmax", "softmax", "PartitionSoftmax", "attention", "attention", "salt_softmax.h", "partition_softmax"
        ),
        "PairSoftmax",
        "pair_softmax",
    ),
    _salt("weighted_values", "values", "WeightedValues", "attention", "attention", "salt_attention.h", "weighted_values"),
    _salt("dynamic_tanh", "dyt", "DynamicTanh", "dyt", "elementwise", "salt_dyt.h", "dynamic_tanh"),
)

_BY_NAME = {op.name: op for op in OPERATIONS}
_BY_KERAS = {op.keras_class: op for op in OPERATIONS}


def get(name: str) -> Operation:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(f"unknown operation {name!r}; known: {', '.join(_BY_NAME)}") from None


def find(keras_class: str) -> Operation | None:
    """The record of a Keras class name, or None for a class the converter does not know."""
    return _BY_KERAS.get(keras_class)


def for_keras_layer(layer) -> Operation:
    """The record of a Keras layer object (by class name, as hls4ml dispatches)."""
    op = _BY_KERAS.get(type(layer).__name__)
    if op is None:
        raise ConfigError(
            f"layer {layer.name} ({type(layer).__name__}) is not supported by the salt-hls converter; supported: "
            f"{', '.join(_BY_KERAS)}"
        )
    return op


def salt_operations() -> tuple[Operation, ...]:
    return tuple(op for op in OPERATIONS if op.is_salt)


# Headers that the operations' headers include (hls_templates/): the data x data product classes.
INCLUDED_HEADERS = ("salt_product.h",)


def headers() -> tuple[str, ...]:
    return tuple(dict.fromkeys((*(op.hls.header for op in salt_operations()), *INCLUDED_HEADERS)))


def cost_rules() -> dict[str, str]:
    """Emitted C++ function -> cost rule path."""
    return {fn: rule for op in OPERATIONS for fn, rule in op.cost.items()}
