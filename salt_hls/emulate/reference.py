"""The bit-exact reference of the firmware, in vectorized NumPy (float64, exact).

It walks the firmware plan (salt_hls.plan: every layer's operation, types and constants, the
quantized weights and the softmax and tanh tables) with each operation's kernel
(salt_hls.emulate.kernels, named by salt_hls.operations). Every exact intermediate of the plan
is narrower than float64's 53-bit mantissa (checked), so sums of products, BLAS matrix products
included, are exact; quantizer sites round half to even and saturate, as the project's
RND_CONV, SAT types do. The result equals the C simulation bit for bit and runs over whole
datasets at NumPy speed.

Built from a Keras model, it derives the plan (TensorFlow); built from a plan, or a plan saved
with salt_hls.plan.save_plan, it needs NumPy alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.fixed import FixedType
from salt_hls.operations import get, load
from salt_hls.plan import LayerPlan, load_plan

FLOAT64_MANTISSA = 53


def round_to(x: np.ndarray, t: FixedType) -> np.ndarray:
    """Cast to a RND_CONV, SAT type: round half to even on t's grid, then saturate."""
    return t.cast(x)


class Reference:
    """The firmware of one model, as NumPy operations. `run(x)` -> quantized logits.

    `source`: a Keras model (its firmware part is planned here), a plan {layer: LayerPlan}, or
    the path of a saved plan. `fw` is the firmware Keras model when built from one, else None.
    """

    def __init__(self, source):
        self.fw = None
        if isinstance(source, (str, Path)):
            self.plan = load_plan(source)
        elif isinstance(source, dict):
            self.plan = source
        else:
            from salt_hls.model.firmware import firmware_model
            from salt_hls.model.precision import precision_plan

            self.fw = firmware_model(source)
            self.plan = precision_plan(self.fw)
        widest = max(t.width for p in self.plan.values() for t in p.types.values())
        if widest >= FLOAT64_MANTISSA:
            raise ConfigError(f"an intermediate of {widest} bits is not exact in float64; narrow the quantization formats")
        self.steps = [(name, p.inputs, self._kernel(name, p)) for name, p in self.plan.items()]

    @staticmethod
    def _kernel(name: str, p: LayerPlan):
        return load(get(p.operation).reference)(p)

    @property
    def output_shape(self) -> tuple:
        return tuple(self.plan[self.steps[-1][0]].shape)

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
        out = np.concatenate(outs) if outs else np.zeros((0, *self.output_shape))
        if keep:
            return out, {k: np.concatenate(v) for k, v in kept.items()}
        return out


def reference(source) -> Reference:
    return Reference(source)


def emulate(source, x) -> np.ndarray:
    """Firmware outputs (quantized logits) for model inputs x, bit for bit."""
    return Reference(source).run(x)


def layer_outputs(source, x) -> dict[str, np.ndarray]:
    """Every layer's output of the firmware for inputs x, for layer-by-layer comparisons."""
    return Reference(source).run(x, keep=True)[1]
