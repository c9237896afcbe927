"""Latency/throughput/resource budgets: load and validate a budget YAML, and check a report against it.

Throughput is asked either in cycles (ii_max_cycles) or in time per jet (jet_interval_max_ns,
II x the clock period the report uses), or both; the time form is what the trigger needs, the cycle
form what HLS is told. When the report was made for another part than the budget's, the resource
percentages are recomputed from the report's absolute counts against the budget part's totals
(devices.py), and a note says so: the counts do not depend on the part, the percentages do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from salt_hls import devices
from salt_hls.errors import ConfigError
from salt_hls.vendor.readers import HLS_RESOURCES
from salt_hls.vendor.report import EVIDENCE_LABELS, STAGES, SynthReport, evidence_rank

BUDGET_SCHEMA_VERSION = 1
_REQUIRED = ("part", "clock_ns", "latency_max_ns", "resource_max_pct")
_THROUGHPUT = ("ii_max_cycles", "jet_interval_max_ns")  # at least one
_KNOWN = ("schema_version", "name", "resources_from", *_REQUIRED, *_THROUGHPUT)
_RESOURCES_FROM = ("auto", *STAGES)
_STAGE_LABEL = {"hls_estimate": "HLS estimate", "post_synthesis": "post-synthesis"}
# The schema keeps an estimate's and an open synthesis's resources under post_synthesis: their rows
# say which evidence they are, not "post-synthesis".


def stage_label(stage: str, kind: str) -> str:
    """How a budget row names the resource figures it read: the report stage, or the evidence kind."""
    if stage == "post_synthesis" and kind != "vendor" and kind in EVIDENCE_LABELS:
        return EVIDENCE_LABELS[kind]
    return _STAGE_LABEL[stage]


@dataclass
class Budget:
    part: str
    clock_ns: float
    ii_max_cycles: int | None
    latency_max_ns: float
    resource_max_pct: dict
    jet_interval_max_ns: float | None = None
    resources_from: str = "auto"
    name: str = "budget"
    schema_version: int = BUDGET_SCHEMA_VERSION
    source: str | None = None


@dataclass
class Row:
    figure: str
    value: float | None
    limit: float
    unit: str
    ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckResult:
    budget: str
    part: str  # the part the percentages refer to: the budget's
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return all(row.ok for row in self.rows)

    def to_dict(self) -> dict:
        return {
            "fits": self.fits,
            "budget": self.budget,
            "part": self.part,
            "rows": [r.to_dict() for r in self.rows],
            "notes": list(self.notes),
        }


def _number(source: str, key: str, value, integer: bool = False, positive: bool = True):
    # bool is an int in Python, but "clock_ns: yes" is a mistake, not 1 ns
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(f"{source}: budget key {key!r} must be {'an integer' if integer else 'a number'}, found {value!r}")
    if positive and value <= 0:
        raise ConfigError(f"{source}: budget key {key!r} must be greater than 0, found {value!r}")
    return value


def parse_budget(data, source: str = "budget") -> Budget:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a budget must be a YAML mapping of keys to values")
    for key in data:
        if key not in _KNOWN:
            raise ConfigError(f"{source}: unknown budget key {key!r}; accepted keys: {', '.join(_KNOWN)}")
    for key in _REQUIRED:
        if key not in data:
            raise ConfigError(f"{source}: budget key {key!r} is missing")
    if not any(key in data for key in _THROUGHPUT):
        raise ConfigError(
            f"{source}: the budget sets no throughput; give 'jet_interval_max_ns' (time per jet, II x clock period) "
            "or 'ii_max_cycles', or both"
        )
    version = data.get("schema_version", BUDGET_SCHEMA_VERSION)
    if version != BUDGET_SCHEMA_VERSION:
        raise ConfigError(f"{source}: budget key 'schema_version' must be {BUDGET_SCHEMA_VERSION}, found {version!r}")
    if not isinstance(data["part"], str):
        raise ConfigError(f"{source}: budget key 'part' must be a part string, found {data['part']!r}")
    try:
        part = devices.lookup_part(data["part"])
    except ConfigError as err:  # unknown part: the message lists the known ones
        raise ConfigError(f"{source}: budget key 'part': {err}") from None
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise ConfigError(f"{source}: budget key 'name' must be a string, found {name!r}")
    resources_from = data.get("resources_from", "auto")
    if resources_from not in _RESOURCES_FROM:
        raise ConfigError(
            f"{source}: budget key 'resources_from' must be one of {', '.join(_RESOURCES_FROM)}, found {resources_from!r}"
        )
    limits = data["resource_max_pct"]
    if not isinstance(limits, dict) or not limits:
        raise ConfigError(f"{source}: budget key 'resource_max_pct' must map resources ({', '.join(HLS_RESOURCES)}) to percents")
    for r, pct in limits.items():
        if r not in HLS_RESOURCES:
            raise ConfigError(f"{source}: unknown budget key 'resource_max_pct.{r}'; resources are {', '.join(HLS_RESOURCES)}")
        _number(source, f"resource_max_pct.{r}", pct, positive=False)
        if not 0 <= pct <= 100:
            raise ConfigError(f"{source}: budget key 'resource_max_pct.{r}' must be a percent in 0..100, found {pct!r}")
    return Budget(
        part=part.part,
        clock_ns=float(_number(source, "clock_ns", data["clock_ns"])),
        ii_max_cycles=_number(source, "ii_max_cycles", data["ii_max_cycles"], integer=True) if "ii_max_cycles" in data else None,
        jet_interval_max_ns=(
            float(_number(source, "jet_interval_max_ns", data["jet_interval_max_ns"])) if "jet_interval_max_ns" in data else None
        ),
        latency_max_ns=float(_number(source, "latency_max_ns", data["latency_max_ns"])),
        resource_max_pct={r: float(limits[r]) for r in HLS_RESOURCES if r in limits},
        resources_from=resources_from,
        name=name,
        source=source,
    )


def load_budget(path: str | Path) -> Budget:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ConfigError(f"cannot read budget file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from None
    return parse_budget(data, source=str(path))


def check_report(report: SynthReport, budget: Budget) -> list[Row]:
    """One row per figure. A figure the report lacks cannot be shown to fit, so its row fails."""
    return evaluate(report, budget).rows


def evaluate(report: SynthReport, budget: Budget, name_evidence: bool = False) -> CheckResult:
    """`name_evidence` names the report's evidence in every row, not only the resource rows
    (for `evaluate_strongest`, whose rows come from different reports)."""
    part = devices.lookup_part(budget.part)
    result = CheckResult(budget=budget.name, part=part.part)
    evidence = f" ({EVIDENCE_LABELS.get(report.kind, EVIDENCE_LABELS['vendor'])})" if name_evidence else ""

    def row(figure, value, limit, unit, suffix=evidence):
        result.rows.append(Row(figure + suffix, value, limit, unit, value is not None and value <= limit))

    row("clock target", report.clock_target_ns, budget.clock_ns, "ns")
    row("clock estimate", report.clock_estimate_ns, budget.clock_ns, "ns")
    if budget.ii_max_cycles is not None:
        row("interval (II) max", report.interval_max_cycles, budget.ii_max_cycles, "cycles")
    if budget.jet_interval_max_ns is not None:
        row("jet interval max", report.interval_ns("max"), budget.jet_interval_max_ns, "ns")
    row("latency max", report.latency_ns("max"), budget.latency_max_ns, "ns")

    if not devices.same_part(report.part, budget.part):
        result.notes.append(
            f"report part {report.part or 'unknown'} differs from budget part {part.part}: "
            f"percentages are recomputed from the report's counts against {part.part}"
        )
    stage = report.resource_stage(budget.resources_from)
    pct = report.utilization_pct(part.totals()).get(stage)
    label = stage_label(stage, report.kind)
    if pct is None:
        result.notes.append(f"the report has no {label} resource figures")
    for r, limit in budget.resource_max_pct.items():
        row(f"{r} ({label})", None if pct is None else pct[r], limit, "%", suffix="")  # names its evidence already
    result.notes.extend(_missing(result.rows))
    return result


def _missing(rows: list[Row]) -> list[str]:
    return [f"{r.figure}: missing from the report, counted as not fitting" for r in rows if r.value is None]


def evaluate_strongest(reports: list[SynthReport], budget: Budget) -> CheckResult:
    """Each figure from the strongest evidence that has it (vendor report > open synthesis >
    estimate), its row naming that evidence: an open synthesis has resources and da4ml's pipeline
    depth but no clock estimate, which then comes from the estimate. One report: `evaluate`."""
    ranked = sorted(reports, key=lambda r: evidence_rank(r.kind))  # stable: the first given among equals
    if len(ranked) == 1:
        return evaluate(ranked[0], budget)
    results = [evaluate(r, budget, name_evidence=True) for r in ranked]
    merged = CheckResult(budget=budget.name, part=results[0].part)
    # The same budget gives every report the same figures in the same order.
    for rows in zip(*(r.rows for r in results), strict=True):
        merged.rows.append(next((r for r in rows if r.value is not None), rows[0]))
    for r in results:
        merged.notes.extend(n for n in r.notes if n not in merged.notes and not n.endswith("counted as not fitting"))
    merged.notes.extend(_missing(merged.rows))
    return merged
