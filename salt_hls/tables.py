"""Look-up tables of the firmware (softmax exp and reciprocal, DynamicTanh) and the index
geometry the C++ headers use. The converter writes these arrays into the project as
constants, and the bit-exact reference uses the very same arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.fixed import FixedType


def entries(values: np.ndarray, t: FixedType) -> np.ndarray:
    """Table entries of type t: each value rounded to the nearest point of t's grid (ties to even), saturated."""
    return FixedType.site(t.width, t.integer, t.signed).cast(np.asarray(values, np.float64))


def check_table_size(size: int, name: str) -> None:
    """Tables are indexed by bit slices: their sizes are powers of two."""
    if size < 2 or size & (size - 1):
        raise ConfigError(f"{name} must be a power of two >= 2, got {size}")


def _index_bits(size: int, span: float, name: str) -> int:
    check_table_size(size, f"{name} table size")
    return math.floor(math.log2(size / span)) if span > 0 else int(math.log2(size))


def _shift(frac: int, bits: int, what: str) -> int:
    if frac < bits:
        raise ConfigError(f"{what}: the table is finer (2^-{bits}) than its input's resolution (2^-{frac}); use a smaller table")
    return frac - bits


SOFTMAX_EXP_RANGE = 8.0  # the exp table covers differences d in [0, 8); exp(-8) ~ 3e-4


@dataclass(frozen=True)
class SoftmaxTables:
    """Arrays and index geometry of the partition softmax (hls_templates/salt_softmax.h).

    e_j = exp_table[min(floor(d_j * 2^exp_index_bits), exp_size - 1)], d_j = max(s) - s_j;
    inv = inv_table[min(floor((sum_j e_j - 1) * 2^inv_index_bits), inv_size - 1)]; a_j = e_j * inv.
    """

    exp_t: FixedType
    inv_t: FixedType
    exp_index_bits: int
    inv_index_bits: int
    exp_table: np.ndarray
    inv_table: np.ndarray
    k: int = 4

    @property
    def sum_t(self) -> FixedType:
        return FixedType.holding(0.0, max(self.k, 1) * self.exp_t.max, self.exp_t.frac)

    def diff_t(self, score_t: FixedType) -> FixedType:
        return FixedType.holding(0.0, score_t.max - score_t.min, score_t.frac)

    def shifts(self, score_t: FixedType) -> tuple[int, int]:
        """(diff_shift, sum_shift) for scores of type score_t; refuses tables finer than their inputs."""
        return (
            _shift(self.diff_t(score_t).frac, self.exp_index_bits, "softmax exp table"),
            _shift(self.sum_t.frac, self.inv_index_bits, "softmax reciprocal table"),
        )

    def pair_tables(self, res_t: FixedType) -> tuple[np.ndarray, np.ndarray]:
        """For k = 2, the softmax as two tables of the index of d = |s_0 - s_1|: (top, low), the weights
        of the row maximum and of the other score, each the exact result of the chain above for that index.

        With two partitions the maximum's difference is 0 and its exp entry exp_table[0], so the sum, the
        reciprocal and both products depend on the other difference's index alone; composing them into
        two tables of that index gives, bit for bit, what the exp / reciprocal / normalize chain gives,
        in three steps fewer (hls_templates/salt_softmax.h, pair_softmax)."""
        if self.k != 2:
            raise ConfigError(f"the two-table softmax needs k = 2 partitions, not {self.k}")
        e_max, e = self.exp_table[0], self.exp_table
        excess = (e_max + e) - 1.0
        inv = self.inv_table[np.minimum(np.floor(excess * 2.0**self.inv_index_bits), len(self.inv_table) - 1).astype(np.int64)]
        return res_t.cast(e_max * inv), res_t.cast(e * inv)


def softmax_tables(k: int, exp_size: int = 1024, inv_size: int = 1024, table_bits: int = 16) -> SoftmaxTables:
    exp_t = FixedType(table_bits, 1, signed=False)
    inv_t = FixedType(table_bits, 1, signed=False)
    eb = _index_bits(exp_size, SOFTMAX_EXP_RANGE, "softmax exp")
    ib = _index_bits(inv_size, max(k - 1, 1), "softmax reciprocal")
    exp_table = entries(np.exp(-np.arange(exp_size) / 2.0**eb), exp_t)
    # The row maximum has d = 0 and must weigh exactly 1, so the sum lies in [1, k].
    exp_table[0] = 1.0
    inv_table = entries(1.0 / (1.0 + (np.arange(inv_size) + 0.5) / 2.0**ib), inv_t)
    return SoftmaxTables(exp_t, inv_t, eb, ib, exp_table, inv_table, k)


@dataclass(frozen=True)
class TanhTable:
    """y = table[idx], idx = 0 below -range, size - 1 at or above range, else floor((z + range) * 2^index_bits)."""

    range: int
    index_bits: int
    table: np.ndarray

    def offset_t(self, z_t: FixedType) -> FixedType:
        return FixedType.holding(0.0, 2.0 * self.range, z_t.frac)

    def index_shift(self, z_t: FixedType) -> int:
        return _shift(self.offset_t(z_t).frac, self.index_bits, "DynamicTanh table")


def tanh_table(res_t: FixedType, size: int = 1024, rng: int = 4) -> TanhTable:
    """tanh at the centre of each of `size` bins over [-rng, rng), in the output type."""
    bits = _index_bits(size, 2 * rng, "DynamicTanh")
    if size != 2 * rng * 2**bits:
        raise ConfigError(f"DynamicTanh table of {size} entries does not tile [-{rng}, {rng}) in power-of-two steps")
    centres = -rng + (np.arange(size) + 0.5) / 2.0**bits
    return TanhTable(rng, bits, entries(np.tanh(centres), res_t))
