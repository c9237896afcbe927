"""AttentionScores, WeightedValues and PartitionSoftmax in hls4ml (salt_attention.h, salt_softmax.h)."""

from __future__ import annotations

from hls4ml.model.attributes import Attribute

from salt_hls.geometry import head_width, scale_shift
from salt_hls.hls.ops.base import (
    PRODUCT_CONFIG_LINE,
    SaltLayer,
    base_layer_dict,
    keras_layer_object,
    product_param,
    products_attribute,
    type_attributes,
)


def parse_attention_scores(keras_layer, input_names, input_shapes, data_reader):
    cfg = keras_layer["config"]
    (_, n, width), (_, k, _) = input_shapes
    heads = int(cfg["n_heads"])
    layer = base_layer_dict(keras_layer, input_names, "SaltAttentionScores")
    d = head_width(int(width), heads)
    layer.update(n_particles=int(n), k=int(k), n_heads=heads, head_dim=d, width=int(width), scale_shift=scale_shift(d))
    return layer, [input_shapes[0][0], heads, n, k]


class SaltAttentionScores(SaltLayer):
    TYPES = ("accum",)
    _expected_attributes = (
        [Attribute(a) for a in ("n_particles", "k", "n_heads", "head_dim", "width", "scale_shift")]
        + [products_attribute()]
        + type_attributes("accum")
    )

    def output_shape(self):
        return [self.get_attr("n_heads"), self.get_attr("n_particles"), self.get_attr("k")]

    def config_params(self):
        a = self.attributes
        return {"n_mult": a["n_heads"] * a["n_particles"] * a["k"] * a["head_dim"], **product_param(self)}


def parse_weighted_values(keras_layer, input_names, input_shapes, data_reader):
    (_, heads, n, k), (_, _, width) = input_shapes
    layer = base_layer_dict(keras_layer, input_names, "SaltWeightedValues")
    sum_heads = bool(keras_layer["config"].get("sum_heads", False))
    d = head_width(int(width), int(heads))
    layer.update(n_particles=int(n), k=int(k), n_heads=int(heads), head_dim=d, width=int(width), sum_heads=sum_heads)
    return layer, [input_shapes[0][0], n, d if sum_heads else width]


class SaltWeightedValues(SaltLayer):
    TYPES = ("accum",)
    _expected_attributes = (
        [Attribute(a) for a in ("n_particles", "k", "n_heads", "head_dim", "width")]
        + [Attribute("sum_heads", value_type=bool)]
        + [products_attribute()]
        + type_attributes("accum")
    )

    def output_shape(self):
        return [self.get_attr("n_particles"), self.out_width()]

    def out_width(self) -> int:
        return self.get_attr("head_dim") if self.get_attr("sum_heads") else self.get_attr("width")

    def config_params(self):
        a = self.attributes
        return {
            "n_mult": a["n_particles"] * a["width"] * a["k"],
            "sum_heads_cpp": "true" if a["sum_heads"] else "false",
            "out_width": self.out_width(),
            **product_param(self),
        }


def parse_partition_softmax(keras_layer, input_names, input_shapes, data_reader):
    _, heads, n, k = input_shapes[0]
    obj = keras_layer_object(data_reader, keras_layer["config"]["name"])
    tables = obj.tables  # the arrays the precision pass planned with
    if int(k) == 2:  # the two-table form (salt_softmax.h, pair_softmax)
        layer = base_layer_dict(keras_layer, input_names, "SaltPairSoftmax")
        top, low = tables.pair_tables(obj.formats["result"].type)
        layer.update(n_heads=int(heads), n_particles=int(n), k=2, top_table_data=top, low_table_data=low)
        return layer, list(input_shapes[0])
    layer = base_layer_dict(keras_layer, input_names, "SaltPartitionSoftmax")
    layer.update(
        n_heads=int(heads), n_particles=int(n), k=int(k), exp_table_data=tables.exp_table, inv_table_data=tables.inv_table
    )
    return layer, list(input_shapes[0])


class SaltPartitionSoftmax(SaltLayer):
    """The table index shifts (diff_shift, sum_shift) come from the precision plan through the layer's hls4ml configuration."""

    TYPES = ("diff", "exp", "sum", "inv")
    WEIGHTS = ("exp_table", "inv_table")
    _expected_attributes = (
        [Attribute(a) for a in ("n_heads", "n_particles", "k", "diff_shift", "sum_shift")]
        + [products_attribute()]
        + type_attributes("diff", "exp", "sum", "inv")
    )

    def output_shape(self):
        return [self.get_attr("n_heads"), self.get_attr("n_particles"), self.get_attr("k")]

    def config_params(self):
        return {
            "n_rows": self.get_attr("n_heads") * self.get_attr("n_particles"),
            "exp_size": len(self.get_attr("exp_table_data")),
            "inv_size": len(self.get_attr("inv_table_data")),
            **product_param(self),
        }


class SaltPairSoftmax(SaltLayer):
    """PartitionSoftmax at k = 2: two tables of |s_0 - s_1| (salt_hls.tables.SoftmaxTables.pair_tables)."""

    TYPES = ("diff", "table")
    WEIGHTS = ("top_table", "low_table")
    _expected_attributes = [Attribute(a) for a in ("n_heads", "n_particles", "k", "diff_shift")] + type_attributes(
        "diff", "table"
    )

    def output_shape(self):
        return [self.get_attr("n_heads"), self.get_attr("n_particles"), 2]

    def config_params(self):
        return {
            "n_rows": self.get_attr("n_heads") * self.get_attr("n_particles"),
            "table_size": len(self.get_attr("top_table_data")),
        }


ATTENTION_SCORES_CONFIG = (
    """struct config{index} : nnet::attention_scores_config {{
    static const unsigned n_particles = {n_particles};
    static const unsigned k = {k};
    static const unsigned n_heads = {n_heads};
    static const unsigned head_dim = {head_dim};
    static const unsigned width = {width};
    static const unsigned scale_shift = {scale_shift};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    static const unsigned multiplier_limit = DIV_ROUNDUP({n_mult}, reuse_factor * n_groups); // per group function
    typedef {accum_t.name} accum_t;
"""
    + PRODUCT_CONFIG_LINE
    + """}};
"""
)
ATTENTION_SCORES_CALL = "nnet::attention_scores<{input1_t}, {input2_t}, {output_t}, {config}>({input1}, {input2}, {output});"

WEIGHTED_VALUES_CONFIG = (
    """struct config{index} : nnet::weighted_values_config {{
    static const unsigned n_particles = {n_particles};
    static const unsigned k = {k};
    static const unsigned n_heads = {n_heads};
    static const unsigned head_dim = {head_dim};
    static const unsigned width = {width};
    static const bool sum_heads = {sum_heads_cpp};
    static const unsigned out_width = {out_width};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    static const unsigned multiplier_limit = DIV_ROUNDUP({n_mult}, reuse_factor * n_groups); // per group function
    typedef {accum_t.name} accum_t;
"""
    + PRODUCT_CONFIG_LINE
    + """}};
"""
)
WEIGHTED_VALUES_CALL = "nnet::weighted_values<{input1_t}, {input2_t}, {output_t}, {config}>({input1}, {input2}, {output});"

PARTITION_SOFTMAX_CONFIG = (
    """struct config{index} : nnet::partition_softmax_config {{
    static const unsigned n_rows = {n_rows};
    static const unsigned k = {k};
    static const unsigned exp_size = {exp_size};
    static const unsigned inv_size = {inv_size};
    static const unsigned diff_shift = {diff_shift};
    static const unsigned sum_shift = {sum_shift};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    typedef {diff_t.name} diff_t;
    typedef {exp_t.name} exp_t;
    typedef {sum_t.name} sum_t;
    typedef {inv_t.name} inv_t;
"""
    + PRODUCT_CONFIG_LINE
    + """}};
"""
)
PARTITION_SOFTMAX_CALL = "nnet::partition_softmax<{input_t}, {output_t}, {config}>({input}, {output}, {exp_table}, {inv_table});"

PAIR_SOFTMAX_CONFIG = """struct config{index} : nnet::pair_softmax_config {{
    static const unsigned n_rows = {n_rows};
    static const unsigned table_size = {table_size};
    static const unsigned diff_shift = {diff_shift};
    static const unsigned reuse_factor = {reuse};
    static const unsigned n_groups = {n_groups};
    typedef {diff_t.name} diff_t;
    typedef {table_t.name} table_t;
}};
"""
PAIR_SOFTMAX_CALL = "nnet::pair_softmax<{input_t}, {output_t}, {config}>({input}, {output}, {top_table}, {low_table});"
