"""Bit-exact software emulation of the generated firmware."""

from salt_hls.emulate.reference import Reference, emulate, layer_outputs, round_to

__all__ = ["Reference", "emulate", "layer_outputs", "round_to"]
