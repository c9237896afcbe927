"""Low-rank key/value projections: SAL-T's per-partition sums and Linformer's dense E/F.

Both turn a (N, h·d) sequence into a (k, h·d) one with one learned weight per
(head, output row, input particle); SAL-T's weights are block-diagonal over k_T chunks.
Head h owns columns h·d .. (h+1)·d of the feature axis.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from salt_hls.geometry import head_width, partition_geometry
from salt_hls.model.qlayer import QuantizedLayer


class PartitionProjection(QuantizedLayer):
    """K̃[h, j, :] = Σ_l W[h, j, l] · X[j·c + l, h-columns]; W of shape (h, p, c).

    The sequence is zero-padded from N to p·c first (partition_geometry), so the weights of
    padding slots multiply zeros.  Reference: salt_hls.model.formulas.partition_projection.
    """

    QUANT_SITES = ("weight", "result")

    def __init__(self, n_partitions: int, n_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.n_partitions = int(n_partitions)
        self.n_heads = int(n_heads)

    def build(self, input_shape):
        n, width = int(input_shape[1]), int(input_shape[2])
        head_width(width, self.n_heads)
        self.geometry = partition_geometry(n, self.n_partitions)
        c = self.geometry.chunk
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.n_heads, self.n_partitions, c),
            initializer=tf.keras.initializers.Constant(1.0 / c),
        )
        super().build(input_shape)

    def call(self, x):
        geo, h = self.geometry, self.n_heads
        d = head_width(x.shape[-1], h)
        if geo.n_pad:
            x = tf.pad(x, [[0, 0], [0, geo.n_pad], [0, 0]])
        x = tf.reshape(x, (-1, geo.n_partitions, geo.chunk, h, d))
        w = self.quantize("weight", self.kernel)
        y = tf.einsum("bjlhd,hjl->bjhd", x, w)
        return self.quantize("result", tf.reshape(y, (-1, geo.n_partitions, h * d)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_partitions, input_shape[2])

    def firmware_weights(self):
        return {"weight": np.asarray(self.quantize("weight", self.kernel), np.float64)}

    def get_config(self):
        return {**super().get_config(), "n_partitions": self.n_partitions, "n_heads": self.n_heads}


class LinformerProjection(QuantizedLayer):
    """Linformer's dense projection: K̃[h, j, :] = Σ_n E[h, n, j] · X[n, h-columns], E of shape (h, N, k).

    Reference: salt_hls.model.formulas.linformer_projection.
    """

    QUANT_SITES = ("weight", "result")

    def __init__(self, k: int, n_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.k = int(k)
        self.n_heads = int(n_heads)

    def build(self, input_shape):
        n, width = int(input_shape[1]), int(input_shape[2])
        head_width(width, self.n_heads)
        self.kernel = self.add_weight(name="kernel", shape=(self.n_heads, n, self.k), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, x):
        h = self.n_heads
        n, width = x.shape[1], x.shape[2]
        x = tf.reshape(x, (-1, n, h, head_width(width, h)))
        y = tf.einsum("bnhd,hnj->bjhd", x, self.quantize("weight", self.kernel))
        return self.quantize("result", tf.reshape(y, (-1, self.k, width)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, input_shape[2])

    def firmware_weights(self):
        return {"weight": np.asarray(self.quantize("weight", self.kernel), np.float64)}

    def get_config(self):
        return {**super().get_config(), "k": self.k, "n_heads": self.n_heads}
