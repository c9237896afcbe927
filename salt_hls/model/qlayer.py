"""Base for the SAL-T Keras layers: quantizers stored as formats, so configs round-trip."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import tensorflow as tf

from salt_hls.fixed import Fixed

# The array operations that salt_hls.fixed.FixedType.cast uses, on TensorFlow tensors (so the
# layers cast exactly as the reference does, inside the Keras graph).
TF_ARRAY_OPS = SimpleNamespace(
    multiply=tf.multiply,
    round=tf.round,
    floor=tf.floor,
    ceil=tf.math.ceil,
    trunc=tf.truncatediv,
    sign=tf.sign,
    abs=tf.abs,
    clip=tf.clip_by_value,
    where=tf.where,
    mod=tf.math.floormod,
)


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
        """The site's cast (round half to even, saturate) in float64: exact for table products."""
        return self.formats[site].type.cast(x64, xp=TF_ARRAY_OPS)

    def firmware_weights(self) -> dict[str, np.ndarray]:
        """The constant arrays of the firmware, quantized, in float64 (the converter and the reference both read these)."""
        return {}

    def get_config(self):
        config = super().get_config()
        config["quant"] = {s: (str(f) if f is not None else None) for s, f in self.formats.items()}
        return config
