"""QKeras quantizer -> fixed-point type table, and the exact result types."""

import pytest
from qkeras.quantizers import quantized_bits, quantized_relu, quantized_tanh

from salt_hls.errors import ConfigError
from salt_hls.fixed import FixedType, sum_of_products
from salt_hls.model.quantize import format_of


@pytest.mark.parametrize(
    "q,ap",
    [
        (quantized_bits(8, 1, alpha=1), "fixed<8,2,RND_CONV,SAT>"),
        (quantized_bits(16, 6, alpha=1), "fixed<16,7,RND_CONV,SAT>"),
        (quantized_bits(10, 1, keep_negative=False, alpha=1), "ufixed<10,1,RND_CONV,SAT>"),
        (quantized_relu(16, 6), "ufixed<16,6,RND_CONV,SAT>"),
        (quantized_bits(6, 0, alpha=1), "fixed<6,1,RND_CONV,SAT>"),
    ],
)
def test_quantizer_to_ap_type(q, ap):
    assert str(format_of(q, "layer").type) == ap


@pytest.mark.parametrize(
    "q,msg",
    [
        (quantized_bits(8, 1, alpha="auto_po2"), "alpha='auto_po2'"),
        (quantized_bits(8, 1, symmetric=1, alpha=1), "symmetric quantized_bits"),
        (quantized_tanh(8), "quantizer quantized_tanh is not supported"),
        ("relu", "only quantized models convert"),
    ],
)
def test_unsupported_quantizers_are_named(q, msg):
    with pytest.raises(ConfigError, match=msg):
        format_of(q, "embed")


def test_exact_sum_of_products_type():
    # 16 terms of fixed<16,7> x fixed<8,2>: products in (-128, 128], sum in (-2048, 2048], 15 + ... frac bits
    x, w = FixedType(16, 7), FixedType(8, 2)
    t = sum_of_products(x, w, 16)
    assert (t.frac, t.signed) == (9 + 6, True)
    assert t.min <= 16 * (-64 * 1.984375) and t.max >= 16 * 64 * 2
    assert str(FixedType.holding(0.0, 3.0, 4)) == "ufixed<6,2>"
    assert str(FixedType.holding(-1.0, 0.5, 3)) == "fixed<4,1>"
