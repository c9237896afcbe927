"""The per-particle Dense layers (a Keras Dense on the (N, features) sequence) as particle-group functions.

hls4ml converts them to a PointwiseConv1D (Strategy Latency) or a Conv1D (distributed arithmetic) whose
C++ (pointwise_conv_1d_cl / conv1d_cl) unrolls all N particles in one function: 16 x 16 x N products,
above the 4,096 the Vivado backend allows from N = 32 on; and with P < N particles per clock its Latency
kernel caps each partition at one particle's multipliers (II = N x R, not N / P x R). Through hls4ml's
extension API, an optimizer pass (appended to the `vivado:optimize` flow, after hls4ml's
optimize_pointwise_conv and distributed_arithmetic_codegen) replaces each such node by a
SaltPointwiseConv1D with the same name, inputs, outputs, weights and types; its templates call
nnet::pointwise_latency / nnet::pointwise_da (hls_templates/salt_pointwise.h): n_groups pipelined group
functions side by side, each at II = the layer's interval. salt_hls.hls.structure chooses n_groups and the II.
"""

from __future__ import annotations

import math

from hls4ml.backends.backend import get_backend
from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
from hls4ml.model.layers import Conv1D, register_layer
from hls4ml.model.optimizer import OptimizerPass

HEADER = "salt_pointwise.h"
PASS_NAME = "salt_pointwise_groups"
FLOW = "vivado:optimize"
DA = "distributed_arithmetic"
# C++ function per dense strategy (the one place these names are written on the Python side)
FUNCTIONS = {"latency": "pointwise_latency", DA: "pointwise_da"}


class SaltPointwiseConv1D(Conv1D):
    """A per-particle Dense (kernel width 1, stride 1, no padding, channels last) as particle groups.
    Attributes beyond hls4ml's Conv1D: `pipeline_ii` and `n_groups` (set by SaltStructure) and, under
    distributed arithmetic, `da_function` (hls4ml's generated adder graph dense_da_<k> for one particle)."""


def strategy_of(node) -> str:
    return str(node.get_attr("strategy", "latency")).lower()


def function_of(node) -> str:
    return FUNCTIONS[strategy_of(node)]


class SaltPointwiseGroups(OptimizerPass):
    """Replaces hls4ml's per-particle PointwiseConv1D (Latency) / Conv1D (distributed arithmetic) in io_parallel."""

    def match(self, node):
        if node.model.config.get_config_value("IOType") != "io_parallel":
            return False
        strategy = strategy_of(node)
        hls4ml_pointwise = (node.class_name == "PointwiseConv1D" and strategy == "latency") or (
            node.class_name == "Conv1D" and strategy == DA
        )
        return (
            hls4ml_pointwise
            and node.get_attr("filt_width") == 1
            and node.get_attr("stride_width", 1) == 1
            and node.get_attr("pad_left", 0) == 0
            and node.get_attr("pad_right", 0) == 0
            and node.get_attr("data_format", "channels_last") == "channels_last"
        )

    def transform(self, model, node):
        attrs = node.attributes.attributes.copy()
        da = strategy_of(node) == DA
        if da:
            # hls4ml named the adder graph after this node's index; the new node gets another index
            attrs["da_function"] = f"dense_da_{node.index}"
        new = model.make_node(SaltPointwiseConv1D, node.name, attrs, node.inputs.copy(), outputs=node.outputs.copy())
        new.set_attr("strategy", strategy_of(node))
        if da:
            # the adder graph holds the constants: no weight arrays (as hls4ml's own DA Conv1D template does)
            for key in ("weight_data", "bias_data", "weight", "bias", "weight_t", "bias_t"):
                new.attributes.attributes.pop(key, None)
        model.replace_node(node, new)
        return True


def multiplier_limit(node) -> int:
    """Constant products one group function may bind at once: its nonzero products over its II."""
    per = node.get_attr("out_width") // node.get_attr("n_groups")
    nonzero = per * (node.get_attr("n_chan") * node.get_attr("n_filt") - node.get_weights("weight").nzeros)
    return max(math.ceil(nonzero / node.get_attr("pipeline_ii")), 1)


_COMMON = """struct config{index} : nnet::pointwise_config {{
    static const unsigned in_width = {in_width};
    static const unsigned n_chan = {n_chan};
    static const unsigned n_filt = {n_filt};
    static const unsigned filt_width = 1;
    static const unsigned n_partitions = {n_partitions};
    static const unsigned reuse_factor = {pipeline_ii};
    static const unsigned n_groups = {n_groups};
"""
LATENCY_CONFIG = (
    _COMMON
    + """    static const unsigned n_zeros = {nzeros};
    static const unsigned multiplier_limit = {multiplier_limit};
    typedef {accum_t.name} accum_t;
    typedef {bias_t.name} bias_t;
    typedef {weight_t.name} weight_t;
    template<class x_T, class y_T>
    using product = nnet::product::{product_type}<x_T, y_T>;
}};
"""
)
DA_CONFIG = (
    _COMMON
    + """    typedef {accum_t.name} accum_t;
    constexpr static auto dense_da = nnet::{da_function}<{input_t}, {output_t}>;
}};
"""
)
LATENCY_CALL = "nnet::pointwise_latency<{input_t}, {output_t}, {config}>({input}, {output}, {w}, {b});"
DA_CALL = "nnet::pointwise_da<{input_t}, {output_t}, {config}>({input}, {output});"


class SaltPointwiseConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(SaltPointwiseConv1D)

    def format(self, node):
        params = self._default_config_params(node)
        params["input_t"] = node.get_input_variable().type.name
        params["output_t"] = node.get_output_variable().type.name
        if strategy_of(node) == DA:
            return DA_CONFIG.format(**params)
        params["nzeros"] = node.get_weights("weight").nzeros
        params["multiplier_limit"] = multiplier_limit(node)
        params["product_type"] = get_backend("vivado").product_type(
            node.get_input_variable().type.precision, node.get_weights("weight").type.precision
        )
        return LATENCY_CONFIG.format(**params)


class SaltPointwiseFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(SaltPointwiseConv1D, include_header=[f"nnet_utils/{HEADER}"])

    def format(self, node):
        params = self._default_function_params(node)
        if strategy_of(node) == DA:
            return DA_CALL.format(**params)
        params["w"] = node.get_weights("weight").name
        params["b"] = node.get_weights("bias").name
        return LATENCY_CALL.format(**params)


def register_pointwise(backends) -> None:
    """Layer class, pass and templates with hls4ml (called once by salt_hls.hls.register)."""
    register_layer(SaltPointwiseConv1D.__name__, SaltPointwiseConv1D)
    get_backend("Vivado").register_pass(PASS_NAME, SaltPointwiseGroups, flow=FLOW)
    for backend in backends:
        backend.register_template(SaltPointwiseConfigTemplate)
        backend.register_template(SaltPointwiseFunctionTemplate)
