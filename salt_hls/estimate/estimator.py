"""An estimate of a converted project's resources and latency without vendor tools.

estimate_project(path) reads the project (estimate_read), costs every layer (estimate_cost: da4ml
for the constant multiplications, operand widths for the data x data products, ROMs for the
tables), schedules the layers at the target clock (estimate_schedule) and returns the same
normalized SynthReport that the vendor parser returns, with kind="estimate", the figures under
the post-synthesis stage (what the netlist would use) and a per-layer breakdown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from salt_hls import __version__
from salt_hls.estimate import cost as ec
from salt_hls.estimate.project import read_project
from salt_hls.estimate.schedule import schedule
from salt_hls.settings import DSP_MIN_BITS, EstimateOptions, require
from salt_hls.vendor.report import SynthReport

METHOD = "salt-hls estimate v1: da4ml CMVM LUTs + operand-width multipliers + table ROMs + pipeline schedule"
TOOL = "salt-hls estimate"
STAGE = "post_synthesis"
LUT_CATEGORIES = ("cmvm", "mult_lut", "table_rom", "add", "compare_select", "cast", "clamp", "sharing_mux", "delay_line")


@dataclass
class EstimateReport(SynthReport):
    """A SynthReport with the estimate's per-layer breakdown; to_dict() adds it as 'breakdown'
    (an optional field that SynthReport.from_dict and `salt-hls check` ignore)."""

    breakdown: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["breakdown"] = self.breakdown
        return data

    def dominant_layers(self, resource: str = "LUT", n: int = 3) -> list[tuple[str, int, float]]:
        """(layer, amount, percent of the total) for the n layers that use most of `resource`."""
        key = {"LUT": "lut", "FF": "ff", "DSP": "dsp", "BRAM18": "bram18"}[resource]
        rows = [(layer["name"], layer[key]) for layer in self.breakdown.get("layers", []) if layer[key]]
        total = sum(v for _, v in rows) or 1
        return [(name, v, round(100.0 * v / total, 1)) for name, v in sorted(rows, key=lambda r: -r[1])[:n]]


def _da4ml_version() -> str:
    try:
        from importlib.metadata import version

        return version("da4ml")
    except Exception:  # pragma: no cover - da4ml missing is reported when cmvm() imports it
        return "unknown"


def _per_particle_intervals(project, costs, reuse: int, full_parallel: bool) -> None:
    """The firmware's interval for the layers the structure pass pipelines (salt_hls.hls.structure records them in
    salt_summary.json with their C++ function: the SAL-T functions and the per-particle Dense layers): each runs at
    ReuseFactor x N / P, the N particles arriving over N / P clocks when P < N. The cost rules give the per-particle
    Dense that interval already; a SAL-T layer's cost stays that of its unshared units (the firmware's PIPELINE
    II = N / P may share them: not counted, so the figure is an upper bound there)."""
    structure = project.summary.get("structure") or {}
    steps = 1 if full_parallel else int(structure.get("particle_steps", 1))
    pipelined = {name for name, rec in structure.get("layers", {}).items() if rec.get("function")}
    for lc in costs:
        if lc.name in pipelined and lc.interval < reuse * steps:
            lc.interval = reuse * steps
            lc.notes.append(f"II {lc.interval} (N / P = {steps} clocks per jet); costed with its units unshared")


def estimate_project(path: str | Path, options: EstimateOptions | None = None) -> EstimateReport:
    """Estimate a project written by salt_hls.hls.convert (DataError when `path` is not one)."""
    options = options or EstimateOptions()
    options.validate()
    project = read_project(path)
    notes = []
    reuse = project.reuse if options.reuse is None else options.reuse
    if reuse != project.reuse:
        notes.append(f"what-if: costed with ReuseFactor {reuse}; the project was converted with {project.reuse}")
    if options.dsp_min_bits != DSP_MIN_BITS and project.products != "auto":
        notes.append(f"--dsp-min-bits has no effect: the project binds its data x data products (--products {project.products})")
    cost_opts = ec.CostOptions(
        reuse=reuse,
        table_impl=options.table_impl,
        bram_min_bits=options.bram_min_bits,
        dsp_min_bits=options.dsp_min_bits,
        products=project.products,
        full_parallel=options.full_parallel,
        table_entries=options.table_entries,
        cast_mode=options.cast_mode,
        dsp_packing=options.dsp_packing,
    )
    coster = ec.LayerCoster(project, cost_opts)
    costs = [coster.cost(c) for c in project.calls]
    _per_particle_intervals(project, costs, reuse, options.full_parallel)
    if options.full_parallel and project.pipeline_style == "dataflow":
        project = replace(project, pipeline_style="pipeline")
        notes.append("what-if: pointwise layers costed with ParallelizationFactor = N (pipeline style, II = ReuseFactor)")
    sched = schedule(project, costs)

    layers = []
    for lc in costs:
        pl = sched.placements[lc.name]
        lc.add("delay_line", pl.lut_hold)
        luts = {k: round(v) for k, v in sorted(lc.luts.items(), key=lambda kv: -kv[1])}
        layers.append(
            {
                "name": lc.name,
                "function": lc.function,
                "kind": lc.kind,
                "lut": lc.lut_total,
                "lut_by_category": luts,
                "ff": int(pl.ff_internal + pl.ff_hold),
                "dsp": int(lc.dsp),
                "bram18": int(lc.bram18),
                "copies": lc.copies,
                "instances": lc.instances,
                "interval_cycles": lc.interval,
                "start": {"cycle": pl.start[0], "ns": round(pl.start[1], 3)},
                "end": {"cycle": pl.end[0], "ns": round(pl.end[1], 3)},
                "steps": [
                    {"what": s.what, "ns": round(s.delay_ns, 3), **({"cycles": s.cycles} if s.cycles else {})} for s in lc.steps
                ],
                "cmvm": lc.cmvm,
                "multipliers": lc.multipliers,
                "tables": lc.tables,
                "notes": lc.notes,
            }
        )
    # A project built with the Level-1 input stage (salt-hls ip) runs it before the network.
    stage_cycles = 0
    if "ip" in project.summary:
        from salt_hls.estimate.input_stage import estimate_layer

        layers.insert(0, estimate_layer(project.summary["ip"], sched.usable_ns))
        stage_cycles = layers[0]["latency_cycles"]
        notes.append(
            f"the input stage (IP top {project.summary['ip']['top']}) is costed by salt_hls.estimate.input_stage and adds "
            f"{stage_cycles} cycles before the network; the network's layer cycles count from its end"
        )
    totals = {
        "LUT": sum(layer["lut"] for layer in layers),
        "FF": sched.ff_total,
        "DSP": sum(layer["dsp"] for layer in layers),
        "BRAM18": sum(layer["bram18"] for layer in layers),
        "URAM": 0,
    }
    by_cat = {c: 0 for c in LUT_CATEGORIES}
    for layer in layers:
        for c, v in layer["lut_by_category"].items():
            by_cat[c] = by_cat.get(c, 0) + v

    if sched.style == "dataflow":
        slow = [lc.name for lc in costs if lc.extra_cycles]
        if slow:
            notes.append(
                f"{len(slow)} pointwise layers ({', '.join(slow)}) have ParallelizationFactor P < N: each takes the N "
                f"particles over N / P cycles, so hls4ml chose the dataflow style and the II is {sched.interval}; "
                "ParallelizationFactor = N on those layers gives the pipeline style and II = ReuseFactor"
            )
    strategy = require(project.summary, "strategy", project.path)
    if strategy == "distributed_arithmetic":
        notes.append(
            "the dense layers are costed from the adder graphs hls4ml's distributed_arithmetic strategy emitted "
            "(nnet_code_gen.h): what the firmware builds; the SAL-T constant products as da4ml adder graphs"
        )
    else:
        notes.append(
            "constant multiplications are costed as da4ml adder graphs (what hls4ml's distributed_arithmetic strategy "
            f"builds); the project uses Strategy {strategy}, where the firmware has one `mul` per weight and HLS maps "
            "each product separately (see cmvm[].per_product_luts_each in the breakdown for a no-sharing reference)"
        )
    if options.table_impl != "lut" and any(t["impl"] == "bram18" for layer in layers for t in layer["tables"]):
        notes.append(
            f"what-if --tables {options.table_impl}: tables costed as BRAM18 here are LUT-ROMs in the firmware, "
            "which partitions every table completely (salt_hls.hls.structure); --tables lut costs what it builds"
        )
    notes.append("an estimate, not a vendor result: no Vivado/Vitis run stands behind these figures")

    report = EstimateReport(
        kind="estimate",
        method=METHOD,
        part=project.part or None,
        tool=TOOL,
        tool_version=f"{__version__} (da4ml {_da4ml_version()})",
        top=project.top,
        clock_target_ns=project.clock_ns,
        clock_estimate_ns=sched.busiest_cycle_ns,
        clock_uncertainty_ns=round(project.clock_ns * project.clock_uncertainty, 4),
        latency_min_cycles=sched.latency_cycles + stage_cycles,
        latency_max_cycles=sched.latency_cycles + stage_cycles,
        interval_min_cycles=sched.interval,
        interval_max_cycles=sched.interval,
        resources={STAGE: totals},
        post_synthesis_state="Estimated",
        sources=[
            {
                "path": str(project.path),
                "format": "hls4ml-project",
                "parser": "salt_hls.estimate.estimator",
                "tool": TOOL,
                "version": __version__,
            }
        ],
        notes=notes,
        breakdown={
            "method": METHOD,
            "settings": {
                "backend": project.backend,
                "reuse_factor": reuse,
                "project_reuse_factor": project.reuse,
                "pipeline_style": sched.style,
                "usable_ns_per_cycle": sched.usable_ns,
                "clock_uncertainty_fraction": project.clock_uncertainty,
                "table_impl": options.table_impl,
                "bram_min_bits": options.bram_min_bits,
                "dsp_min_bits": options.dsp_min_bits,
                "products": project.products,
                "full_parallel": options.full_parallel,
                "table_entries": options.table_entries,
                "cast_mode": options.cast_mode,
                "dsp_packing": options.dsp_packing,
            },
            "model": project.summary.get("model"),
            "technology": {
                "t_add_ns": f"{ec.T_ADD_BASE_NS} + {ec.T_ADD_PER_BIT_NS} x bits",
                "t_lut_ns": ec.T_LUT_NS,
                "t_dsp_ns": ec.T_DSP_NS,
                "t_dsp_cascade_ns": ec.T_DSP_CASCADE_NS,
                "t_rom_lut_ns": {str(k): v for k, v in ec.T_ROM_LUT_NS.items()},
                "t_rom_lut_deep_ns": ec.T_ROM_LUT_DEEP_NS,
                "bram_latency_cycles": ec.BRAM_LATENCY_CYCLES,
                "da4ml_hwconf": list(ec.DA_HWCONF),
                "da4ml_solver_options": ec.DA_SOLVER_OPTIONS,
            },
            "lut_by_category": {k: v for k, v in by_cat.items() if v},
            "critical_path": sched.critical_layers,
            "layers": layers,
        },
    )
    return report


def write_estimate(report: EstimateReport, out: str | Path) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
