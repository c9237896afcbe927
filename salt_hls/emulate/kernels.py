"""Bit-exact NumPy kernels of the firmware's operations, one per record of salt_hls.operations.

kernel(plan) -> function of the layer's input arrays (a batch of jets each), computed in float64
on the fixed-point grid: sums of products are exact (the reference checks every planned type is
narrower than float64's mantissa) and every quantizer site is its type's cast.
Only NumPy: no TensorFlow, no hls4ml.
"""

from __future__ import annotations

import numpy as np

from salt_hls.geometry import head_width, partition_geometry, same_padding
from salt_hls.plan import LayerPlan


def _heads(x: np.ndarray, h: int) -> np.ndarray:
    return x.reshape(*x.shape[:-1], h, head_width(x.shape[-1], h))


# ---------------------------------------------------------------- hls4ml's own layers


def input(p: LayerPlan):
    res = p.result
    return lambda x: res.cast(x)


def quantizer(p: LayerPlan):
    res = p.result
    if p.attrs["relu"]:
        return lambda x: res.cast(np.maximum(x, 0.0))
    return lambda x: res.cast(x)


def dense(p: LayerPlan):
    w = p.arrays["weight"]
    b = p.arrays.get("bias", 0.0)
    return lambda x: x @ w + b


def add(p: LayerPlan):
    return lambda a, b: a + b


def max_pool(p: LayerPlan):
    return lambda x: x.max(axis=1)


# ---------------------------------------------------------------- SAL-T layers


def partition_projection(p: LayerPlan):
    geo = partition_geometry(p.attrs["n_particles"], p.attrs["n_partitions"])
    h, w, res = p.attrs["n_heads"], p.arrays["weight"], p.result

    def run(x):
        if geo.n_pad:
            x = np.pad(x, ((0, 0), (0, geo.n_pad), (0, 0)))
        x = x.reshape(len(x), geo.n_partitions, geo.chunk, h, -1)
        return res.cast(np.einsum("bjlhd,hjl->bjhd", x, w, optimize=True).reshape(len(x), geo.n_partitions, -1))

    return run


def linformer_projection(p: LayerPlan):
    h, e, res = p.attrs["n_heads"], p.arrays["weight"], p.result
    return lambda x: res.cast(np.einsum("bnhd,hnj->bjhd", _heads(x, h), e, optimize=True).reshape(len(x), e.shape[2], -1))


def attention_scores(p: LayerPlan):
    h, res = p.attrs["n_heads"], p.result
    scale = 2.0 ** -p.attrs["scale_shift"]  # 1/sqrt(d), exact (salt_hls.geometry.scale_shift)

    # (b, h, n, d) @ (b, h, d, j): batched matmul is exact in float64 and far faster than einsum
    return lambda q, k: res.cast(np.matmul(_heads(q, h).transpose(0, 2, 1, 3), _heads(k, h).transpose(0, 2, 3, 1)) * scale)


def logit_conv(p: LayerPlan):
    w, b, res = p.arrays["weight"], float(p.arrays["bias"][0]), p.result
    height, k = w.shape
    (top, bottom), (left, _) = same_padding(height), same_padding(k)

    # The 'same' convolution as one matrix product: output row (h, n) = the height x k window
    # of particle-padded scores times band, band[u, c, j] = w[u, c - j + left] (zero outside
    # the kernel: the zero padding along the partitions).
    band = np.zeros((height, k, k))
    for j in range(k):
        for c in range(k):
            v = c - j + left
            if 0 <= v < k:
                band[:, c, j] = w[:, v]
    band = band.reshape(height * k, k)

    def run(s):
        n = s.shape[2]
        padded = np.pad(s, ((0, 0), (0, 0), (top, bottom), (0, 0)))
        windows = np.concatenate([padded[:, :, u : u + n, :] for u in range(height)], axis=-1)
        return res.cast(windows @ band + b)

    return run


def partition_softmax(p: LayerPlan):
    if "top_table" in p.arrays:
        return _pair_softmax(p)
    exp_table, inv_table, res = p.arrays["exp_table"], p.arrays["inv_table"], p.result
    exp_bits, inv_bits = p.attrs["exp_index_bits"], p.attrs["inv_index_bits"]

    def run(s):
        d = s.max(axis=-1, keepdims=True) - s
        e = exp_table[np.minimum(np.floor(d * 2.0**exp_bits), len(exp_table) - 1).astype(np.int64)]
        excess = e.sum(axis=-1, keepdims=True) - 1.0
        inv = inv_table[np.minimum(np.floor(excess * 2.0**inv_bits), len(inv_table) - 1).astype(np.int64)]
        return res.cast(e * inv)

    return run


def _pair_softmax(p: LayerPlan):
    """k = 2: the row maximum gets top[i], the other score low[i], i the index of |s_0 - s_1| (ties: s_0 is the maximum)."""
    top, low, bits = p.arrays["top_table"], p.arrays["low_table"], p.attrs["exp_index_bits"]

    def run(s):
        second = s[..., 1] > s[..., 0]
        idx = np.minimum(np.floor(np.abs(s[..., 0] - s[..., 1]) * 2.0**bits), len(top) - 1).astype(np.int64)
        hi, lo = top[idx], low[idx]
        return np.stack([np.where(second, lo, hi), np.where(second, hi, lo)], axis=-1)

    return run


def weighted_values(p: LayerPlan):
    h, res, sum_heads = p.attrs["n_heads"], p.result, p.attrs["sum_heads"]

    def run(a, v):
        o = np.matmul(a, _heads(v, h).transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)  # (jets, n, h, d)
        return res.cast(o.sum(axis=2) if sum_heads else o.reshape(len(a), a.shape[2], -1))

    return run


def dynamic_tanh(p: LayerPlan):
    a, b = (float(v) for v in p.arrays["weight"])
    table, rng, bits = p.arrays["table"], p.attrs["range"], p.attrs["index_bits"]

    def run(x):
        z = np.clip(a * x + b, -rng, rng)
        idx = np.minimum(np.floor((z + rng) * 2.0**bits), len(table) - 1).astype(np.int64)
        return table[idx]

    return run
