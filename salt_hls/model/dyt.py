"""DynamicTanh, SAL-T's LayerNorm replacement: DyT(x) = tanh(α·x + β), α, β learned scalars."""

from __future__ import annotations

import tensorflow as tf

from salt_hls.model.qlayer import QuantizedLayer


class DynamicTanh(QuantizedLayer):
    """α (init 1) and β (init 0) share the 'weight' format.  Reference: salt_hls.model.reference.dynamic_tanh."""

    QUANT_SITES = ("weight", "result")

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(), initializer="zeros")
        super().build(input_shape)

    def call(self, x):
        a = self.quantize("weight", self.alpha)
        b = self.quantize("weight", self.beta)
        return self.quantize("result", tf.tanh(a * x + b))
