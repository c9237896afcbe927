"""Registers the SAL-T extension with hls4ml, once per process, through hls4ml's own API."""

from __future__ import annotations

from pathlib import Path

import hls4ml

from salt_hls.errors import SaltError
from salt_hls.hls import pointwise
from salt_hls.hls.structure import register_structure

BACKENDS = ("Vivado", "Vitis")
_registered = False


def templates_dir() -> Path:
    """hls_templates/ of this checkout (the package is installed editable from the repository)."""
    d = Path(__file__).resolve().parents[2] / "hls_templates"
    if not d.is_dir():
        raise SaltError(f"C++ headers not found at {d}; install salt-hls from its repository with `pip install -e .`")
    return d


def register() -> None:
    """Handlers, layer classes, templates and headers of every SAL-T operation (salt_hls.operations). Idempotent."""
    global _registered
    if _registered:
        return
    from salt_hls.hls.ops.base import make_templates
    from salt_hls.operations import headers, load, salt_operations

    known = set(hls4ml.converters.get_supported_keras_layers())
    templates = []
    for op in salt_operations():
        if op.keras_class not in known:
            hls4ml.converters.register_keras_v2_layer_handler(op.keras_class, load(op.hls.handler))
        for pieces in op.hls_layers():
            layer_cls = load(pieces.layer)
            if layer_cls.__name__ not in hls4ml.model.layers.layer_map:
                hls4ml.model.layers.register_layer(layer_cls.__name__, layer_cls)
            templates += make_templates(layer_cls, load(pieces.config_template), load(pieces.call_template), op.hls.header)
    src = templates_dir()
    backends = [hls4ml.backends.get_backend(name) for name in BACKENDS]
    pointwise.register_pointwise(backends)
    register_structure()
    for backend in backends:
        for template in templates:
            backend.register_template(template)
        for header in (*headers(), pointwise.HEADER):
            backend.register_source(src / header)
    _registered = True
