"""Float numpy references of the SAL-T operations, written as the spec's formulas (loops, no
reshapes), so the Keras layers can be checked against an independent implementation.

The bit-exact fixed-point emulation of the firmware is a separate thing (salt_hls.emulate).
Shapes are for one jet: X (N, h·d), head h on columns h·d..(h+1)·d.
"""

from __future__ import annotations

import math

import numpy as np

from salt_hls.geometry import partition_geometry, same_padding


def partition_projection(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """K̃[h, j, :] = Σ_l W[h, j, l] · X[j·c + l, head h], zero beyond N. w: (h, p, c) -> (p, h·d)."""
    heads, p, c = w.shape
    n, width = x.shape
    d = width // heads
    geo = partition_geometry(n, p)
    assert geo.chunk == c
    out = np.zeros((p, width))
    for h in range(heads):
        for j in range(p):
            for slot in range(c):
                i = j * c + slot
                if i < n:
                    out[j, h * d : (h + 1) * d] += w[h, j, slot] * x[i, h * d : (h + 1) * d]
    return out


def linformer_projection(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """K̃[h, j, :] = Σ_n E[h, n, j] · X[n, head h]. e: (h, N, k) -> (k, h·d)."""
    heads, n, k = e.shape
    d = x.shape[1] // heads
    out = np.zeros((k, x.shape[1]))
    for h in range(heads):
        for j in range(k):
            out[j, h * d : (h + 1) * d] = sum(e[h, i, j] * x[i, h * d : (h + 1) * d] for i in range(n))
    return out


def attention_scores(q: np.ndarray, kt: np.ndarray, heads: int) -> np.ndarray:
    """S[h, n, j] = Q[n, head h] · K̃[j, head h] / sqrt(d) -> (h, N, k)."""
    d = q.shape[1] // heads
    s = np.zeros((heads, q.shape[0], kt.shape[0]))
    for h in range(heads):
        s[h] = q[:, h * d : (h + 1) * d] @ kt[:, h * d : (h + 1) * d].T / math.sqrt(d)
    return s


def logit_conv(s: np.ndarray, kernels: list[np.ndarray], biases: list[float]) -> np.ndarray:
    """Mean over kernels of a 'same'-padded, stride-1 2-D cross-correlation of each head's (N, k) scores.

    Padding as TensorFlow's 'same' (salt_hls.geometry.same_padding), on both axes.
    """
    heads, n, k = s.shape
    out = np.zeros_like(s, dtype=np.float64)
    for kern, b in zip(kernels, biases, strict=True):
        kh, kw = kern.shape
        (top, _), (left, _) = same_padding(kh), same_padding(kw)
        for h in range(heads):
            for i in range(n):
                for j in range(k):
                    acc = b
                    for u in range(kh):
                        for v in range(kw):
                            ii, jj = i + u - top, j + v - left
                            if 0 <= ii < n and 0 <= jj < k:
                                acc += kern[u, v] * s[h, ii, jj]
                    out[h, i, j] += acc
    return out / len(kernels)


def partition_softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def weighted_values(a: np.ndarray, vt: np.ndarray, sum_heads: bool = False) -> np.ndarray:
    """O[n, head h] = Σ_j A[h, n, j] · Ṽ[j, head h] -> (N, h·d); sum_heads: Σ_h of those blocks -> (N, d)."""
    heads = a.shape[0]
    d = vt.shape[1] // heads
    out = np.zeros((a.shape[1], vt.shape[1]))
    for h in range(heads):
        out[:, h * d : (h + 1) * d] = a[h] @ vt[:, h * d : (h + 1) * d]
    return out.reshape(a.shape[1], heads, d).sum(axis=1) if sum_heads else out


def dynamic_tanh(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    return np.tanh(alpha * x + beta)
