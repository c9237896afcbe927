"""QKeras quantizer -> fixed-point format: the one mapping the converter trusts.

hls4ml silently falls back to fixed<16,6> for a quantizer it does not understand; here an
unsupported quantizer is an error that names the layer.
"""

from __future__ import annotations

from salt_hls.errors import ConfigError
from salt_hls.model.quantize import Fixed


def format_of(quantizer, where: str) -> Fixed:
    """The Fixed format of a QKeras quantized_bits / quantized_relu object or its config dict."""
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
    raise ConfigError(f"{where}: quantizer {name or type(quantizer).__name__} is not supported (use quantized_bits or quantized_relu)")
