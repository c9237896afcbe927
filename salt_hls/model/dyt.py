"""DynamicTanh, SAL-T's LayerNorm replacement: DyT(x) = tanh(alpha·x + beta), alpha, beta learned scalars."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from salt_hls.model.qlayer import QuantizedLayer


class DynamicTanh(QuantizedLayer):
    """alpha (init 1) and beta (init 0) share the 'weight' format.  Reference: salt_hls.model.formulas.dynamic_tanh.

    Quantized, tanh comes from the firmware's table (salt_hls.tables.tanh_table, values
    already in the result format), indexed by the exact alpha·x + beta computed in float64;
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
            from salt_hls.tables import tanh_table

            self.table = tanh_table(self.formats["result"].type, self.table_size, self.table_range)
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

    def firmware_weights(self):
        """alpha and beta, quantized."""
        return {"weight": np.array([float(self.quantize("weight", self.alpha)), float(self.quantize("weight", self.beta))])}

    def get_config(self):
        return {**super().get_config(), "table_size": self.table_size, "table_range": self.table_range}
