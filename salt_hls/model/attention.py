"""Linear attention against the projected keys/values: scores, softmax over partitions, A·Ṽ.

Layouts: Q (N, h·d) and K̃, Ṽ (k, h·d) with head h on columns h·d..(h+1)·d;
scores and attention weights (h, N, k), heads first so each head is one (N, k) matrix.
"""

from __future__ import annotations

import math

import tensorflow as tf

from salt_hls.model.qlayer import QuantizedLayer


class AttentionScores(QuantizedLayer):
    """S[h] = Q[h] · K̃[h]ᵀ / sqrt(d).  Reference: salt_hls.model.reference.attention_scores."""

    QUANT_SITES = ("result",)

    def __init__(self, n_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.n_heads = int(n_heads)

    def call(self, inputs):
        q, k = inputs
        h = self.n_heads
        d = q.shape[-1] // h
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
    """Softmax over the last axis (the k partitions), separately per head and particle."""

    QUANT_SITES = ("result",)

    def call(self, s):
        return self.quantize("result", tf.nn.softmax(s, axis=-1))


class WeightedValues(QuantizedLayer):
    """O[n, h-columns] = Σ_j A[h, n, j] · Ṽ[h, j, :].  Reference: salt_hls.model.reference.weighted_values."""

    QUANT_SITES = ("result",)

    def __init__(self, n_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.n_heads = int(n_heads)

    def call(self, inputs):
        a, v = inputs
        h = self.n_heads
        k, width = v.shape[1], v.shape[2]
        v = tf.reshape(v, (-1, k, h, width // h))
        o = tf.einsum("bhnj,bjhd->bnhd", a, v)
        return self.quantize("result", tf.reshape(o, (-1, a.shape[2], width)))

    def compute_output_shape(self, input_shapes):
        a, v = input_shapes
        return (a[0], a[2], v[2])

    def get_config(self):
        return {**super().get_config(), "n_heads": self.n_heads}
