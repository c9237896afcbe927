"""The input normalization folded into the first layer, so the network takes the stage's native units.

The trained model computes, per particle, y = W^T q((x - c) / s) + b on physics features x
(pT [GeV], deta, dphi [rad]), with q the input quantizer, and y = b for a padding slot (its
normalized input is exactly 0). The stage delivers raw integers u with x = u * lsb. Folding:

    W'[f] = round(W[f] * lsb[f] / s[f])  on the grid 2^-F,
    u_pad = round(c / lsb)               the stage's padding value (per feature),
    b'    = b - W'^T u_pad               exact (on 2^-F),

so y' = W'^T u + b' = W'^T (u - u_pad) + b, and an empty slot (u = u_pad) gives exactly b: what
padding gives in the trained model, whatever the rounding of W'. A real particle differs from
the trained model by the rounding of W' and of c, and by the input quantizer that folding drops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from salt_hls.data.preprocess import Normalization
from salt_hls.errors import ConfigError
from salt_hls.l1input import words as W
from salt_hls.l1input.stage import DELTA_MAX, DELTA_MIN

NATIVE_LSB = (W.PT_LSB_GEV, W.ETAPHI_LSB, W.ETAPHI_LSB)


@dataclass(frozen=True)
class Folded:
    kernel: np.ndarray  # (3, units), on the grid 2^-frac
    bias: np.ndarray  # (units,), on the grid 2^-frac, exact
    pad: tuple[int, int, int]  # the stage's padding value
    frac: int  # fractional bits of kernel and bias


def weight_frac(norm: Normalization, kernel_frac: int) -> int:
    """Fractional bits that keep the folded weights as fine, relative to their feature's scale,
    as the trained kernel's grid 2^-kernel_frac: kernel_frac + ceil(log2(max s / lsb))."""
    return kernel_frac + max(math.ceil(math.log2(s / lsb)) for s, lsb in zip(norm.scale, NATIVE_LSB, strict=True))


def fold(kernel: np.ndarray, bias: np.ndarray, norm: Normalization, frac: int) -> Folded:
    kernel = np.asarray(kernel, np.float64)
    bias = np.asarray(bias, np.float64)
    if kernel.shape[0] != len(NATIVE_LSB) or bias.shape != kernel.shape[1:]:
        raise ConfigError(
            f"the first layer must be a (3, units) kernel with a (units,) bias to fold the input stage into; got {kernel.shape}, {bias.shape}"
        )
    lsb = np.asarray(NATIVE_LSB)
    scale = np.asarray(norm.scale, np.float64)
    pad = tuple(int(v) for v in np.round(np.asarray(norm.center, np.float64) / lsb))
    if not (0 <= pad[0] <= W.PT_MAX and all(DELTA_MIN <= v <= DELTA_MAX for v in pad[1:])):
        raise ConfigError(
            f"the normalization centre {norm.center} lies outside the stage's native ranges; refit the normalization"
        )
    step = 2.0**-frac
    k = np.round(kernel * (lsb / scale)[:, None] / step) * step
    b = bias - np.asarray(pad, np.float64) @ k  # exact: every term on the grid 2^-frac, far within 53 bits
    return Folded(k, b, pad, frac)


def first_layer(features: np.ndarray, folded: Folded) -> np.ndarray:
    """The folded first layer's pre-activation for raw stage features (..., 3)."""
    return np.asarray(features, np.float64) @ folded.kernel + folded.bias
