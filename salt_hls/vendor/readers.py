"""Readers for single vendor report files, each returning plain figures (no derived numbers).

hls4ml.report.parse_vivado_report only works on a whole hls4ml project (it needs project.tcl and
an app file), prints instead of raising, and keeps neither the part nor the tool version. These
readers cover what it does not: loose files, the Vitis unified (vitis-run) layout, the .rpt text
form, and Vivado's report_utilization table, where hls4ml labels "Block RAM Tile" (36 Kb tiles)
as BRAM_18K. Every failure is a DataError that names the file and what was expected.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from salt_hls.errors import DataError

HLS_RESOURCES = ("LUT", "FF", "DSP", "BRAM18", "URAM")
# Vivado HLS calls the DSP column DSP48E, Vitis HLS calls it DSP; both count BRAM in 18 Kb blocks.
_HLS_COLUMNS = {"LUT": "LUT", "FF": "FF", "DSP48E": "DSP", "DSP": "DSP", "BRAM_18K": "BRAM18", "URAM": "URAM"}
_UNDEFINED = {"", "?", "undef", "-", "N/A", "NA"}


@dataclass
class Csynth:
    """What one C-synthesis report says about the top function."""

    path: Path
    format: str  # "csynth-xml" or "csynth-rpt"
    tool: str | None = None  # "Vivado HLS" or "Vitis HLS"
    version: str | None = None
    top: str | None = None
    part: str | None = None
    target_ns: float | None = None
    estimate_ns: float | None = None
    uncertainty_ns: float | None = None
    latency_min: int | None = None
    latency_max: int | None = None
    interval_min: int | None = None
    interval_max: int | None = None
    resources: dict = field(default_factory=dict)
    available: dict = field(default_factory=dict)


@dataclass
class Utilization:
    """What Vivado's report_utilization (vivado_synth.rpt) says."""

    path: Path
    version: str | None
    design: str | None
    part: str | None
    state: str | None  # "Synthesized", "Routed", ...
    resources: dict


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError as err:
        raise DataError(f"cannot read report {path}: {err.strerror}") from err


def _int(text: str | None, path: Path, what: str) -> int | None:
    if text is None or text.strip() in _UNDEFINED:
        return None  # HLS writes undef/? when a loop bound is unknown: the figure is missing, not 0
    try:
        return int(float(text.strip()))
    except ValueError:
        raise DataError(f"{path}: {what} should be a whole number, found {text.strip()!r}") from None


def _ns(text: str | None, path: Path, what: str) -> float | None:
    if text is None or text.strip() in _UNDEFINED:
        return None
    match = re.fullmatch(r"\s*([0-9.]+)\s*(ns)?\s*", text)
    if not match:
        raise DataError(f"{path}: {what} should be a time in ns, found {text.strip()!r}")
    return float(match.group(1))


def tool_from_version(version: str | None, dsp_tag: str | None) -> str | None:
    """Vivado HLS ended at 2020.1, the release where Vitis HLS began; at 2020.1 the DSP tag tells them
    apart (DSP48E in Vivado HLS, DSP in Vitis HLS)."""
    if not version:
        return None
    year_minor = tuple(int(x) for x in re.findall(r"\d+", version)[:2])
    if year_minor > (2020, 1):
        return "Vitis HLS"
    if year_minor < (2020, 1):
        return "Vivado HLS"
    return "Vitis HLS" if dsp_tag == "DSP" else "Vivado HLS"


# ---------------------------------------------------------------- csynth.xml


def read_csynth_xml(path: Path) -> Csynth:
    path = Path(path)
    try:
        root = ET.fromstring(_read_text(path))
    except ET.ParseError as err:
        raise DataError(f"{path}: not a well-formed csynth.xml ({err})") from None
    if root.tag != "profile":
        raise DataError(f"{path}: expected a Vivado/Vitis HLS csynth.xml with a <profile> root, found <{root.tag}>")

    def need(xpath: str):
        node = root.find(xpath)
        if node is None:
            raise DataError(f"{path}: expected <{xpath.split('/')[-1]}> at profile/{xpath} in a csynth.xml; not found")
        return node

    def text(xpath: str) -> str | None:
        node = root.find(xpath)
        return None if node is None or node.text is None else node.text

    latency = need("PerformanceEstimates/SummaryOfOverallLatency")
    resources = need("AreaEstimates/Resources")
    out = Csynth(path=path, format="csynth-xml")
    out.version = text("ReportVersion/Version")
    out.top = text("UserAssignments/TopModelName")
    out.part = text("UserAssignments/Part")
    out.target_ns = _ns(need("UserAssignments/TargetClockPeriod").text, path, "TargetClockPeriod")
    out.estimate_ns = _ns(text("PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"), path, "EstimatedClockPeriod")
    out.uncertainty_ns = _ns(text("UserAssignments/ClockUncertainty"), path, "ClockUncertainty")
    out.latency_min = _int(latency.findtext("Best-caseLatency"), path, "Best-caseLatency")
    out.latency_max = _int(latency.findtext("Worst-caseLatency"), path, "Worst-caseLatency")
    out.interval_min = _int(latency.findtext("Interval-min"), path, "Interval-min")
    out.interval_max = _int(latency.findtext("Interval-max"), path, "Interval-max")
    out.resources = _xml_resources(resources, path)
    available = root.find("AreaEstimates/AvailableResources")
    out.available = _xml_resources(available, path) if available is not None else {}
    dsp_tag = next((c.tag for c in resources if c.tag in ("DSP48E", "DSP")), None)
    out.tool = tool_from_version(out.version, dsp_tag)
    return out


def _xml_resources(node, path: Path) -> dict:
    found = {_HLS_COLUMNS[c.tag]: _int(c.text, path, c.tag) for c in node if c.tag in _HLS_COLUMNS}
    missing = [r for r in ("LUT", "FF", "DSP", "BRAM18") if r not in found]
    if missing:
        raise DataError(f"{path}: <{node.tag}> lacks {', '.join(missing)} (expected LUT, FF, DSP48E or DSP, BRAM_18K)")
    found.setdefault("URAM", 0)  # parts without UltraRAM (7-series) may omit the tag
    return {r: found[r] for r in HLS_RESOURCES}


# ---------------------------------------------------------------- csynth.rpt


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def read_csynth_rpt(path: Path) -> Csynth:
    path = Path(path)
    lines = _read_text(path).splitlines()
    out = Csynth(path=path, format="csynth-rpt")
    for line in lines[:40]:
        if m := re.match(r"^== (Vivado|Vitis) HLS Report for '([^']+)'", line):
            out.tool, out.top = f"{m.group(1)} HLS", m.group(2)
        elif m := re.match(r"^\* Version:\s+(\S+)", line):
            out.version = m.group(1)
        elif m := re.match(r"^\* Target device:\s+(\S+)", line):
            out.part = m.group(1)
    if out.tool is None:
        raise DataError(f"{path}: expected a '== Vivado HLS Report for ...' or '== Vitis HLS Report for ...' header")

    clock = _first_data_row(lines, "+ Timing", path, "the Timing summary table (ap_clk row)")
    if len(clock) < 3:
        raise DataError(f"{path}: the Timing summary row should have Clock, Target, Estimated columns")
    out.target_ns = _ns(clock[1], path, "clock Target")
    out.estimate_ns = _ns(clock[2], path, "clock Estimated")
    out.uncertainty_ns = _ns(clock[3], path, "clock Uncertainty") if len(clock) > 3 else None

    lat = _first_data_row(lines, "+ Latency", path, "the Latency summary table")
    if len(lat) < 6:
        raise DataError(f"{path}: the Latency summary row should have latency min/max, absolute min/max, interval min/max")
    out.latency_min = _int(lat[0], path, "latency min")
    out.latency_max = _int(lat[1], path, "latency max")
    out.interval_min = _int(lat[4], path, "interval min")
    out.interval_max = _int(lat[5], path, "interval max")

    out.resources, out.available = _rpt_utilization(lines, path)
    return out


def _first_data_row(lines: list[str], heading: str, path: Path, what: str) -> list[str]:
    """The first table row after `heading` whose cells are figures, not column titles."""
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(heading)), None)
    if start is None:
        raise DataError(f"{path}: expected a '{heading}:' section with {what}; not found")
    for line in lines[start + 1 :]:
        if line.startswith("==") or line.strip().startswith("+ Detail"):
            break
        if _is_row(line):
            cells = _cells(line)
            if cells[0] == "ap_clk" or re.fullmatch(r"[0-9?]+|undef", cells[0]):
                return cells
    raise DataError(f"{path}: expected {what} under '{heading}:'; no data row found")


def _rpt_utilization(lines: list[str], path: Path) -> tuple[dict, dict]:
    start = next((i for i, line in enumerate(lines) if line.startswith("== Utilization Estimates")), None)
    if start is None:
        raise DataError(f"{path}: expected a '== Utilization Estimates' section; not found")
    columns = None
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if not _is_row(line):
            if columns and line.strip().startswith("+ Detail"):
                break
            continue
        cells = _cells(line)
        if columns is None and "BRAM_18K" in cells:
            columns = cells
        elif columns is not None and cells[0] in ("Total", "Available") and cells[0] not in rows:
            rows[cells[0]] = cells
    if columns is None or "Total" not in rows:
        raise DataError(f"{path}: expected the Utilization Estimates summary table with a BRAM_18K header and a Total row")

    def pick(cells: list[str]) -> dict:
        found = {_HLS_COLUMNS[c]: _int(v, path, f"utilization {c}") for c, v in zip(columns, cells) if c in _HLS_COLUMNS}
        found.setdefault("URAM", 0)
        return {r: found.get(r) for r in HLS_RESOURCES}

    return pick(rows["Total"]), (pick(rows["Available"]) if "Available" in rows else {})


# ---------------------------------------------------------------- vivado_synth.rpt (report_utilization)

# Row labels: 7-series reports say Slice, UltraScale(+) reports say CLB. "Block RAM Tile" counts
# 36 Kb tiles (a lone RAMB18 is half a tile), so BRAM18 = 2 x tiles.
_UTIL_ROWS = {
    "Slice LUTs": "LUT",
    "CLB LUTs": "LUT",
    "Slice Registers": "FF",
    "CLB Registers": "FF",
    "DSPs": "DSP",
    "Block RAM Tile": "BRAM_TILE",
    "URAM": "URAM",
}


def read_utilization_rpt(path: Path) -> Utilization:
    path = Path(path)
    lines = _read_text(path).splitlines()
    head = {}
    for line in lines[:20]:
        if m := re.match(r"^\|\s*([A-Za-z ]+?)\s*:\s*(.*?)\s*$", line):
            head[m.group(1)] = m.group(2)
    if "report_utilization" not in head.get("Command", "") and not any("Utilization Design Information" in x for x in lines[:30]):
        raise DataError(f"{path}: expected a Vivado report_utilization file (vivado_synth.rpt); header not found")
    version = re.search(r"v\.?(\d{4}\.\d+(?:\.\d+)?)", head.get("Tool Version", ""))

    found: dict[str, float] = {}
    used_col = None
    for line in lines:
        if not _is_row(line):
            continue
        cells = _cells(line)
        if cells[0] == "Site Type":
            used_col = cells.index("Used") if "Used" in cells else None
            continue
        label = cells[0].rstrip("*").strip()
        key = _UTIL_ROWS.get(label)
        if key is None or key in found or used_col is None:
            continue
        try:
            found[key] = float(cells[used_col])
        except (ValueError, IndexError):
            raise DataError(f"{path}: the '{label}' row should have a number in the Used column") from None
    expected = (("Slice/CLB LUTs", "LUT"), ("Slice/CLB Registers", "FF"), ("DSPs", "DSP"), ("Block RAM Tile", "BRAM_TILE"))
    missing = [label for label, key in expected if key not in found]
    if missing:
        raise DataError(f"{path}: report_utilization table lacks the rows {', '.join(missing)}")
    resources = {
        "LUT": int(found["LUT"]),
        "FF": int(found["FF"]),
        "DSP": int(found["DSP"]),
        "BRAM18": int(round(2 * found["BRAM_TILE"])),
        # Vivado leaves the URAM row out on parts that have none (7-series): none used.
        "URAM": int(found.get("URAM", 0)),
    }
    return Utilization(
        path=path,
        version=version.group(1) if version else None,
        design=head.get("Design"),
        part=head.get("Device"),
        state=head.get("Design State"),
        resources=resources,
    )


def sniff(path: Path) -> str:
    """Which kind of report a loose file is: csynth-xml, csynth-rpt or utilization."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"report file {path} {'is a directory' if path.is_dir() else 'does not exist'}; expected a report file")
    head = _read_text(path)[:4000]
    if "<profile" in head and path.suffix == ".xml":
        return "csynth-xml"
    if re.search(r"^== (Vivado|Vitis) HLS Report for", head, re.M):
        return "csynth-rpt"
    if "report_utilization" in head or "Utilization Design Information" in head:
        return "utilization"
    raise DataError(
        f"{path}: not a report salt-hls reads; expected an HLS csynth .xml/.rpt "
        "(<top>_csynth.xml, csynth.rpt) or a Vivado report_utilization file (vivado_synth.rpt)"
    )
