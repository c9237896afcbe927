"""Quantization settings as data: named sites, each a fixed-point format.

A format follows the QKeras convention: `bits` in total, `integer` bits left of the binary
point NOT counting the sign, `signed` for keep_negative. So Fixed(8, 1) is QKeras
quantized_bits(8, 1, alpha=1) and hls4ml's ap_fixed<8, 2>; Fixed(10, 1, signed=False) is
ap_ufixed<10, 1>. The text form is "8,1" (signed) or "u10,1" (unsigned).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from salt_hls.errors import ConfigError

_FORMAT = re.compile(r"^(u?)(\d+),(-?\d+)$")


@dataclass(frozen=True)
class Fixed:
    bits: int
    integer: int
    signed: bool = True

    def __post_init__(self):
        frac = self.bits - self.integer - int(self.signed)
        if self.bits < 2 or self.bits > 32:
            raise ConfigError(f"fixed-point width must be 2..32 bits, got {self.bits}")
        if self.integer < 0 or frac < 0:
            raise ConfigError(
                f"fixed-point format {self} has {self.integer} integer bits and {frac} fractional bits; "
                "both must be >= 0"
            )

    @property
    def lsb(self) -> float:
        return 2.0 ** -(self.bits - self.integer - int(self.signed))

    @property
    def min(self) -> float:
        return -(2.0 ** self.integer) if self.signed else 0.0

    @property
    def max(self) -> float:
        return 2.0 ** self.integer - self.lsb

    def __str__(self) -> str:
        return f"{'' if self.signed else 'u'}{self.bits},{self.integer}"

    @classmethod
    def parse(cls, text: "str | Fixed") -> "Fixed":
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


# Every quantization site of the models, with its default. A site named here and nowhere
# else is a typo, so QuantConfig rejects unknown names.
DEFAULT_SITES: dict[str, str] = {
    "input": "16,5",
    "embed.weight": "8,1",
    "embed.bias": "10,3",
    "embed.result": "u16,6",
    "qkv.weight": "8,1",
    "qkv.result": "16,6",
    "proj.weight": "8,1",
    "proj.result": "16,6",
    "score.result": "16,6",
    "conv.weight": "8,1",
    "conv.bias": "10,3",
    "conv.result": "16,6",
    "softmax.result": "u10,1",
    "attn.result": "16,6",
    "out.weight": "8,1",
    "out.bias": "10,3",
    "out.result": "16,6",
    "dyt.weight": "8,2",
    "dyt.result": "12,0",
    "ffn.weight": "8,1",
    "ffn.bias": "10,3",
    "ffn.hidden": "u16,6",
    "ffn.result": "16,6",
    "head.weight": "8,1",
    "head.bias": "10,3",
    "head.hidden": "u16,6",
    "head.result": "16,6",
}


class QuantConfig(Mapping[str, Fixed]):
    """Fixed-point format per site; defaults from DEFAULT_SITES, overridden by name."""

    def __init__(self, overrides: Mapping[str, "str | Fixed"] | None = None):
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(DEFAULT_SITES))
        if unknown:
            raise ConfigError(
                f"unknown quantization site(s) {', '.join(unknown)}; known sites: {', '.join(DEFAULT_SITES)}"
            )
        self._sites = {k: Fixed.parse(overrides.get(k, v)) for k, v in DEFAULT_SITES.items()}

    def __getitem__(self, key: str) -> Fixed:
        return self._sites[key]

    def __iter__(self):
        return iter(self._sites)

    def __len__(self) -> int:
        return len(self._sites)

    def to_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self._sites.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, str] | None) -> "QuantConfig":
        return cls(d)

    @classmethod
    def parse_overrides(cls, items: list[str]) -> "QuantConfig":
        """From CLI items 'site=format', e.g. ['qkv.weight=6,1', 'softmax.result=u8,1']."""
        overrides = {}
        for item in items:
            if "=" not in item:
                raise ConfigError(f"bad quantization override {item!r}: write SITE=FORMAT, e.g. qkv.weight=6,1")
            k, v = item.split("=", 1)
            overrides[k.strip()] = v.strip()
        return cls(overrides)
