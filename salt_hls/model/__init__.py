"""The Keras layers (one per SAL-T operation), model builders and model files."""

from salt_hls.model.builders import ARCHITECTURES, ModelSpec, build_model
from salt_hls.model.quantize import DEFAULT_SITES, Fixed, QuantConfig

__all__ = ["ARCHITECTURES", "DEFAULT_SITES", "Fixed", "ModelSpec", "QuantConfig", "build_model"]
