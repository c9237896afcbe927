"""The device table and its part lookup."""

import pytest

from salt_hls import devices
from salt_hls.devices import PARTS, Part, find_part, lookup_part, same_part, spelling
from salt_hls.errors import ConfigError


def test_totals_from_l1t_context():
    # docs/l1t-context.md "Devices (totals)": LUT, FF, DSP, BRAM36 (BRAM18), URAM
    assert lookup_part("xcvu9p-flga2104-2-e").totals() == {
        "LUT": 1_182_240,
        "FF": 2_364_480,
        "DSP": 6_840,
        "BRAM18": 4_320,
        "URAM": 960,
    }
    assert lookup_part("xcvu13p-flga2577-2-e").totals() == {
        "LUT": 1_728_000,
        "FF": 3_456_000,
        "DSP": 12_288,
        "BRAM18": 5_376,
        "URAM": 1_280,
    }
    # myproject_csynth.rpt line 67 "|Available | 280| 220| 106400| 53200| 0|"
    assert lookup_part("xc7z020clg400-1").totals() == {"LUT": 53_200, "FF": 106_400, "DSP": 220, "BRAM18": 280, "URAM": 0}


def test_bram18_is_twice_bram36():
    assert lookup_part("xcvu13p-flga2577-2-e").BRAM18 == 2 * 2_688
    assert lookup_part("xcvu9p-flga2104-2-e").BRAM18 == 2 * 2_160


@pytest.mark.parametrize(
    "name,expected",
    [
        ("XCVU13P-FLGA2577-2-E", "xcvu13p-flga2577-2-e"),  # case
        ("xc7z020-clg400-1", "xc7z020clg400-1"),  # how HLS writes it
        ("7z020clg400-1", "xc7z020clg400-1"),  # how report_utilization writes it
        ("xcvu13p-fhga2104-3-e", "xcvu13p-flga2577-2-e"),  # another package and speed grade, same die
        ("xcvu9p-flgb2104-2-i", "xcvu9p-flga2104-2-e"),
        ("xcvu13p", "xcvu13p-flga2577-2-e"),  # the die alone
    ],
)
def test_lookup_variants(name, expected):
    assert lookup_part(name).part == expected


def test_unknown_part_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        lookup_part("xcku115-flvb2104-2-e")
    for part in devices.known_parts():
        assert part in str(err.value)
    assert find_part("xcku115-flvb2104-2-e") is None
    assert find_part("xcvu1") is None  # a die prefix of xcvu13p is not xcvu13p


def test_ambiguous_variant_is_refused(monkeypatch):
    extra = Part("xcvu13p-fhga2104-2-e", "xcvu13p", LUT=1, FF=1, DSP=1, BRAM18=1, URAM=1)
    monkeypatch.setattr(devices, "PARTS", (*PARTS, extra))
    assert lookup_part("xcvu13p-fhga2104-2-e") is extra  # an exact match is never ambiguous
    with pytest.raises(ConfigError, match="matches several known parts"):
        lookup_part("xcvu13p-flgb2104-3-e")


def test_same_part():
    assert same_part("xc7z020-clg400-1", "7z020clg400-1")
    assert not same_part("xc7z020-clg400-1", "xcvu13p-flga2577-2-e")
    assert not same_part(None, "xcvu13p-flga2577-2-e")


@pytest.mark.parametrize(
    "a,b,same",
    [
        ("xczu9egffvb1156-2", "xczu9eg-ffvb1156-2-e", True),  # utilization report vs HLS
        ("XCZU9EG-FFVB1156-2-E", "xczu9eg-ffvb1156-2-e", True),
        ("xcvu9p-flga2104-2L-e", "xcvu9pflga2104-2l", True),
        ("xczu9eg-ffvb1156-2-e", "xczu9eg-ffvb1156-1-e", False),  # speed grade
        ("xczu9eg-ffvb1156-2-e", "xczu9eg-ffvb1156-2-i", False),  # temperature grade, both given
        ("xczu9eg-ffvb1156-2-e", "xczu9eg-ffvc900-2-e", False),  # package
        ("xczu9eg-ffvb1156-2-e", "xczu7ev-ffvc1156-2-e", False),  # device
    ],
)
def test_part_spellings(a, b, same):
    assert same_part(a, b) is same
    assert same_part(b, a) is same


def test_spelling_fields():
    s = spelling("xcvc1902-vsva2197-2MP-e-S")
    assert (s.device_package, s.speed, s.temperature, s.rest) == ("xcvc1902vsva2197", "2mp", "e", ("s",))
    assert spelling("7z020clg400-1").device_package == "xc7z020clg400"
