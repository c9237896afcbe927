"""LogitConv and DynamicTanh in hls4ml (salt_logit_conv.h, salt_dyt.h)."""

from __future__ import annotations

import numpy as np
from hls4ml.model.attributes import Attribute

from salt_hls.hls.precision import planned
from salt_hls.hls.ops.base import SaltLayer, base_layer_dict, keras_layer_object, make_templates, type_attributes


def parse_logit_conv(keras_layer, input_names, input_shapes, data_reader):
    _, heads, n, k = input_shapes[0]
    layer_obj = keras_layer_object(data_reader, keras_layer["config"]["name"])
    kernel, bias = layer_obj.effective_kernel()
    layer = base_layer_dict(keras_layer, input_names, "SaltLogitConv")
    layer.update(
        n_heads=int(heads), n_particles=int(n), k=int(k), height=int(layer_obj.height),
        weight_data=np.asarray(layer_obj.quantize("weight", kernel), np.float64),
        bias_data=np.asarray(layer_obj.quantize("bias", bias), np.float64).reshape(1),
    )
    return layer, list(input_shapes[0])


class SaltLogitConv(SaltLayer):
    TYPES = ("accum",)
    WEIGHTS = ("weight", "bias")
    _expected_attributes = [Attribute(a) for a in ("n_heads", "n_particles", "k", "height")] + type_attributes("accum")

    def output_shape(self):
        return [self.get_attr("n_heads"), self.get_attr("n_particles"), self.get_attr("k")]


def parse_dynamic_tanh(keras_layer, input_names, input_shapes, data_reader):
    layer_obj = keras_layer_object(data_reader, keras_layer["config"]["name"])
    ab = np.array([float(layer_obj.quantize("weight", layer_obj.alpha)), float(layer_obj.quantize("weight", layer_obj.beta))])
    layer = base_layer_dict(keras_layer, input_names, "SaltDynamicTanh")
    layer.update(n_in=int(np.prod(input_shapes[0][1:])), shape=[int(s) for s in input_shapes[0][1:]], weight_data=ab)
    layer.update(planned(data_reader.model, layer["name"]).extras)
    return layer, list(input_shapes[0])


class SaltDynamicTanh(SaltLayer):
    """The tanh table and its geometry are attached by the precision pass (salt_hls.hls.precision)."""

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
    static const unsigned pad_top = (height - 1) / 2;
    static const unsigned pad_left = (k - 1) / 2;
    static const unsigned reuse_factor = {reuse};
    typedef {weight_t.name} weight_t;
    typedef {bias_t.name} bias_t;
    typedef {accum_t.name} accum_t;
}};
"""
LOGIT_CONV_CALL = "nnet::logit_conv<{input_t}, {output_t}, {config}>({input}, {output}, {weight}, {bias});"

DYT_CONFIG = """struct config{index} : nnet::dynamic_tanh_config {{
    static const unsigned n_in = {n_in};
    static const unsigned table_size = {table_size};
    static const unsigned index_shift = {index_shift};
    static const int range = {range};
    static const unsigned reuse_factor = {reuse};
    typedef {weight_t.name} weight_t;
    typedef {z_t.name} z_t;
    typedef {offset_t.name} offset_t;
}};
"""
DYT_CALL = "nnet::dynamic_tanh<{input_t}, {output_t}, {config}>({input}, {output}, {weight}, {table});"

OPS = [
    ("LogitConv", parse_logit_conv, SaltLogitConv, make_templates(SaltLogitConv, LOGIT_CONV_CONFIG, LOGIT_CONV_CALL, "salt_logit_conv.h")),
    ("DynamicTanh", parse_dynamic_tanh, SaltDynamicTanh, make_templates(SaltDynamicTanh, DYT_CONFIG, DYT_CALL, "salt_dyt.h")),
]
