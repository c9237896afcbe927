"""PartitionProjection and LinformerProjection in hls4ml: handlers, layers, templates (salt_partition.h)."""

from __future__ import annotations

from hls4ml.model.attributes import Attribute

from salt_hls.geometry import head_width, partition_geometry
from salt_hls.hls.ops.base import SaltLayer, base_layer_dict, keras_layer_object, type_attributes


def _weights(data_reader, name):
    return keras_layer_object(data_reader, name).firmware_weights()["weight"]


def parse_partition_projection(keras_layer, input_names, input_shapes, data_reader):
    cfg = keras_layer["config"]
    _, n, width = input_shapes[0]
    geo = partition_geometry(int(n), int(cfg["n_partitions"]))
    layer = base_layer_dict(keras_layer, input_names, "SaltPartitionProjection")
    layer.update(
        n_particles=geo.n_particles,
        n_partitions=geo.n_partitions,
        chunk=geo.chunk,
        n_heads=int(cfg["n_heads"]),
        head_dim=head_width(int(width), int(cfg["n_heads"])),
        width=int(width),
        weight_data=_weights(data_reader, cfg["name"]),
    )
    return layer, [input_shapes[0][0], geo.n_partitions, width]


class SaltPartitionProjection(SaltLayer):
    TYPES = ("accum",)
    WEIGHTS = ("weight",)
    _expected_attributes = [
        Attribute(a) for a in ("n_particles", "n_partitions", "chunk", "n_heads", "head_dim", "width")
    ] + type_attributes("accum")

    def output_shape(self):
        return [self.get_attr("n_partitions"), self.get_attr("width")]


def parse_linformer_projection(keras_layer, input_names, input_shapes, data_reader):
    cfg = keras_layer["config"]
    _, n, width = input_shapes[0]
    layer = base_layer_dict(keras_layer, input_names, "SaltLinformerProjection")
    layer.update(
        n_particles=int(n),
        k=int(cfg["k"]),
        n_heads=int(cfg["n_heads"]),
        head_dim=head_width(int(width), int(cfg["n_heads"])),
        width=int(width),
        weight_data=_weights(data_reader, cfg["name"]),
    )
    return layer, [input_shapes[0][0], int(cfg["k"]), width]


class SaltLinformerProjection(SaltLayer):
    TYPES = ("accum",)
    WEIGHTS = ("weight",)
    _expected_attributes = [Attribute(a) for a in ("n_particles", "k", "n_heads", "head_dim", "width")] + type_attributes("accum")

    def output_shape(self):
        return [self.get_attr("k"), self.get_attr("width")]


PARTITION_PROJECTION_CONFIG = """struct config{index} : nnet::partition_projection_config {{
    static const unsigned n_particles = {n_particles};
    static const unsigned n_partitions = {n_partitions};
    static const unsigned chunk = {chunk};
    static const unsigned n_heads = {n_heads};
    static const unsigned head_dim = {head_dim};
    static const unsigned width = {width};
    static const unsigned reuse_factor = {reuse};
    typedef {weight_t.name} weight_t;
    typedef {accum_t.name} accum_t;
}};
"""
PARTITION_PROJECTION_CALL = "nnet::partition_projection<{input_t}, {output_t}, {config}>({input}, {output}, {weight});"

LINFORMER_PROJECTION_CONFIG = """struct config{index} : nnet::linformer_projection_config {{
    static const unsigned n_particles = {n_particles};
    static const unsigned k = {k};
    static const unsigned n_heads = {n_heads};
    static const unsigned head_dim = {head_dim};
    static const unsigned width = {width};
    static const unsigned reuse_factor = {reuse};
    typedef {weight_t.name} weight_t;
    typedef {accum_t.name} accum_t;
}};
"""
LINFORMER_PROJECTION_CALL = "nnet::linformer_projection<{input_t}, {output_t}, {config}>({input}, {output}, {weight});"
