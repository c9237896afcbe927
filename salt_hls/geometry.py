"""Partition geometry of SAL-T: the one place that says how N particles split into p chunks.

The Keras layers, the hls4ml handlers, the C++ templates and the bit-exact reference all
call `partition_geometry`, so a change here reaches every implementation at once.
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
