"""LogitConv and DynamicTanh in hls4ml (salt_logit_conv.h, salt_dyt.h)."""

from __future__ import annotations

import numpy as np
from hls4ml.model.attributes import Attribute

from salt_hls.geometry import same_padding
from salt_hls.hls.ops.base import SaltLayer, base_layer_dict, keras_layer_object, type_attributes


def parse_logit_conv(keras_layer, input_names, input_shapes, data_reader):
    _, heads, n, k = input_shapes[0]
    weights = keras_layer_object(data_reader, keras_layer["config"]["name"]).firmware_weights()
    height = int(weights["weight"].shape[0])
    layer = base_layer_dict(keras_layer, input_names, "SaltLogitConv")
    layer.update(
        n_heads=int(heads),
        n_particles=int(n),
        k=int(k),
        height=height,
        pad_top=same_padding(height)[0],
        pad_left=same_padding(int(k))[0],
        weight_data=weights["weight"],
        bias_data=weights["bias"],
    )
    return layer, list(input_shapes[0])


class SaltLogitConv(SaltLayer):
    TYPES = ("accum",)
    WEIGHTS = ("weight", "bias")
    _expected_attributes = [
        Attribute(a) for a in ("n_heads", "n_particles", "k", "height", "pad_top", "pad_left")
    ] + type_attributes("accum")

    def output_shape(self):
        return [self.get_attr("n_heads"), self.get_attr("n_particles"), self.get_attr("k")]


def parse_dynamic_tanh(keras_layer, input_names, input_shapes, data_reader):
    layer_obj = keras_layer_object(data_reader, keras_layer["config"]["name"])
    layer = base_layer_dict(keras_layer, input_names, "SaltDynamicTanh")
    layer.update(
        n_in=int(np.prod(input_shapes[0][1:])),
        shape=[int(s) for s in input_shapes[0][1:]],
        weight_data=layer_obj.firmware_weights()["weight"],
        table_data=layer_obj.table.table,
    )
    return layer, list(input_shapes[0])


class SaltDynamicTanh(SaltLayer):
    """The table's index_shift and range come from the precision plan through the layer's hls4ml configuration."""

    TYPES = ("z", "offset")
    WEIGHTS = ("weight", "table")
    _expected_attributes = [Attribute(a) for a in ("n_in", "index_shift", "range")] + type_attributes("z", "offset")

    def output_shape(self):
        return list(self.get_attr("shape"))

    def config_params(self):
        return {"table_size": len(self.get_attr("table_data"))}


LOGIT_CONV_CONFIG = """struct config{index} : nnet::logit_conv_config {{
    static const unsigned n_heads = {n_heads};
    static const unsigned n_particles = {n_particles};
    static const unsigned k = {k};
    static const unsigned height = {height};
    static const unsigned pad_top = {pad_top};
    static const unsigned pad_left = {pad_left};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    typedef {weight_t.name} weight_t;
    typedef {bias_t.name} bias_t;
    typedef {accum_t.name} accum_t;
}};
"""
LOGIT_CONV_CALL = "nnet::logit_conv<{input_t}, {output_t}, {config}>({input}, {output}, {weight}, {bias});"

DYNAMIC_TANH_CONFIG = """struct config{index} : nnet::dynamic_tanh_config {{
    static const unsigned n_in = {n_in};
    static const unsigned table_size = {table_size};
    static const unsigned index_shift = {index_shift};
    static const int range = {range};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    typedef {weight_t.name} weight_t;
    typedef {z_t.name} z_t;
    typedef {offset_t.name} offset_t;
}};
"""
DYNAMIC_TANH_CALL = "nnet::dynamic_tanh<{input_t}, {output_t}, {config}>({input}, {output}, {weight}, {table});"
