"""Fixed-point types for the firmware: exact result types of sums and products, and the
mapping from a QKeras format to an hls4ml precision.

A type is ap_fixed<W, I> (I counts the sign bit) or ap_ufixed<W, I>. Exact types are sized
from the value range they must hold, so a sum or product never overflows or rounds; only
the quantizer sites round (convergent rounding, as QKeras's round-half-even) and saturate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from salt_hls.errors import ConfigError
from salt_hls.model.quantize import Fixed


@dataclass(frozen=True)
class FxType:
    width: int
    integer: int  # ap convention: includes the sign bit when signed
    signed: bool = True
    quantizer: bool = False  # True: RND_CONV + SAT (a QKeras quantizer site); False: exact (TRN, WRAP never triggered)

    @property
    def frac(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def min(self) -> float:
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def max(self) -> float:
        return 2.0 ** (self.integer - (1 if self.signed else 0)) - self.lsb

    @classmethod
    def from_format(cls, fmt: Fixed) -> "FxType":
        return cls(fmt.bits, fmt.integer + int(fmt.signed), fmt.signed, quantizer=True)

    @classmethod
    def holding(cls, lo: float, hi: float, frac: int) -> "FxType":
        """The narrowest exact type with `frac` fractional bits that holds every value in [lo, hi]."""
        signed = lo < 0
        mag = max(abs(lo), abs(hi) + 2.0**-frac, 2.0**-frac)
        integer = max(math.ceil(math.log2(mag)), 1 - frac) + int(signed)
        t = cls(integer + frac, integer, signed)
        while t.min > lo or t.max < hi:  # log2 rounding at exact powers of two
            t = cls(t.width + 1, t.integer + 1, signed)
        if t.width > 64:
            raise ConfigError(f"an exact intermediate would need {t.width} bits (> 64); narrow the quantization formats")
        return t

    def precision(self):
        from hls4ml.model.types import FixedPrecisionType, RoundingMode, SaturationMode

        if self.quantizer:
            return FixedPrecisionType(self.width, self.integer, self.signed, RoundingMode.RND_CONV, SaturationMode.SAT)
        return FixedPrecisionType(self.width, self.integer, self.signed)

    def __str__(self) -> str:
        base = f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}"
        return base + (",RND_CONV,SAT>" if self.quantizer else ">")


def sum_of_products(a: FxType, b: FxType, n_terms: int, extra: FxType | None = None) -> FxType:
    """Exact type of Σ_{n_terms} a·b (+ extra): frac bits add, range from the extreme products."""
    corners = [x * y for x in (a.min, a.max) for y in (b.min, b.max)]
    lo, hi = n_terms * min(corners), n_terms * max(corners)
    frac = a.frac + b.frac
    if extra is not None:
        lo, hi, frac = lo + min(extra.min, 0), hi + max(extra.max, 0), max(frac, extra.frac)
    return FxType.holding(lo, hi, frac)


def sum_of(types: list[FxType]) -> FxType:
    return FxType.holding(sum(t.min for t in types), sum(t.max for t in types), max(t.frac for t in types))
