"""One normalized synthesis report, whatever produced it: a vendor run, a netlist synthesized with
open tools (e.g. Yosys), or an estimate.

parse_path() reads an hls4ml project directory, any HLS project/solution directory, a Vitis
unified (vitis-run) component or workspace, loose report files, or the normalized JSON form;
to_dict()/from_dict() give the JSON form stored under synth_reports/ and read back by
`salt-hls check` and `salt-hls report`.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from salt_hls import devices
from salt_hls.errors import DataError, SaltError
from salt_hls.vendor.locate import locate
from salt_hls.vendor.readers import (
    HLS_RESOURCES,
    Csynth,
    Utilization,
    read_csynth_rpt,
    read_csynth_summary_rpt,
    read_csynth_xml,
    read_utilization_rpt,
    sniff,
)

SCHEMA = "salt-hls/synth-report"
SCHEMA_VERSION = 1
# What stands behind a report's figures, strongest first: a vendor tool's own report, a netlist
# synthesized with open tools (real cells, but no vendor placement or timing), a model's estimate.
EVIDENCE = ("vendor", "open-synthesis", "estimate")
EVIDENCE_LABELS = {"vendor": "vendor report", "open-synthesis": "open synthesis", "estimate": "estimate"}
KINDS = EVIDENCE
STAGES = ("hls_estimate", "post_synthesis")  # the C-synthesis estimate, and Vivado after synth_design


def evidence_rank(kind: str) -> int:
    """0 for the strongest evidence (a vendor report), then an open synthesis, then an estimate."""
    if kind not in EVIDENCE:
        raise DataError(f"report kind {kind!r} is not one of {', '.join(EVIDENCE)}")
    return EVIDENCE.index(kind)


def strongest(reports: list) -> SynthReport:
    """The report with the strongest evidence (the first given among equals)."""
    if not reports:
        raise DataError("no reports to choose from")
    return min(reports, key=lambda r: evidence_rank(r.kind))


@dataclass
class SynthReport:
    """Figures for the top function. Open-tool syntheses (kind="open-synthesis", tool and version
    required) and estimates (kind="estimate") fill the same fields; `method` says how the figures
    were obtained, e.g. "vivado-hls-csynth+vivado-synth", "yosys-synth_xilinx" or "da4ml"."""

    kind: str
    method: str
    part: str | None
    tool: str | None = None
    tool_version: str | None = None
    top: str | None = None
    clock_target_ns: float | None = None
    clock_estimate_ns: float | None = None
    clock_uncertainty_ns: float | None = None
    latency_min_cycles: int | None = None
    latency_max_cycles: int | None = None
    interval_min_cycles: int | None = None
    interval_max_cycles: int | None = None
    resources: dict = field(default_factory=dict)  # stage -> {LUT, FF, DSP, BRAM18, URAM}
    post_synthesis_state: str | None = None  # Vivado's "Design State": Synthesized, Routed
    report_totals: dict | None = None  # the tool's own "Available" line, used for parts not in devices.py
    sources: list = field(default_factory=list)  # [{path, format, parser, ...}]
    notes: list = field(default_factory=list)
    # What the report wrote where a cycle count belongs ("undef", "?"), e.g. {"latency_max": "undef"}
    undefined: dict = field(default_factory=dict)
    slack_ns: float | None = None  # the report's own slack, where it gives one instead of clock periods
    report_period_ns: float | None = None  # the period of the report's ns figures, where no clock is stated
    schema_version: int = SCHEMA_VERSION

    # ------------------------------------------------------------ derived figures

    def timing_met(self) -> bool | None:
        """False when the estimated clock period exceeds the target (or the report's slack is
        negative); None when the report says neither."""
        if self.clock_target_ns is not None and self.clock_estimate_ns is not None:
            return self.clock_estimate_ns <= self.clock_target_ns
        return None if self.slack_ns is None else self.slack_ns >= 0

    def clock_period(self) -> tuple[float | None, str | None]:
        """(period in ns, where it comes from) that the ns figures use. HLS states latency in ns at
        the estimated period when that exceeds the target (timing failed), at the target otherwise."""
        if (
            self.clock_target_ns is not None
            and self.clock_estimate_ns is not None
            and self.clock_estimate_ns > self.clock_target_ns
        ):
            return self.clock_estimate_ns, "estimate"
        if self.clock_target_ns is not None:
            return self.clock_target_ns, "target"
        if self.report_period_ns is not None:
            return self.report_period_ns, "report"
        return None, None

    def latency_ns(self, which: str) -> float | None:
        """Latency in ns at the period the report itself uses (see clock_period)."""
        cycles = self.latency_min_cycles if which == "min" else self.latency_max_cycles
        period = self.clock_period()[0]
        return None if cycles is None or period is None else round(cycles * period, 6)

    def interval_ns(self, which: str = "max") -> float | None:
        """Time between two inputs (one jet each): II x the period the report uses."""
        cycles = self.interval_min_cycles if which == "min" else self.interval_max_cycles
        period = self.clock_period()[0]
        return None if cycles is None or period is None else round(cycles * period, 6)

    def latency_null_reason(self, which: str) -> str | None:
        """Why latency_ns(which) is None, or None when it is not."""
        if self.latency_ns(which) is not None:
            return None
        cycles = self.latency_min_cycles if which == "min" else self.latency_max_cycles
        if cycles is None:
            said = self.undefined.get(f"latency_{which}")
            if said is not None:
                return (
                    f"the report gives the {which} latency as {said!r}: HLS could not bound it (a loop with a "
                    "variable trip count, or a region it cannot schedule statically); a loop_tripcount or fixed "
                    "loop bound gives a figure"
                )
            return f"the report gives no {which} latency in cycles"
        return "the report states no clock period (neither target nor estimated), so cycles cannot be turned into ns"

    def timing_note(self) -> str | None:
        """One sentence when timing failed: by how much, and which period the ns figures use."""
        if self.timing_met() is not False:
            return None
        if self.clock_target_ns is not None and self.clock_estimate_ns is not None:
            return (
                f"timing failed: estimated clock period {self.clock_estimate_ns:g} ns exceeds the {self.clock_target_ns:g} ns "
                f"target; latency in ns uses {self.clock_estimate_ns:g} ns, as the report does"
            )
        return f"timing failed: the report's slack is {self.slack_ns:g} ns"

    def part_totals(self) -> tuple[dict | None, str | None]:
        """(totals, where they came from): devices.py for a known part, else the report's own."""
        known = devices.find_part(self.part) if self.part else None
        if known is not None:
            return known.totals(), "devices.py:" + known.part
        if self.report_totals:
            return dict(self.report_totals), "report"
        return None, None

    def utilization_pct(self, totals: dict | None = None) -> dict:
        """Percent of `totals` (default: this report's part) per stage and resource; None where
        the stage is absent, the figure is missing or the part has none of that resource."""
        totals = totals if totals is not None else self.part_totals()[0]
        out = {}
        for stage in STAGES:
            used = self.resources.get(stage)
            out[stage] = None if used is None or totals is None else {r: _pct(used.get(r), totals.get(r)) for r in HLS_RESOURCES}
        return out

    def resource_stage(self, prefer: str = "auto") -> str | None:
        """The stage a budget checks: post-synthesis when present (closer to the final netlist), else HLS."""
        if prefer != "auto":
            return prefer
        return "post_synthesis" if self.resources.get("post_synthesis") else "hls_estimate"

    # ------------------------------------------------------------ JSON form

    def to_dict(self) -> dict:
        totals, totals_source = self.part_totals()
        return {
            "schema": SCHEMA,
            "schema_version": self.schema_version,
            "kind": self.kind,
            "method": self.method,
            "tool": {"name": self.tool, "version": self.tool_version},
            "top": self.top,
            "part": self.part,
            "sources": list(self.sources),
            "clock": {
                "target_ns": self.clock_target_ns,
                "estimate_ns": self.clock_estimate_ns,
                "uncertainty_ns": self.clock_uncertainty_ns,
            },
            "latency": {
                "min_cycles": self.latency_min_cycles,
                "max_cycles": self.latency_max_cycles,
                "min_ns": self.latency_ns("min"),
                "max_ns": self.latency_ns("max"),
            },
            "interval": {"min_cycles": self.interval_min_cycles, "max_cycles": self.interval_max_cycles},
            "timing": self._timing_dict(),
            "resources": {stage: self.resources.get(stage) for stage in STAGES},
            "post_synthesis_state": self.post_synthesis_state,
            "report_totals": self.report_totals,
            "part_totals": None if totals is None else {**totals, "source": totals_source},
            "utilization_pct": self.utilization_pct(totals),
            "notes": list(self.notes),
        }

    def _timing_dict(self) -> dict:
        period, period_from = self.clock_period()
        return {
            "met": self.timing_met(),
            "slack_ns": self.slack_ns,
            "report_period_ns": self.report_period_ns,
            "period_ns": period,  # what latency min_ns/max_ns use
            "period_from": period_from,  # "target", "estimate" (timing failed) or "report"
            "undefined": dict(self.undefined),
            "latency_null": {w: self.latency_null_reason(w) for w in ("min", "max")},
            "note": self.timing_note(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict, origin: str = "report") -> SynthReport:
        """Read the JSON form back; derived fields (ns, totals, percentages) are recomputed."""
        return _from_dict(data, origin)


def _pct(used, total) -> float | None:
    if used is None or total is None:
        return None
    if total == 0:
        return 0.0 if used == 0 else None
    return round(100.0 * used / total, 4)


# ---------------------------------------------------------------- building from vendor files


def parse_path(path: str | Path) -> SynthReport:
    """A directory (project, solution, component, or loose files) or a single report file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist; expected an HLS project directory or a report file")
    if path.is_file() and path.suffix == ".json":
        return _load_json(path)
    if path.is_dir():
        found = locate(path)
        return build_report(found.csynth, found.utilization, hls4ml_project=found.hls4ml_project)
    return parse_files([path])


def parse_files(paths: list[str | Path]) -> SynthReport:
    """Loose files: exactly one C-synthesis report, optionally one vivado_synth.rpt."""
    csynth, util = [], []
    for p in map(Path, paths):
        (util if sniff(p) == "utilization" else csynth).append(p)
    if len(csynth) != 1 or len(util) > 1:
        names = ", ".join(str(p) for p in paths)
        raise DataError(f"expected one C-synthesis report (*_csynth.xml or .rpt) and at most one vivado_synth.rpt; got {names}")
    return build_report(csynth[0], util[0] if util else None)


def build_report(csynth_path: Path, util_path: Path | None = None, hls4ml_project: Path | None = None) -> SynthReport:
    csynth_path = Path(csynth_path)
    readers = {"csynth-xml": read_csynth_xml, "csynth-rpt": read_csynth_rpt, "csynth-summary-rpt": read_csynth_summary_rpt}
    cs = readers[sniff(csynth_path)](csynth_path)
    parser = "salt_hls.vendor.readers"
    if hls4ml_project is not None:
        cs = _with_hls4ml_figures(cs, hls4ml_project)
        parser = "hls4ml.report.parse_vivado_report"
    slug = (cs.tool or "hls").lower().replace(" ", "-")
    report = SynthReport(
        kind="vendor",
        method=f"{slug}-csynth",
        part=cs.part,
        tool=cs.tool,
        tool_version=cs.version,
        top=cs.top,
        clock_target_ns=cs.target_ns,
        clock_estimate_ns=cs.estimate_ns,
        clock_uncertainty_ns=cs.uncertainty_ns,
        latency_min_cycles=cs.latency_min,
        latency_max_cycles=cs.latency_max,
        interval_min_cycles=cs.interval_min,
        interval_max_cycles=cs.interval_max,
        resources={"hls_estimate": cs.resources},
        report_totals=cs.available or None,
        sources=[{"path": str(csynth_path), "format": cs.format, "parser": parser, "tool": cs.tool, "version": cs.version}],
        undefined=dict(cs.undefined),
        slack_ns=cs.slack_ns,
        report_period_ns=cs.period_ns,
    )
    if util_path is not None:
        _add_utilization(report, read_utilization_rpt(util_path))
    _check_totals(report)
    # Said once here, where the vendor files are read, so that `salt-hls report` shows them.
    if report.timing_note():
        report.notes.append(report.timing_note())
    if report.latency_null_reason("max"):
        report.notes.append(f"latency in ns is missing: {report.latency_null_reason('max')}")
    if cs.format == "csynth-summary-rpt":
        report.notes.append(
            "a Vitis Synthesis Summary states no clock periods; read the csynth.xml or <top>_csynth.rpt beside it for them"
        )
    return report


def _with_hls4ml_figures(cs: Csynth, project: Path) -> Csynth:
    """Take the C-synthesis figures from hls4ml.report for an hls4ml project. It prints progress
    instead of returning errors, so its output is captured and shown only when it failed."""
    from hls4ml.report import parse_vivado_report  # imported here: hls4ml takes most of a second to import

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            raw = parse_vivado_report(str(project))
    except Exception as err:  # hls4ml raises bare IndexError/KeyError on odd projects
        raise DataError(f"{project}: hls4ml.report.parse_vivado_report failed ({type(err).__name__}: {err})") from err
    figures = (raw or {}).get("CSynthesisReport")
    if not figures:
        said = " ".join(printed.getvalue().split())
        raise DataError(f"{project}: hls4ml.report.parse_vivado_report found no C-synthesis report ({said})")

    def num(key: str, conv):
        try:
            return conv(float(figures[key])) if figures.get(key) is not None else None
        except ValueError:
            return None  # "undef" in the XML: a figure HLS could not bound

    return replace(
        cs,
        target_ns=num("TargetClockPeriod", float),
        estimate_ns=num("EstimatedClockPeriod", float),
        latency_min=num("BestLatency", int),
        latency_max=num("WorstLatency", int),
        interval_min=num("IntervalMin", int),
        interval_max=num("IntervalMax", int),
        resources={r: num(k, int) for r, k in _HLS4ML_KEYS.items()} | {"URAM": num("URAM", int) or 0},
        available={r: num("Available" + k, int) for r, k in _HLS4ML_KEYS.items()} | {"URAM": num("AvailableURAM", int) or 0},
    )


_HLS4ML_KEYS = {"LUT": "LUT", "FF": "FF", "DSP": "DSP", "BRAM18": "BRAM_18K"}


def _add_utilization(report: SynthReport, util: Utilization) -> None:
    if report.part and util.part and not devices.same_part(report.part, util.part):
        raise DataError(
            f"{util.path} is for part {util.part} but {report.sources[0]['path']} is for {report.part}; "
            "they come from different runs"
        )
    report.resources["post_synthesis"] = util.resources
    report.post_synthesis_state = util.state
    report.method += "+vivado-synth"
    report.sources.append(
        {
            "path": str(util.path),
            "format": "vivado-utilization",
            "parser": "salt_hls.vendor.readers",
            "tool": "Vivado",
            "version": util.version,
        }
    )


def _check_totals(report: SynthReport) -> None:
    """Note (not fail) when devices.py and the tool disagree on the part's totals."""
    known = devices.find_part(report.part) if report.part else None
    if report.part and known is None:
        report.notes.append(f"part {report.part} is not in salt_hls/devices.py; percentages use the report's own totals")
    elif known is not None and report.report_totals:
        diff = [r for r in HLS_RESOURCES if report.report_totals.get(r) not in (None, known.totals()[r])]
        if diff:
            report.notes.append(f"the report's available {', '.join(diff)} differ from devices.py for {known.part}")


# ---------------------------------------------------------------- reading the JSON form back


def load_report(path: str | Path) -> SynthReport:
    """A normalized JSON file (from `salt-hls report --out`) or anything parse_path reads."""
    return parse_path(path)


def _load_json(path: Path) -> SynthReport:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not a readable JSON report ({err})") from None
    return SynthReport.from_dict(data, origin=str(path))


def _from_dict(data: dict, origin: str) -> SynthReport:
    def bad(msg: str) -> SaltError:
        return DataError(f"{origin}: {msg}")

    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise bad(f'expected a JSON object with "schema": "{SCHEMA}"')
    if data.get("schema_version") != SCHEMA_VERSION:
        raise bad(f"schema_version {data.get('schema_version')!r} is not supported (expected {SCHEMA_VERSION})")
    if data.get("kind") not in KINDS:
        raise bad(f"kind must be one of {', '.join(KINDS)}, found {data.get('kind')!r}")
    if not isinstance(data.get("method"), str) or not data["method"]:
        raise bad("method must be a non-empty string")
    if data["kind"] == "open-synthesis":
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        if not all(isinstance(tool.get(k), str) and tool[k] for k in ("name", "version")):
            raise bad('an "open-synthesis" report must name its tool: "tool": {"name": "Yosys", "version": "0.70"}')

    def section(name: str) -> dict:
        value = data.get(name) or {}
        if not isinstance(value, dict):
            raise bad(f"{name} must be an object")
        return value

    def number(name: str, key: str, kind=float):
        value = section(name).get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
            raise bad(f"{name}.{key} must be {'an integer' if kind is int else 'a number'} or null, found {value!r}")
        return kind(value)

    resources = {}
    for stage, used in section("resources").items():
        if stage not in STAGES:
            raise bad(f"resources.{stage} is not a known stage ({', '.join(STAGES)})")
        if used is None:
            continue
        if not isinstance(used, dict) or set(used) != set(HLS_RESOURCES):
            raise bad(f"resources.{stage} must give exactly {', '.join(HLS_RESOURCES)}")
        for r, v in used.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise bad(f"resources.{stage}.{r} must be an integer or null, found {v!r}")
        resources[stage] = dict(used)
    undefined = section("timing").get("undefined") or {}
    if not isinstance(undefined, dict) or not all(isinstance(v, str) for v in undefined.values()):
        raise bad('timing.undefined must map figures to what the report wrote, e.g. {"latency_max": "undef"}')
    return SynthReport(
        kind=data["kind"],
        method=data["method"],
        part=data.get("part"),
        tool=section("tool").get("name"),
        tool_version=section("tool").get("version"),
        top=data.get("top"),
        clock_target_ns=number("clock", "target_ns"),
        clock_estimate_ns=number("clock", "estimate_ns"),
        clock_uncertainty_ns=number("clock", "uncertainty_ns"),
        latency_min_cycles=number("latency", "min_cycles", int),
        latency_max_cycles=number("latency", "max_cycles", int),
        interval_min_cycles=number("interval", "min_cycles", int),
        interval_max_cycles=number("interval", "max_cycles", int),
        resources=resources,
        post_synthesis_state=data.get("post_synthesis_state"),
        report_totals=data.get("report_totals"),
        sources=list(data.get("sources") or []),
        notes=list(data.get("notes") or []),
        undefined=undefined,
        slack_ns=number("timing", "slack_ns"),
        report_period_ns=number("timing", "report_period_ns"),
    )
