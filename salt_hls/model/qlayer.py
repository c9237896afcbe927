"""Base for the SAL-T Keras layers: quantizers stored as formats, so configs round-trip."""

from __future__ import annotations

import tensorflow as tf

from salt_hls.model.quantize import Fixed


class QuantizedLayer(tf.keras.layers.Layer):
    """A layer whose quantization sites are Fixed formats (or None for the float twin).

    Subclasses list their site names in QUANT_SITES; each becomes a keyword argument
    (format text or Fixed or None) and a quantizer callable `self.q[site]`.
    """

    QUANT_SITES: tuple[str, ...] = ()

    def __init__(self, quant: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        quant = dict(quant or {})
        unknown = set(quant) - set(self.QUANT_SITES)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no quantization site(s) {sorted(unknown)}")
        self.formats = {s: (Fixed.parse(quant[s]) if quant.get(s) is not None else None) for s in self.QUANT_SITES}
        self.q = {s: (f.quantizer() if f is not None else None) for s, f in self.formats.items()}

    def quantize(self, site: str, x):
        q = self.q[site]
        return x if q is None else q(x)

    def round_to(self, site: str, x64):
        """Round half to even onto the site's grid and saturate, in float64 (exact for table products)."""
        f = self.formats[site]
        return tf.clip_by_value(tf.round(x64 / f.lsb) * f.lsb, f.min, f.max)

    def get_config(self):
        config = super().get_config()
        config["quant"] = {s: (str(f) if f is not None else None) for s, f in self.formats.items()}
        return config
