"""DynamicTanh, SAL-T's LayerNorm replacement: DyT(x) = tanh(α·x + β), α, β learned scalars."""

from __future__ import annotations

import tensorflow as tf

from salt_hls.model.qlayer import QuantizedLayer


class DynamicTanh(QuantizedLayer):
    """α (init 1) and β (init 0) share the 'weight' format.  Reference: salt_hls.model.reference.dynamic_tanh.

    Quantized, tanh comes from the firmware's table (salt_hls.hls.tables.tanh_table, values
    already in the result format), indexed by the exact α·x + β computed in float64;
    gradients are those of the float tanh (straight-through).
    """

    QUANT_SITES = ("weight", "result")

    def __init__(self, table_size: int = 1024, table_range: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.table_size, self.table_range = int(table_size), int(table_range)

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(), initializer="zeros")
        if self.formats["result"] is not None:
            from salt_hls.hls.fixed import FxType
            from salt_hls.hls.tables import tanh_table

            self.table = tanh_table(FxType.from_format(self.formats["result"]), self.table_size, self.table_range)
        super().build(input_shape)

    def call(self, x):
        a = self.quantize("weight", self.alpha)
        b = self.quantize("weight", self.beta)
        soft = tf.tanh(a * x + b)
        if self.formats["result"] is None:
            return soft
        t = self.table
        z = tf.cast(a, tf.float64) * tf.cast(x, tf.float64) + tf.cast(b, tf.float64)
        idx = tf.floor((tf.clip_by_value(z, -t.range, t.range) + t.range) * 2.0**t.index_bits)
        idx = tf.cast(tf.minimum(idx, len(t.table) - 1), tf.int32)
        y = tf.cast(tf.gather(tf.constant(t.table, tf.float64), idx), soft.dtype)
        return soft + tf.stop_gradient(y - soft)

    def get_config(self):
        return {**super().get_config(), "table_size": self.table_size, "table_range": self.table_range}
