"""Jet datasets, the jet generator and preprocessing."""

from salt_hls.data.jets import CLASS_NAMES, FEATURE_NAMES, JetSet, load_jets

__all__ = ["CLASS_NAMES", "FEATURE_NAMES", "JetSet", "load_jets"]
