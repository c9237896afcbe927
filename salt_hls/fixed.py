"""Fixed-point arithmetic of the whole project: the type, its texts, its cast, and exact result types.

`FixedType` is what HLS calls ap_[u]fixed<W, I, Q, O>: `width` bits, `integer` bits left of the
binary point (the sign included when signed), the rounding mode Q applied when a cast drops
fractional bits and the overflow mode O applied when it drops integer bits. The model's
quantizers, the firmware's types, the tables, the bit-exact reference and the estimator all use
this one class.

`Fixed` is the QKeras notation of a quantization site: `bits` in total, `integer` bits NOT
counting the sign, `signed` for keep_negative; "8,1" is Fixed(8, 1), QKeras quantized_bits(8, 1,
alpha=1) and ap_fixed<8, 2, AP_RND_CONV, AP_SAT>; "u10,1" is ap_ufixed<10, 1, AP_RND_CONV, AP_SAT>.
QKeras rounds half to even and saturates, so every site's type is RND_CONV, SAT.

Nothing here imports TensorFlow or hls4ml (Fixed's quantizer factories import QKeras when called).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from salt_hls.errors import ConfigError

ROUNDING_MODES = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
OVERFLOW_MODES = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")
MAX_EXACT_WIDTH = 64  # widest exact intermediate the converter accepts (ap types go further; the reference does not)


@dataclass(frozen=True)
class FixedType:
    width: int
    integer: int  # ap convention: includes the sign bit when signed
    signed: bool = True
    rounding: str = "TRN"
    overflow: str = "WRAP"

    def __post_init__(self):
        if self.rounding not in ROUNDING_MODES:
            raise ConfigError(f"unknown rounding mode {self.rounding!r}; choose one of {', '.join(ROUNDING_MODES)}")
        if self.overflow not in OVERFLOW_MODES:
            raise ConfigError(f"unknown overflow mode {self.overflow!r}; choose one of {', '.join(OVERFLOW_MODES)}")

    @classmethod
    def site(cls, width: int, integer: int, signed: bool = True) -> FixedType:
        """A quantizer site's type: rounds half to even and saturates, as QKeras does."""
        return cls(width, integer, signed, "RND_CONV", "SAT")

    @property
    def frac(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    @property
    def min(self) -> float:
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def max(self) -> float:
        return 2.0 ** (self.integer - (1 if self.signed else 0)) - self.lsb

    @property
    def kif(self) -> tuple[int, int, int]:
        """da4ml's (keep_negative, integer bits without the sign, fractional bits)."""
        return int(self.signed), self.integer - int(self.signed), self.frac

    @property
    def signed_width(self) -> int:
        """Bits of a signed operand that holds every value (a multiplier port is signed)."""
        return self.width + (0 if self.signed else 1)

    @property
    def rounds(self) -> bool:
        """A cast into this type rounds (AP_RND*) rather than truncates."""
        return self.rounding.startswith("RND")

    @property
    def saturates(self) -> bool:
        return self.overflow.startswith("SAT")

    @property
    def is_site(self) -> bool:
        return (self.rounding, self.overflow) == ("RND_CONV", "SAT")

    # ---- texts

    def __str__(self) -> str:
        """hls4ml's precision text: fixed<16,7,RND_CONV,SAT>, ufixed<6,2>."""
        modes = "" if (self.rounding, self.overflow) == ("TRN", "WRAP") else f",{self.rounding},{self.overflow}"
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}{modes}>"

    def ap(self) -> str:
        """The C++ type: ap_fixed<16,7,AP_RND_CONV,AP_SAT>, ap_ufixed<6,2>."""
        modes = "" if (self.rounding, self.overflow) == ("TRN", "WRAP") else f",AP_{self.rounding},AP_{self.overflow}"
        return f"ap_{'' if self.signed else 'u'}fixed<{self.width},{self.integer}{modes}>"

    def flags(self) -> str:
        """The estimator's reading: whether a cast rounds and saturates, ap_fixed<16,7,RND,SAT>."""
        mods = (",RND" if self.rounds else "") + (",SAT" if self.saturates else "")
        return f"ap_{'' if self.signed else 'u'}fixed<{self.width},{self.integer}{mods}>"

    @classmethod
    def parse(cls, text: str) -> FixedType:
        """From an ap type (ap_fixed<W,I,AP_RND_CONV,AP_SAT,0>, ap_uint<W>) or hls4ml's text (fixed<W,I,RND_CONV,SAT>)."""
        m = _TYPE.match(text.strip())
        if not m:
            raise ConfigError(
                f"cannot read the fixed-point type {text!r} (expected ap_fixed<W,I,...>, ap_ufixed, ap_int, "
                "ap_uint or hls4ml's fixed<W,I,...>)"
            )
        uns, kind, width, integer, q, o = m.groups()
        width = int(width)
        rounding = (q or "TRN").removeprefix("AP_")
        overflow = (o or "WRAP").removeprefix("AP_")
        return cls(width, width if kind == "int" else int(integer), not uns, rounding, overflow)

    # ---- the cast

    def cast(self, x, xp=np):
        """x (real values) cast into this type: rounding onto the grid, then the overflow mode.

        `xp` is the array namespace: NumPy by default, tensorflow.experimental.numpy in a Keras layer.
        Powers of two scale exactly, so the result is exact in float64 for widths below 53 bits.
        """
        lo, hi = self.min / self.lsb, self.max / self.lsb
        if xp is np and self.is_site:  # the reference's hot path, in place
            y = np.multiply(x, 1.0 / self.lsb)
            np.round(y, out=y)
            np.clip(y, lo, hi, out=y)
            y *= self.lsb
            return y
        y = xp.multiply(x, 1.0 / self.lsb)
        y = _ROUND[self.rounding](y, xp)
        if self.overflow == "SAT":
            y = xp.clip(y, lo, hi)
        elif self.overflow == "SAT_SYM":
            y = xp.clip(y, -hi if self.signed else lo, hi)
        elif self.overflow == "SAT_ZERO":
            y = xp.where((y < lo) | (y > hi), 0.0 * y, y)
        else:  # WRAP: two's complement modulo 2^width
            span = 2.0**self.width
            y = xp.mod(y - lo, span) + lo
        return xp.multiply(y, self.lsb)

    # ---- exact result types

    @classmethod
    def holding(cls, lo: float, hi: float, frac: int) -> FixedType:
        """The narrowest exact type with `frac` fractional bits that holds every value in [lo, hi]."""
        signed = lo < 0
        mag = max(abs(lo), abs(hi) + 2.0**-frac, 2.0**-frac)
        integer = max(math.ceil(math.log2(mag)), 1 - frac) + int(signed)
        t = cls(integer + frac, integer, signed)
        while t.min > lo or t.max < hi:  # log2 rounding at exact powers of two
            t = cls(t.width + 1, t.integer + 1, signed)
        if t.width > MAX_EXACT_WIDTH:
            raise ConfigError(
                f"an exact intermediate would need {t.width} bits (> {MAX_EXACT_WIDTH}); narrow the quantization formats"
            )
        return t


_TYPE = re.compile(r"^(?:ap_)?(u?)(fixed|int)<\s*(\d+)\s*(?:,\s*(-?\d+))?\s*(?:,\s*(\w+))?\s*(?:,\s*(\w+))?[^>]*>$")

_ROUND = {
    "TRN": lambda y, xp: xp.floor(y),
    "TRN_ZERO": lambda y, xp: xp.trunc(y),
    "RND": lambda y, xp: xp.floor(y + 0.5),
    "RND_ZERO": lambda y, xp: xp.sign(y) * xp.ceil(xp.abs(y) - 0.5),
    "RND_MIN_INF": lambda y, xp: xp.ceil(y - 0.5),
    "RND_INF": lambda y, xp: xp.sign(y) * xp.floor(xp.abs(y) + 0.5),
    "RND_CONV": lambda y, xp: xp.round(y),  # half to even (NumPy's and TensorFlow's round)
}


def sum_of_products(a: FixedType, b: FixedType, n_terms: int, extra: FixedType | None = None) -> FixedType:
    """Exact type of Σ_{n_terms} a·b (+ extra): fractional bits add, range from the extreme products."""
    corners = [x * y for x in (a.min, a.max) for y in (b.min, b.max)]
    lo, hi = n_terms * min(corners), n_terms * max(corners)
    frac = a.frac + b.frac
    if extra is not None:
        lo, hi, frac = lo + min(extra.min, 0), hi + max(extra.max, 0), max(frac, extra.frac)
    return FixedType.holding(lo, hi, frac)


def sum_of(types: list[FixedType]) -> FixedType:
    return FixedType.holding(sum(t.min for t in types), sum(t.max for t in types), max(t.frac for t in types))


_FORMAT = re.compile(r"^(u?)(\d+),(-?\d+)$")


@dataclass(frozen=True)
class Fixed:
    """A quantization site's format in the QKeras notation (see the module docstring)."""

    bits: int
    integer: int
    signed: bool = True

    def __post_init__(self):
        frac = self.bits - self.integer - int(self.signed)
        if self.bits < 2 or self.bits > 32:
            raise ConfigError(f"fixed-point width must be 2..32 bits, got {self.bits}")
        if self.integer < 0 or frac < 0:
            raise ConfigError(
                f"fixed-point format {self} has {self.integer} integer bits and {frac} fractional bits; both must be >= 0"
            )

    @property
    def type(self) -> FixedType:
        return FixedType.site(self.bits, self.integer + int(self.signed), self.signed)

    @property
    def lsb(self) -> float:
        return self.type.lsb

    @property
    def min(self) -> float:
        return self.type.min

    @property
    def max(self) -> float:
        return self.type.max

    def __str__(self) -> str:
        return f"{'' if self.signed else 'u'}{self.bits},{self.integer}"

    @classmethod
    def parse(cls, text: str | Fixed) -> Fixed:
        if isinstance(text, Fixed):
            return text
        m = _FORMAT.match(str(text).replace(" ", ""))
        if not m:
            raise ConfigError(
                f"bad fixed-point format {text!r}: write 'BITS,INTEGER' (signed, e.g. '8,1') or "
                "'uBITS,INTEGER' (unsigned, e.g. 'u10,1'); INTEGER excludes the sign bit"
            )
        return cls(int(m.group(2)), int(m.group(3)), signed=not m.group(1))

    def quantizer(self):
        """The QKeras quantizer of this format (round to nearest, saturate)."""
        from qkeras.quantizers import quantized_bits

        return quantized_bits(self.bits, self.integer, keep_negative=self.signed, alpha=1)

    def relu_quantizer(self):
        from qkeras.quantizers import quantized_relu

        if self.signed:
            raise ConfigError(f"a ReLU output is unsigned: write 'u{self.bits},{self.integer}' instead of '{self}'")
        return quantized_relu(self.bits, self.integer)
