"""The one fixed-point module: casts in every rounding and overflow mode, the texts, and the QKeras notation."""

import json
from pathlib import Path

import numpy as np
import pytest

from salt_hls.errors import ConfigError
from salt_hls.fixed import Fixed, FixedType

ROOT = Path(__file__).resolve().parents[1]
# ap_fixed<6,3>: lsb 1/8, range [-4, 3.875]; the values are 1.5 lsb, -1.5 lsb, 0.3 lsb and past both ends
X = np.array([0.1875, -0.1875, 0.0375, 4.0, -4.5, 100.0])


@pytest.mark.parametrize(
    "rounding,expected_lsbs",
    [
        ("TRN", [1, -2, 0]),
        ("TRN_ZERO", [1, -1, 0]),
        ("RND", [2, -1, 0]),  # ties towards +inf
        ("RND_ZERO", [1, -1, 0]),
        ("RND_MIN_INF", [1, -2, 0]),
        ("RND_INF", [2, -2, 0]),
        ("RND_CONV", [2, -2, 0]),  # ties to even
    ],
)
def test_rounding_modes_on_ties(rounding, expected_lsbs):
    t = FixedType(6, 3, True, rounding, "SAT")
    np.testing.assert_array_equal(t.cast(X[:3]) * 8, expected_lsbs)


@pytest.mark.parametrize(
    "overflow,expected",
    [
        ("SAT", [3.875, -4.0, 3.875]),
        ("SAT_ZERO", [0.0, 0.0, 0.0]),
        ("SAT_SYM", [3.875, -3.875, 3.875]),
        ("WRAP", [-4.0, 3.5, 100.0 - 13 * 8]),  # modulo 2^6 lsb = 8: 4 -> -4, -4.5 -> 3.5, 100 -> -4
    ],
)
def test_overflow_modes(overflow, expected):
    np.testing.assert_array_equal(FixedType(6, 3, True, "TRN", overflow).cast(X[3:]), expected)


def test_unsigned_saturation_and_wrap():
    np.testing.assert_array_equal(FixedType.site(4, 1, signed=False).cast(np.array([-0.5, 0.9375, 2.0])), [0.0, 1.0, 1.875])
    np.testing.assert_array_equal(FixedType(4, 1, signed=False).cast(np.array([2.25, -0.125])), [0.25, 1.875])


def test_texts_and_parsing():
    site, exact = FixedType.site(16, 7), FixedType(6, 2, signed=False)
    assert (str(site), site.ap(), site.flags()) == (
        "fixed<16,7,RND_CONV,SAT>",
        "ap_fixed<16,7,AP_RND_CONV,AP_SAT>",
        "ap_fixed<16,7,RND,SAT>",
    )
    assert (str(exact), exact.ap(), exact.flags()) == ("ufixed<6,2>", "ap_ufixed<6,2>", "ap_ufixed<6,2>")
    for t in (site, exact, FixedType(9, -2, True, "RND", "WRAP")):
        assert FixedType.parse(str(t)) == t and FixedType.parse(t.ap()) == t
    assert FixedType.parse("ap_fixed<16,7,AP_RND_CONV,AP_SAT,0>") == site  # hls4ml writes the saturation bits too
    assert FixedType.parse("ap_uint<8>") == FixedType(8, 8, signed=False)
    assert (site.kif, exact.signed_width, site.lsb, site.min, site.max) == ((1, 6, 9), 7, 2.0**-9, -64.0, 64 - 2.0**-9)
    with pytest.raises(ConfigError, match="cannot read the fixed-point type 'int16_t'"):
        FixedType.parse("int16_t")
    with pytest.raises(ConfigError, match="unknown rounding mode 'ROUND'"):
        FixedType(8, 2, True, "ROUND")


def test_qkeras_notation_maps_to_the_site_type():
    assert Fixed.parse("8,1").type == FixedType.site(8, 2)
    assert Fixed.parse("u10,1").type == FixedType.site(10, 1, signed=False)
    assert (Fixed(8, 1).lsb, Fixed(8, 1).min, Fixed(8, 1).max) == (2.0**-6, -2.0, 2 - 2.0**-6)
    with pytest.raises(ConfigError, match=r"bad fixed-point format '8\.1'"):
        Fixed.parse("8.1")


def test_shipped_metadata_with_the_old_classifier_key_loads():
    from salt_hls.model.builders import ModelSpec

    spec = json.loads((ROOT / "keras_models" / "salt_n16" / "metadata.json").read_text())["spec"]
    assert spec["head_dim"] == 16 and "classifier_dim" not in spec  # the shipped file keeps its old key
    loaded = ModelSpec.from_dict(spec)
    assert loaded.classifier_dim == 16 and loaded.d_model // loaded.n_heads == 4
    assert "head_dim" not in loaded.to_dict() and loaded.to_dict()["classifier_dim"] == 16
    with pytest.raises(ConfigError, match="both 'head_dim' and its new name 'classifier_dim'"):
        ModelSpec.from_dict({**spec, "classifier_dim": 8})
