"""Convolution on the attention logits (SAL-T step 5).

Three one-filter Conv2D kernels of heights 1, 3, 5 along the particle axis and full width
k along the partition axis, stride 1, 'same' padding, with bias, shared by all heads; their
outputs are averaged. For odd heights 'same' pads each kernel symmetrically along the
particles, so the average equals ONE convolution whose kernel is the mean of the
zero-padded (centred) kernels and whose bias is the mean bias. The layer trains the three
kernels, as the paper does, and quantizes and applies that effective kernel: the firmware
computes exactly one height-5 convolution with constant weights.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from salt_hls.model.qlayer import QuantizedLayer


class LogitConv(QuantizedLayer):
    """Input and output (h, N, k).  Reference: salt_hls.model.formulas.logit_conv."""

    QUANT_SITES = ("weight", "bias", "result")

    def __init__(self, kernel_heights=(1, 3, 5), **kwargs):
        super().__init__(**kwargs)
        heights = tuple(int(k) for k in kernel_heights)
        if not heights or any(k < 1 or k % 2 == 0 for k in heights):
            raise ValueError(f"logit convolution kernel heights must be odd and positive, got {heights}")
        self.kernel_heights = heights

    def build(self, input_shape):
        width = int(input_shape[-1])
        self.kernels = [
            self.add_weight(name=f"kernel_{k}", shape=(k, width), initializer="glorot_uniform") for k in self.kernel_heights
        ]
        self.biases = [self.add_weight(name=f"bias_{k}", shape=(), initializer="zeros") for k in self.kernel_heights]
        super().build(input_shape)

    @property
    def height(self) -> int:
        return max(self.kernel_heights)

    def effective_kernel(self):
        """Mean of the centred, zero-padded kernels (height max(kernel_heights)) and mean bias, unquantized."""
        full = self.height
        padded = [
            tf.pad(k, [[(full - h) // 2, (full - h) // 2], [0, 0]])
            for k, h in zip(self.kernels, self.kernel_heights, strict=True)
        ]
        return tf.add_n(padded) / len(padded), tf.add_n(self.biases) / len(self.biases)

    def call(self, s):
        kernel, bias = self.effective_kernel()
        kernel = self.quantize("weight", kernel)
        bias = self.quantize("bias", bias)
        heads, n, width = s.shape[1], s.shape[2], s.shape[3]
        x = tf.reshape(s, (-1, n, width, 1))
        y = tf.nn.conv2d(x, kernel[:, :, None, None], strides=1, padding="SAME") + bias
        return self.quantize("result", tf.reshape(y, (-1, heads, n, width)))

    def firmware_weights(self):
        """The effective kernel (height, k) and bias (1,), quantized: what the firmware convolves with."""
        kernel, bias = self.effective_kernel()
        return {
            "weight": np.asarray(self.quantize("weight", kernel), np.float64),
            "bias": np.asarray(self.quantize("bias", bias), np.float64).reshape(1),
        }

    def get_config(self):
        return {**super().get_config(), "kernel_heights": list(self.kernel_heights)}
