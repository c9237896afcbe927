"""Quantization settings as data: named sites, each a fixed-point format (salt_hls.fixed.Fixed,
QKeras notation: "8,1" signed, "u10,1" unsigned), and the mapping back from a QKeras quantizer.
"""

from __future__ import annotations

from collections.abc import Mapping

from salt_hls.errors import ConfigError
from salt_hls.fixed import Fixed

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

    def __init__(self, overrides: Mapping[str, str | Fixed] | None = None):
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(DEFAULT_SITES))
        if unknown:
            raise ConfigError(f"unknown quantization site(s) {', '.join(unknown)}; known sites: {', '.join(DEFAULT_SITES)}")
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
    def from_dict(cls, d: Mapping[str, str] | None) -> QuantConfig:
        return cls(d)

    @classmethod
    def parse_overrides(cls, items: list[str]) -> QuantConfig:
        """From CLI items 'site=format', e.g. ['qkv.weight=6,1', 'softmax.result=u8,1']."""
        overrides = {}
        for item in items:
            if "=" not in item:
                raise ConfigError(f"bad quantization override {item!r}: write SITE=FORMAT, e.g. qkv.weight=6,1")
            k, v = item.split("=", 1)
            overrides[k.strip()] = v.strip()
        return cls(overrides)


def format_of(quantizer, where: str) -> Fixed:
    """The Fixed format of a QKeras quantized_bits / quantized_relu object or its config dict.

    hls4ml silently falls back to fixed<16,6> for a quantizer it does not understand; here an
    unsupported quantizer is an error that names the layer."""
    if quantizer is None or isinstance(quantizer, str):
        raise ConfigError(
            f"{where}: no fixed-point quantizer ({quantizer!r}); only quantized models convert — "
            "convert the quantized model, not its float twin"
        )
    cfg = quantizer.get_config() if hasattr(quantizer, "get_config") else dict(quantizer.get("config", quantizer))
    name = type(quantizer).__name__ if hasattr(quantizer, "get_config") else quantizer.get("class_name", "")
    alpha = cfg.get("alpha")
    if alpha not in (None, 1, 1.0):
        raise ConfigError(f"{where}: quantizer {name} has alpha={alpha!r}; only alpha=1 maps to a fixed-point type")
    if name == "quantized_bits":
        if cfg.get("symmetric"):
            raise ConfigError(f"{where}: symmetric quantized_bits has no exact ap_fixed equivalent; use symmetric=0")
        return Fixed(int(cfg["bits"]), int(cfg["integer"]), signed=bool(cfg.get("keep_negative", True)))
    if name == "quantized_relu":
        if cfg.get("negative_slope", 0.0) or cfg.get("use_sigmoid", 0) or cfg.get("relu_upper_bound") is not None:
            raise ConfigError(f"{where}: quantized_relu with negative_slope, use_sigmoid or relu_upper_bound is not supported")
        return Fixed(int(cfg["bits"]), int(cfg["integer"]), signed=False)
    raise ConfigError(
        f"{where}: quantizer {name or type(quantizer).__name__} is not supported (use quantized_bits or quantized_relu)"
    )
