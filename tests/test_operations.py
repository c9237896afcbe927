"""The operation registry: every record names every piece, and every piece exists and agrees with the others."""

import inspect
import re
from pathlib import Path

import pytest

from salt_hls import operations
from salt_hls.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SALT = [op for op in operations.OPERATIONS if op.is_salt]
ALL = list(operations.OPERATIONS)


def test_the_registry_covers_the_sal_t_layers_and_hls4ml_s_own():
    assert {op.keras_class for op in SALT} == {
        "PartitionProjection",
        "LinformerProjection",
        "AttentionScores",
        "LogitConv",
        "PartitionSoftmax",
        "WeightedValues",
        "DynamicTanh",
    }
    assert {op.keras_class for op in ALL if not op.is_salt} == {
        "InputLayer",
        "QActivation",
        "QDense",
        "Add",
        "GlobalMaxPooling1D",
    }
    assert len({op.name for op in ALL}) == len({op.keras_class for op in ALL}) == len(ALL)


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_every_operation_fills_every_column(op):
    from salt_hls.estimate.cost import LayerCoster

    layer_cls = operations.load(op.keras_layer)
    assert layer_cls.__name__ == op.keras_class
    rule = operations.load(op.precision)
    assert list(inspect.signature(rule).parameters) == ["layer", "ins"]
    kernel = operations.load(op.reference)
    assert list(inspect.signature(kernel).parameters) == ["p"]
    if op.name == "input":
        assert op.cost == {}  # hls4ml emits no call for the input: nothing to cost
    else:
        assert op.cost
    for function, path in op.cost.items():
        rule = operations.load(path)
        assert getattr(LayerCoster, rule.__name__) is rule, function
        assert list(inspect.signature(rule).parameters) == ["self", "call", "lc"]


@pytest.mark.parametrize("op", SALT, ids=lambda op: op.name)
def test_every_sal_t_operation_has_its_hls4ml_pieces(op):
    from salt_hls.hls.ops.base import SaltLayer

    pieces = op.hls
    assert callable(operations.load(pieces.handler))
    layer = operations.load(pieces.layer)
    assert issubclass(layer, SaltLayer) and layer.__name__ == f"Salt{op.keras_class}"
    config, call = operations.load(pieces.config_template), operations.load(pieces.call_template)
    assert "struct config{index}" in config
    # the C++ function the call emits is the one the estimator costs and the header defines
    (function,) = re.findall(r"nnet::(\w+)<", call)
    assert list(op.cost) == [function, *(v.function for v in pieces.variants)]
    header = (ROOT / "hls_templates" / pieces.header).read_text()
    assert re.search(rf"void {function}\(", header), f"{pieces.header} does not define {function}"
    for v in pieces.variants:  # the same agreement for each special case the handler may choose
        variant = operations.load(v.layer)
        assert issubclass(variant, SaltLayer) and variant.__name__ != layer.__name__
        assert "struct config{index}" in operations.load(v.config_template)
        assert re.findall(r"nnet::(\w+)<", operations.load(v.call_template)) == [v.function]
        assert re.search(rf"void {v.function}\(", header), f"{pieces.header} does not define {v.function}"


def test_the_two_partition_softmax_is_a_variant_of_the_softmax():
    (v,) = operations.get("partition_softmax").hls.variants
    assert (v.layer.rsplit(":", 1)[1], v.function) == ("SaltPairSoftmax", "pair_softmax")


def test_hls4ml_converts_the_other_layers_itself():
    import hls4ml

    supported = set(hls4ml.converters.get_supported_keras_layers())
    assert {op.keras_class for op in ALL if not op.is_salt} <= supported


def test_every_layer_of_the_transformer_models_has_a_record():
    from salt_hls.model.builders import ModelSpec, build_model
    from salt_hls.model.firmware import firmware_model

    for arch in ("salt", "linformer"):
        fw = firmware_model(build_model(ModelSpec(architecture=arch, n_particles=8)))
        assert {operations.for_keras_layer(layer).keras_class for layer in fw.layers} >= {"QDense", "DynamicTanh"}


def test_an_unknown_layer_is_named_with_the_supported_ones():
    class Conv3D:
        name = "c3"

    with pytest.raises(
        ConfigError, match=r"layer c3 \(Conv3D\) is not supported by the salt-hls converter; supported: InputLayer"
    ):
        operations.for_keras_layer(Conv3D())
    with pytest.raises(ConfigError, match="unknown operation 'sort'"):
        operations.get("sort")


def test_headers_and_custom_objects_come_from_the_registry():
    from salt_hls.model.io import custom_objects

    assert operations.headers() == (
        "salt_partition.h",
        "salt_attention.h",
        "salt_logit_conv.h",
        "salt_softmax.h",
        "salt_dyt.h",
        "salt_product.h",  # included by salt_attention.h and salt_softmax.h
    )
    templates = ROOT / "hls_templates"
    included = {inc for h in operations.headers() for inc in re.findall(r'#include "(salt_\w+\.h)"', (templates / h).read_text())}
    assert included <= set(operations.headers())  # every SAL-T header a header includes is copied into projects
    objs = custom_objects()
    assert all(objs[op.keras_class] is operations.load(op.keras_layer) for op in SALT)
