"""The bitonic sorting network, descending, and its vectorized NumPy application.

Bitonic sorting of P = 2^k elements takes k(k+1)/2 stages of P/2 compare-exchanges (10, 15, 21
stages for 16, 32, 64). The firmware and this model compare composite keys that end in the
element's input index, so no two keys are equal: every correct sorting network then gives the
one order that a stable sort gives, and the C++ (same loops, hls_templates/salt_input_stage.h)
agrees with this model whatever the comparison order inside a stage.
"""

from __future__ import annotations

import functools

import numpy as np

from salt_hls.errors import ConfigError


def next_pow2(n: int) -> int:
    if n < 1:
        raise ConfigError(f"a sorting network needs at least one element, got {n}")
    return 1 << (n - 1).bit_length()


@functools.cache
def bitonic_stages(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Stages of (first, second) index arrays: after each compare-exchange key[first] > key[second].

    The same loop nest as the C++: for k = 2, 4, .., P; for j = k/2, .., 1; for i with l = i ^ j > i,
    descending when (i & k) == 0, ascending otherwise (then first = l, second = i)."""
    if p < 1 or p & (p - 1):
        raise ConfigError(f"bitonic sorting needs a power-of-two size, got {p}")
    stages = []
    k = 2
    while k <= p:
        j = k // 2
        while j > 0:
            first, second = [], []
            for i in range(p):
                m = i ^ j
                if m > i:
                    (first if i & k == 0 else second).append(i)
                    (second if i & k == 0 else first).append(m)
            stages.append((np.array(first, np.int64), np.array(second, np.int64)))
            j //= 2
        k *= 2
    return tuple(stages)


def n_stages(p: int) -> int:
    k = next_pow2(p).bit_length() - 1
    return k * (k + 1) // 2


def n_comparators(p: int) -> int:
    return n_stages(p) * next_pow2(p) // 2


def _greater(keys_a: list[np.ndarray], keys_b: list[np.ndarray]) -> np.ndarray:
    """Lexicographic a > b over the key columns."""
    gt = np.zeros(keys_a[0].shape, bool)
    eq = np.ones(keys_a[0].shape, bool)
    for a, b in zip(keys_a, keys_b, strict=True):
        gt |= eq & (a > b)
        eq &= a == b
    return gt


def sort_desc(keys: list[np.ndarray], payload: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Sort rows (axis 1, a power-of-two length) descending by the lexicographic keys, through the
    network; keys and payload are permuted alike. Keys must be distinct within a row."""
    cols = [np.array(a, copy=True) for a in keys + payload]
    nk = len(keys)
    for first, second in bitonic_stages(cols[0].shape[1]):
        a = [c[:, first] for c in cols]
        b = [c[:, second] for c in cols]
        swap = _greater(b[:nk], a[:nk])
        for c, x, y in zip(cols, a, b, strict=True):
            c[:, first] = np.where(swap, y, x)
            c[:, second] = np.where(swap, x, y)
    return cols[:nk], cols[nk:]
