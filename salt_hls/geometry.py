"""Geometry of SAL-T, each rule stated once: how N particles split into p chunks, how the feature
axis splits into heads, the 'same' padding of the logit convolution, and the 1/sqrt(d) shift.

The Keras layers, the hls4ml handlers (and through them the C++ templates), the bit-exact
reference and the estimator all call these, so a change here reaches every implementation at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from salt_hls.errors import ConfigError


@dataclass(frozen=True)
class PartitionGeometry:
    """N particles cut into p contiguous chunks of c = ceil(N / p); the tail is zero-padded."""

    n_particles: int
    n_partitions: int

    @property
    def chunk(self) -> int:
        return math.ceil(self.n_particles / self.n_partitions)

    @property
    def padded(self) -> int:
        return self.chunk * self.n_partitions

    @property
    def n_pad(self) -> int:
        return self.padded - self.n_particles

    def members(self, j: int) -> range:
        """Particle indices of chunk j that exist (padding slots excluded)."""
        start = j * self.chunk
        return range(start, min(start + self.chunk, self.n_particles))


def partition_geometry(n_particles: int, n_partitions: int) -> PartitionGeometry:
    if not isinstance(n_particles, int) or n_particles < 1:
        raise ConfigError(f"number of particles N must be a positive integer, got {n_particles!r}")
    if not isinstance(n_partitions, int) or n_partitions < 1:
        raise ConfigError(f"number of partitions p must be a positive integer, got {n_partitions!r}")
    if n_particles < n_partitions:
        raise ConfigError(
            f"N = {n_particles} particles cannot fill p = {n_partitions} partitions: "
            f"use N >= p (for example N = {n_partitions}) or fewer partitions"
        )
    geo = PartitionGeometry(n_particles, n_partitions)
    if geo.n_pad >= geo.chunk:
        # e.g. N = 5, p = 4 -> c = 2, padded 8: the last chunk would hold only padding.
        raise ConfigError(
            f"N = {n_particles} with p = {n_partitions} leaves partition {n_partitions - 1} empty "
            f"(chunk size {geo.chunk}, {geo.n_pad} padding slots); choose N and p with "
            f"N > (p - 1) * ceil(N / p)"
        )
    return geo


def head_width(width: int, n_heads: int) -> int:
    """d = width / heads: head h owns feature columns h·d .. (h+1)·d - 1."""
    if n_heads < 1 or width % n_heads:
        raise ConfigError(f"feature width {width} is not divisible by {n_heads} heads; choose d_model a multiple of the heads")
    return width // n_heads


def same_padding(size: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding for a kernel of `size` at stride 1: (before, after)."""
    before = (size - 1) // 2
    return before, size - 1 - before


def scale_shift(head_dim: int) -> int:
    """1/sqrt(d) of the attention scores as a right shift; exact only when sqrt(d) is a power of two."""
    root = math.isqrt(head_dim)
    if root * root != head_dim or root & (root - 1):
        raise ConfigError(
            f"head dimension d = {head_dim}: 1/sqrt(d) is not a power of two, so the score scaling would "
            "round; use d = 1, 4, 16 or 64 (d_model / heads)"
        )
    return root.bit_length() - 1
