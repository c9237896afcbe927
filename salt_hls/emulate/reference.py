"""The bit-exact reference of the firmware, in vectorized NumPy (float64, exact).

It walks the firmware model layer by layer with the precision plan's formats and the
firmware's own constants (quantized weights, softmax and tanh tables). Every exact
intermediate of the plan is narrower than float64's 53-bit mantissa (checked), so sums of
products, BLAS matrix products included, are exact; quantizer sites round half to even and
saturate, as the project's RND_CONV, SAT types do. The result equals the C simulation bit for
bit and runs over whole datasets at NumPy speed.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from qkeras import QActivation, QDense

from salt_hls.errors import ConfigError
from salt_hls.hls.fixed import FxType
from salt_hls.hls.quantizers import format_of
from salt_hls.model.attention import AttentionScores, PartitionSoftmax, WeightedValues
from salt_hls.model.dyt import DynamicTanh
from salt_hls.model.logit_conv import LogitConv, same_padding
from salt_hls.model.partition import LinformerProjection, PartitionProjection

FLOAT64_MANTISSA = 53


def round_to(x: np.ndarray, t: FxType) -> np.ndarray:
    """Cast to a RND_CONV, SAT type: round half to even on t's grid, then saturate."""
    y = np.multiply(x, 1.0 / t.lsb)  # powers of two: exact
    np.round(y, out=y)
    np.clip(y, t.min / t.lsb, t.max / t.lsb, out=y)
    y *= t.lsb
    return y


def _heads(x: np.ndarray, h: int) -> np.ndarray:
    return x.reshape(*x.shape[:-1], h, x.shape[-1] // h)


class Reference:
    """The firmware of one model, as NumPy operations. `run(x)` -> quantized logits."""

    def __init__(self, model: tf.keras.Model):
        from salt_hls.hls.convert import firmware_model
        from salt_hls.hls.precision import precision_plan

        self.fw = firmware_model(model)
        self.plan = precision_plan(self.fw)
        widest = max(t.width for p in self.plan.values() for t in p.types.values())
        if widest >= FLOAT64_MANTISSA:
            raise ConfigError(f"an intermediate of {widest} bits is not exact in float64; narrow the quantization formats")
        self.steps = [self._step(layer) for layer in self.fw.layers]

    def _inputs(self, layer) -> list[str]:
        node = layer.inbound_nodes[0]
        layers = node.inbound_layers
        return [l.name for l in (layers if isinstance(layers, list) else [layers])]

    def _step(self, layer):
        p = self.plan[layer.name]
        if isinstance(layer, tf.keras.layers.InputLayer):
            res = p.result
            return layer.name, [], lambda x: round_to(x, res)
        ins = self._inputs(layer)
        res = p.result
        if isinstance(layer, QActivation):
            relu = type(layer.quantizer).__name__ == "quantized_relu"
            return layer.name, ins, (lambda x: round_to(np.maximum(x, 0.0), res)) if relu else (lambda x: round_to(x, res))
        if isinstance(layer, QDense):
            w = layer.kernel.numpy().astype(np.float64)  # firmware_model already holds quantized weights
            b = layer.bias.numpy().astype(np.float64) if layer.use_bias else 0.0
            return layer.name, ins, lambda x: x @ w + b
        if isinstance(layer, tf.keras.layers.Add):
            return layer.name, ins, lambda a, b: a + b
        if isinstance(layer, tf.keras.layers.GlobalMaxPooling1D):
            return layer.name, ins, lambda x: x.max(axis=1)
        if isinstance(layer, PartitionProjection):
            return layer.name, ins, self._partition(layer, res)
        if isinstance(layer, LinformerProjection):
            e = np.asarray(layer.quantize("weight", layer.kernel), np.float64)
            h = layer.n_heads
            return layer.name, ins, lambda x: round_to(np.einsum("bnhd,hnj->bjhd", _heads(x, h), e, optimize=True).reshape(len(x), e.shape[2], -1), res)
        if isinstance(layer, AttentionScores):
            h = layer.n_heads
            d = int(layer.input[0].shape[-1]) // h
            scale = 1.0 / np.sqrt(d)
            # (b, h, n, d) @ (b, h, d, j): batched matmul is exact in float64 and far faster than einsum
            return layer.name, ins, lambda q, k: round_to(
                np.matmul(_heads(q, h).transpose(0, 2, 1, 3), _heads(k, h).transpose(0, 2, 3, 1)) * scale, res)
        if isinstance(layer, LogitConv):
            return layer.name, ins, self._logit_conv(layer, p)
        if isinstance(layer, PartitionSoftmax):
            return layer.name, ins, self._softmax(layer, res)
        if isinstance(layer, WeightedValues):
            h = layer.n_heads
            return layer.name, ins, lambda a, v: round_to(
                np.matmul(a, _heads(v, h).transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3).reshape(len(a), a.shape[2], -1), res)
        if isinstance(layer, DynamicTanh):
            return layer.name, ins, self._dyt(layer)
        raise ConfigError(f"layer {layer.name} ({type(layer).__name__}) has no bit-exact reference")

    @staticmethod
    def _partition(layer, res):
        geo, h = layer.geometry, layer.n_heads
        w = np.asarray(layer.quantize("weight", layer.kernel), np.float64)

        def run(x):
            if geo.n_pad:
                x = np.pad(x, ((0, 0), (0, geo.n_pad), (0, 0)))
            x = x.reshape(len(x), geo.n_partitions, geo.chunk, h, -1)
            return round_to(np.einsum("bjlhd,hjl->bjhd", x, w, optimize=True).reshape(len(x), geo.n_partitions, -1), res)

        return run

    @staticmethod
    def _logit_conv(layer, p):
        kernel, bias = layer.effective_kernel()
        w = np.asarray(layer.quantize("weight", kernel), np.float64)
        b = float(np.asarray(layer.quantize("bias", bias)))
        height, k = w.shape
        (top, _), (left, _) = same_padding(height), same_padding(k)
        res = p.result

        # The 'same' convolution as one matrix product: output row (h, n) = the height x k window
        # of particle-padded scores times band, band[u, c, j] = w[u, c - j + left] (zero outside
        # the kernel: the zero padding along the partitions).
        band = np.zeros((height, k, k))
        for j in range(k):
            for c in range(k):
                v = c - j + left
                if 0 <= v < k:
                    band[:, c, j] = w[:, v]
        band = band.reshape(height * k, k)

        def run(s):
            n = s.shape[2]
            padded = np.pad(s, ((0, 0), (0, 0), (top, height - 1 - top), (0, 0)))
            windows = np.concatenate([padded[:, :, u : u + n, :] for u in range(height)], axis=-1)
            return round_to(windows @ band + b, res)

        return run

    @staticmethod
    def _softmax(layer, res):
        t = layer.tables
        exp_table, inv_table = t.exp_table, t.inv_table

        def run(s):
            d = s.max(axis=-1, keepdims=True) - s
            e = exp_table[np.minimum(np.floor(d * 2.0**t.exp_index_bits), len(exp_table) - 1).astype(np.int64)]
            excess = e.sum(axis=-1, keepdims=True) - 1.0
            inv = inv_table[np.minimum(np.floor(excess * 2.0**t.inv_index_bits), len(inv_table) - 1).astype(np.int64)]
            return round_to(e * inv, res)

        return run

    @staticmethod
    def _dyt(layer):
        a = float(np.asarray(layer.quantize("weight", layer.alpha)))
        b = float(np.asarray(layer.quantize("weight", layer.beta)))
        t = layer.table

        def run(x):
            z = np.clip(a * x + b, -t.range, t.range)
            idx = np.minimum(np.floor((z + t.range) * 2.0**t.index_bits), len(t.table) - 1).astype(np.int64)
            return t.table[idx]

        return run

    def run(self, x, keep: bool = False, batch_size: int = 256):
        """Quantized logits for model inputs x; with keep, also every layer's output {name: array}."""
        xs = x if isinstance(x, (list, tuple)) else [x]
        xs = [np.asarray(a, np.float64) for a in xs]
        n = len(xs[0])
        outs, kept = [], {}
        for start in range(0, n, batch_size):
            values, fed = {}, 0
            for name, ins, fn in self.steps:
                if not ins:
                    values[name] = fn(xs[fed][start : start + batch_size])
                    fed += 1
                else:
                    values[name] = fn(*(values[i] for i in ins))
            outs.append(values[self.steps[-1][0]])
            if keep:
                for k, v in values.items():
                    kept.setdefault(k, []).append(v)
        out = np.concatenate(outs) if outs else np.zeros((0,) + tuple(self.fw.output_shape[1:]))
        if keep:
            return out, {k: np.concatenate(v) for k, v in kept.items()}
        return out


def reference(model: tf.keras.Model) -> Reference:
    return Reference(model)


def emulate(model: tf.keras.Model, x) -> np.ndarray:
    """Firmware outputs (quantized logits) for model inputs x, bit for bit."""
    return Reference(model).run(x)


def layer_outputs(model: tf.keras.Model, x) -> dict[str, np.ndarray]:
    """Every layer's output of the firmware for inputs x, for layer-by-layer comparisons."""
    return Reference(model).run(x, keep=True)[1]
