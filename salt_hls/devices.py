"""The one table of FPGA part totals, and the lookup every percentage goes through.

Totals are per die: package and speed grade change neither the LUT nor the BRAM count, which is
why a lookup may match a part by its die name when the full part string is not in the table.
BRAM is counted in 18 Kb blocks (BRAM18 = 2 x BRAM36), the unit HLS reports use.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from salt_hls.errors import ConfigError

RESOURCES = ("LUT", "FF", "DSP", "BRAM18", "URAM")


@dataclass(frozen=True)
class Part:
    part: str  # the full part string as Vivado writes it in set_part
    die: str  # the die name; totals are a property of the die
    LUT: int
    FF: int
    DSP: int
    BRAM18: int
    URAM: int

    def totals(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in RESOURCES}

    def to_dict(self) -> dict:
        return asdict(self)


# Sources: docs/l1t-context.md for the UltraScale+ parts (URAM from the AMD data sheet DS890);
# the xc7z020 row is the "Available" line of the Vivado HLS 2020.1 fixture report.
PARTS: tuple[Part, ...] = (
    Part("xcvu9p-flga2104-2-e", "xcvu9p", LUT=1_182_240, FF=2_364_480, DSP=6_840, BRAM18=4_320, URAM=960),
    Part("xcvu13p-flga2577-2-e", "xcvu13p", LUT=1_728_000, FF=3_456_000, DSP=12_288, BRAM18=5_376, URAM=1_280),
    Part("xc7z020clg400-1", "xc7z020", LUT=53_200, FF=106_400, DSP=220, BRAM18=280, URAM=0),
)


def _norm(text: str) -> str:
    """Lower case without separators; Vivado writes xc7z020-clg400-1 in HLS and 7z020clg400-1 in
    its utilization report, so the 'xc' prefix is restored when it is missing."""
    flat = re.sub(r"[\s\-_]", "", text.lower())
    return flat if flat.startswith("xc") else "xc" + flat


def known_parts() -> list[str]:
    return [p.part for p in PARTS]


def find_part(name: str) -> Part | None:
    """The table row for `name`, or None when it is unknown; ambiguous die matches raise."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = _norm(name)
    for p in PARTS:
        if _norm(p.part) == key:
            return p
    # Another package or speed grade of a known die: the die name must be followed by the end of
    # the string or by a letter (the package code), so that xcvu1 never matches xcvu13p.
    hits = [p for p in PARTS if key.startswith(p.die) and (len(key) == len(p.die) or key[len(p.die)].isalpha())]
    if len(hits) > 1:
        raise ConfigError(
            f"part {name!r} matches several known parts ({', '.join(h.part for h in hits)}); give the full part string"
        )
    return hits[0] if hits else None


def lookup_part(name: str) -> Part:
    """Like find_part, but an unknown part is an error that lists the known ones."""
    part = find_part(name)
    if part is None:
        raise ConfigError(
            f"unknown FPGA part {name!r}; known parts: {', '.join(known_parts())} (add its totals to salt_hls/devices.py)"
        )
    return part


@dataclass(frozen=True)
class Spelling:
    """A part string taken apart: device and package (run together, as Vivado's utilization report
    writes them), speed grade, and the optional temperature grade and anything after it."""

    device_package: str
    speed: str | None
    temperature: str | None
    rest: tuple[str, ...] = ()


def spelling(name: str) -> Spelling:
    """Vivado spells one part several ways: xczu9eg-ffvb1156-2-e in HLS and set_part,
    xczu9egffvb1156-2 in report_utilization, 7z020clg400-1 without the 'xc'. The speed grade is the
    first dash-separated field after the device that starts with a digit (2, 1L, 2MP); what follows
    it is the temperature grade (e, i, ...) and, on some parts, a revision."""
    fields = [f for f in re.split(r"[\s\-_]+", name.strip().lower()) if f]
    speed_at = next((i for i, f in enumerate(fields) if i > 0 and f[0].isdigit()), None)
    if speed_at is None:
        return Spelling(_norm("".join(fields)), None, None)
    after = fields[speed_at + 1 :]
    return Spelling(_norm("".join(fields[:speed_at])), fields[speed_at], after[0] if after else None, tuple(after[1:]))


def same_part(a: str | None, b: str | None) -> bool:
    """Whether two part strings name the same part: equal device, package and speed grade; a
    temperature grade (or revision) left out on one side matches any. A part given as its die alone
    (no speed grade) matches any part of that die when the die is in the table."""
    if not a or not b:
        return False
    sa, sb = spelling(a), spelling(b)
    if sa.speed is None or sb.speed is None:
        pa, pb = find_part(a), find_part(b)
        if pa is not None and pb is not None:
            return pa.die == pb.die
        return sa == sb
    return (
        sa.device_package == sb.device_package
        and sa.speed == sb.speed
        and _unless_absent(sa.temperature, sb.temperature)
        and _unless_absent(sa.rest, sb.rest)
    )


def _unless_absent(x, y) -> bool:
    return not x or not y or x == y
