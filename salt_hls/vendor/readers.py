"""Readers for single vendor report files, each returning plain figures (no derived numbers).

hls4ml.report.parse_vivado_report only works on a whole hls4ml project (it needs project.tcl and
an app file), prints instead of raising, and keeps neither the part nor the tool version. These
readers cover what it does not: loose files, the Vitis unified (vitis-run) layout, the .rpt text
forms (the classic "HLS Report", with the Vivado HLS <= 2019.1 latency table that has no
absolute-time columns, and the Vitis 2022+ "Synthesis Summary"), and Vivado's report_utilization
table, where hls4ml labels "Block RAM Tile" (36 Kb tiles) as BRAM_18K. Every failure is a
DataError that names the file and what was expected.
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
    format: str  # "csynth-xml", "csynth-rpt" or "csynth-summary-rpt"
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
    # What the report wrote instead of a number ("undef", "?"), per figure, e.g. {"latency_max": "undef"}
    undefined: dict = field(default_factory=dict)
    slack_ns: float | None = None  # the Synthesis Summary's timing slack (it states no clock periods)
    period_ns: float | None = None  # the period its ns figures use, when only they tell (Synthesis Summary)


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


def _cycles(out: Csynth, key: str, text: str | None, what: str) -> int | None:
    """A latency or interval figure; what the report wrote in its place is kept in out.undefined."""
    value = _int(text, out.path, what)
    if value is None and text is not None and text.strip():
        out.undefined[key] = text.strip()
    return value


def _ns(text: str | None, path: Path, what: str) -> float | None:
    if text is None or text.strip() in _UNDEFINED:
        return None
    match = re.fullmatch(r"\s*(-?[0-9.]+)\s*(ns)?\s*", text)
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
    out.latency_min = _cycles(out, "latency_min", latency.findtext("Best-caseLatency"), "Best-caseLatency")
    out.latency_max = _cycles(out, "latency_max", latency.findtext("Worst-caseLatency"), "Worst-caseLatency")
    out.interval_min = _cycles(out, "interval_min", latency.findtext("Interval-min"), "Interval-min")
    out.interval_max = _cycles(out, "interval_max", latency.findtext("Interval-max"), "Interval-max")
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
    _read_header(out, lines)
    if out.tool is None:
        raise DataError(f"{path}: expected a '== Vivado HLS Report for ...' or '== Vitis HLS Report for ...' header")

    clock = _first_data_row(lines, "+ Timing", path, "the Timing summary table (ap_clk row)")
    if len(clock) < 3:
        raise DataError(f"{path}: the Timing summary row should have Clock, Target, Estimated columns")
    out.target_ns = _ns(clock[1], path, "clock Target")
    out.estimate_ns = _ns(clock[2], path, "clock Estimated")
    out.uncertainty_ns = _ns(clock[3], path, "clock Uncertainty") if len(clock) > 3 else None

    lat = _first_data_row(lines, "+ Latency", path, "the Latency summary table")
    # Vivado HLS <= 2019.1 writes latency min/max, interval min/max and the pipeline type; later
    # releases put the absolute latency (ns) min/max between latency and interval.
    absolute = any("absolute" in line for line in _header_rows(lines, "+ Latency"))
    if len(lat) < (6 if absolute else 4):
        raise DataError(
            f"{path}: the Latency summary row should have latency min/max, "
            f"{'absolute min/max, ' if absolute else ''}interval min/max; found {len(lat)} cells"
        )
    at = 4 if absolute else 2
    out.latency_min = _cycles(out, "latency_min", lat[0], "latency min")
    out.latency_max = _cycles(out, "latency_max", lat[1], "latency max")
    out.interval_min = _cycles(out, "interval_min", lat[at], "interval min")
    out.interval_max = _cycles(out, "interval_max", lat[at + 1], "interval max")

    out.resources, out.available = _rpt_utilization(lines, path)
    return out


def _read_header(out: Csynth, lines: list[str]) -> None:
    """Tool, top, version and part from the first lines of either text form; the Synthesis Summary
    indents its fields under '+ General Information:'."""
    for line in lines[:40]:
        if m := re.match(r"^== (Vivado|Vitis) HLS Report for '([^']+)'", line):
            out.tool, out.top = f"{m.group(1)} HLS", m.group(2)
        elif m := re.match(r"^== Synthesis Summary Report of '([^']+)'", line):
            out.tool, out.top = "Vitis HLS", m.group(1)  # only Vitis HLS (2022.1 on) writes this form
        elif m := re.match(r"^\s*\* Version:\s+(\S+)", line):
            out.version = m.group(1)
        elif m := re.match(r"^\s*\* Target device:\s+(\S+)", line):
            out.part = m.group(1)


def _header_rows(lines: list[str], heading: str) -> list[str]:
    """The table rows under `heading` before its first data row (the column titles)."""
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(heading)), None)
    rows = []
    for line in lines[start + 1 :] if start is not None else []:
        if line.startswith("==") or line.strip().startswith("+ Detail"):
            break
        if _is_row(line):
            cells = _cells(line)
            if cells[0] == "ap_clk" or re.fullmatch(r"[0-9?]+|undef", cells[0]):
                break
            rows.append(line)
    return rows


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
        found = {
            _HLS_COLUMNS[c]: _int(v, path, f"utilization {c}") for c, v in zip(columns, cells, strict=False) if c in _HLS_COLUMNS
        }
        found.setdefault("URAM", 0)
        return {r: found.get(r) for r in HLS_RESOURCES}

    return pick(rows["Total"]), (pick(rows["Available"]) if "Available" in rows else {})


# ---------------------------------------------------------------- csynth.rpt, Vitis "Synthesis Summary"

# Column titles of the Performance & Resource Estimates table (two header rows joined) -> field.
_SUMMARY_COLUMNS = {
    "Slack": "slack",
    "Latency (cycles)": "cycles",
    "Latency (ns)": "ns",
    "Interval": "interval",
    "BRAM": "BRAM18",
    "DSP": "DSP",
    "FF": "FF",
    "LUT": "LUT",
    "URAM": "URAM",
}


def read_csynth_summary_rpt(path: Path) -> Csynth:
    """Vitis HLS 2022+ writes syn/report/csynth.rpt as a "Synthesis Summary": one table of modules
    and loops with latency in cycles and ns, interval, slack and resources with percentages, but no
    clock periods and no part totals. The top function is the row marked '+' at the first level."""
    path = Path(path)
    lines = _read_text(path).splitlines()
    out = Csynth(path=path, format="csynth-summary-rpt")
    _read_header(out, lines)
    if out.top is None:
        raise DataError(f"{path}: expected a '== Synthesis Summary Report of ...' header")
    start = next((i for i, line in enumerate(lines) if "Performance & Resource Estimates" in line), None)
    if start is None:
        raise DataError(f"{path}: expected a 'Performance & Resource Estimates' section; not found")
    titles: list[list[str]] = []
    top_row = None
    for line in lines[start + 1 :]:
        if line.startswith("=="):
            break
        if not _is_row(line):
            continue
        cells = _cells(line)
        if line.strip().startswith("|+"):  # "|+ top" is the top function; "| + sub" (indented) are not
            top_row = cells
            break
        titles.append(cells)
    if top_row is None or not titles:
        raise DataError(
            f"{path}: expected the Modules & Loops table with a '+ {out.top}' row under Performance & Resource Estimates"
        )
    columns = [" ".join(t for t in parts if t) for parts in zip(*titles, strict=False)]
    where = {_SUMMARY_COLUMNS[c]: i for i, c in enumerate(columns) if c in _SUMMARY_COLUMNS}
    missing = [c for c, key in _SUMMARY_COLUMNS.items() if key not in where and key != "URAM"]
    if missing:
        raise DataError(f"{path}: the Modules & Loops table lacks the columns {', '.join(missing)}; found {', '.join(columns)}")
    name = top_row[0].lstrip("+").strip().rstrip("*").strip()
    if name != out.top:
        raise DataError(f"{path}: the first '+' row of the Modules & Loops table is {name!r}, not the top function {out.top!r}")

    def cell(key: str) -> str | None:
        return top_row[where[key]] if key in where and where[key] < len(top_row) else None

    out.latency_min, out.latency_max = _summary_range(out, "latency", cell("cycles"), "Latency (cycles)")
    out.interval_min, out.interval_max = _summary_range(out, "interval", cell("interval"), "Interval")
    out.slack_ns = _ns(cell("slack"), path, "Slack")
    ns = _summary_float(cell("ns"), path)
    if ns is not None and out.latency_max:
        out.period_ns = round(ns / out.latency_max, 3)  # ns has 4 significant digits at most above 1e4
    # "212 (1%)" is a count and its percent; "-" in a resource column means none used.
    out.resources = {
        r: 0 if (cell(r) or "-").strip() == "-" else _int(cell(r).split("(")[0], path, f"{r} of {name}") for r in HLS_RESOURCES
    }
    return out


def _summary_range(out: Csynth, key: str, text: str | None, what: str) -> tuple[int | None, int | None]:
    """One figure, or 'min ~ max' when the two differ."""
    low, _, high = (text or "").partition("~")
    if not high:
        value = _cycles(out, f"{key}_max", text, what)
        if value is None and f"{key}_max" in out.undefined:
            out.undefined[f"{key}_min"] = out.undefined[f"{key}_max"]
        return value, value
    return _cycles(out, f"{key}_min", low, what + " min"), _cycles(out, f"{key}_max", high, what + " max")


def _summary_float(text: str | None, path: Path) -> float | None:
    if text is None or text.strip() in _UNDEFINED:
        return None
    try:
        return float(text.split("~")[-1])
    except ValueError:
        raise DataError(f"{path}: Latency (ns) should be a number, found {text.strip()!r}") from None


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
        "BRAM18": round(2 * found["BRAM_TILE"]),
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
    if re.search(r"^== Synthesis Summary Report of", head, re.M):
        return "csynth-summary-rpt"
    if "report_utilization" in head or "Utilization Design Information" in head:
        return "utilization"
    raise DataError(
        f"{path}: not a report salt-hls reads; expected an HLS csynth .xml/.rpt "
        "(<top>_csynth.xml, <top>_csynth.rpt, csynth.rpt: the HLS Report or the Vitis Synthesis Summary) "
        "or a Vivado report_utilization file (vivado_synth.rpt)"
    )
