"""Linear attention against the projected keys/values: scores, softmax over partitions, A·Ṽ.

Layouts: Q (N, h·d) and K̃, Ṽ (k, h·d) with head h on columns h·d..(h+1)·d;
scores and attention weights (h, N, k), heads first so each head is one (N, k) matrix.
"""

from __future__ import annotations

import math

import tensorflow as tf

from salt_hls.geometry import head_width
from salt_hls.model.qlayer import QuantizedLayer


class AttentionScores(QuantizedLayer):
    """S[h] = Q[h] · K̃[h]ᵀ / sqrt(d).  Reference: salt_hls.model.formulas.attention_scores."""

    QUANT_SITES = ("result",)

    def __init__(self, n_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.n_heads = int(n_heads)

    def call(self, inputs):
        q, k = inputs
        h = self.n_heads
        d = head_width(q.shape[-1], h)
        q = tf.reshape(q, (-1, q.shape[1], h, d))
        k = tf.reshape(k, (-1, k.shape[1], h, d))
        s = tf.einsum("bnhd,bjhd->bhnj", q, k) * (1.0 / math.sqrt(d))
        return self.quantize("result", s)

    def compute_output_shape(self, input_shapes):
        q, k = input_shapes
        return (q[0], self.n_heads, q[1], k[1])

    def get_config(self):
        return {**super().get_config(), "n_heads": self.n_heads}


class PartitionSoftmax(QuantizedLayer):
    """Softmax over the last axis (the k partitions), separately per head and particle.

    Quantized, it computes what the firmware computes (hls_templates/salt_softmax.h): exp and
    reciprocal from tables (salt_hls.tables.softmax_tables), in float64 so every step is
    exact, then rounds to the result format. Gradients are the float softmax's (straight-through).
    """

    QUANT_SITES = ("result",)

    def __init__(self, exp_size: int = 1024, inv_size: int = 1024, table_bits: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.exp_size, self.inv_size, self.table_bits = int(exp_size), int(inv_size), int(table_bits)

    def build(self, input_shape):
        if self.formats["result"] is not None:
            from salt_hls.tables import softmax_tables

            self.tables = softmax_tables(int(input_shape[-1]), self.exp_size, self.inv_size, self.table_bits)
        super().build(input_shape)

    def call(self, s):
        soft = tf.nn.softmax(s, axis=-1)
        if self.formats["result"] is None:
            return soft
        t = self.tables
        s64 = tf.cast(s, tf.float64)
        d = tf.reduce_max(s64, axis=-1, keepdims=True) - s64
        idx = tf.cast(tf.minimum(tf.floor(d * 2.0**t.exp_index_bits), len(t.exp_table) - 1), tf.int32)
        e = tf.gather(tf.constant(t.exp_table, tf.float64), idx)
        excess = tf.reduce_sum(e, axis=-1, keepdims=True) - 1.0
        sidx = tf.cast(tf.minimum(tf.floor(excess * 2.0**t.inv_index_bits), len(t.inv_table) - 1), tf.int32)
        inv = tf.gather(tf.constant(t.inv_table, tf.float64), sidx)
        a = tf.cast(self.round_to("result", e * inv), soft.dtype)
        return soft + tf.stop_gradient(a - soft)

    def get_config(self):
        return {**super().get_config(), "exp_size": self.exp_size, "inv_size": self.inv_size, "table_bits": self.table_bits}


class WeightedValues(QuantizedLayer):
    """O[n, h-columns] = Σ_j A[h, n, j] · Ṽ[h, j, :].  Reference: salt_hls.model.formulas.weighted_values.

    sum_heads: O[n, :] = Σ_h Σ_j A[h, n, j] · Ṽ[h, j, :], (N, width / h): the heads' outputs summed instead of
    concatenated, which is the attention's output projection when each head's Ṽ already carries its block of W_O
    (ModelSpec.fold_projections)."""

    QUANT_SITES = ("result",)

    def __init__(self, n_heads: int, sum_heads: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.n_heads = int(n_heads)
        self.sum_heads = bool(sum_heads)

    def call(self, inputs):
        a, v = inputs
        h = self.n_heads
        k, width = v.shape[1], v.shape[2]
        v = tf.reshape(v, (-1, k, h, head_width(width, h)))
        if self.sum_heads:
            return self.quantize("result", tf.einsum("bhnj,bjhd->bnd", a, v))
        o = tf.einsum("bhnj,bjhd->bnhd", a, v)
        return self.quantize("result", tf.reshape(o, (-1, a.shape[2], width)))

    def compute_output_shape(self, input_shapes):
        a, v = input_shapes
        return (a[0], a[2], v[2] // self.n_heads if self.sum_heads else v[2])

    def get_config(self):
        return {**super().get_config(), "n_heads": self.n_heads, "sum_heads": self.sum_heads}
