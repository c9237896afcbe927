"""Click commands for synthesis: `report`, `check`, `synth` and `estimate`. The lead attaches them
to the `salt-hls` group; each is a thin skin over report.py, budget.py, tools.py and estimate.py.

Exit codes: 0 fine; 1 the design does not fit the budget; 2 a bad report, budget or project;
3 no vendor tool on PATH; 4 the vendor tool failed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from salt_hls.errors import SaltError
from salt_hls.vendor import tools
from salt_hls.budget.check import evaluate, load_budget
from salt_hls.vendor.locate import hls4ml_project_name
from salt_hls.vendor.readers import HLS_RESOURCES
from salt_hls.vendor.report import SynthReport, load_report, parse_files, parse_path

EXIT_FITS, EXIT_EXCEEDS, EXIT_BAD_INPUT, EXIT_NO_TOOL, EXIT_TOOL_FAILED = 0, 1, 2, 3, 4


def _fail(message: str, code: int = EXIT_BAD_INPUT):
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_report(report: SynthReport, console: Console) -> None:
    data = report.to_dict()
    console.print(
        f"[bold]{report.top or '?'}[/bold]  {report.tool or '?'} {report.tool_version or ''}  "
        f"part {report.part or '?'}  ({report.kind}: {report.method})"
    )
    perf = Table("figure", "min", "max", "unit", title="timing")
    perf.add_row("clock target / estimate", _fmt(report.clock_target_ns), _fmt(report.clock_estimate_ns), "ns")
    perf.add_row("latency", _fmt(report.latency_min_cycles), _fmt(report.latency_max_cycles), "cycles")
    perf.add_row("latency", _fmt(data["latency"]["min_ns"]), _fmt(data["latency"]["max_ns"]), "ns")
    perf.add_row("interval (II)", _fmt(report.interval_min_cycles), _fmt(report.interval_max_cycles), "cycles")
    console.print(perf)
    totals = data["part_totals"]
    area = Table("resource", "HLS estimate", "%", "post-synthesis", "%", "part total", title="resources")
    hls, post = data["resources"]["hls_estimate"] or {}, data["resources"]["post_synthesis"] or {}
    pct_hls, pct_post = data["utilization_pct"]["hls_estimate"] or {}, data["utilization_pct"]["post_synthesis"] or {}
    for r in HLS_RESOURCES:
        area.add_row(
            r, _fmt(hls.get(r)), _fmt(pct_hls.get(r), 2), _fmt(post.get(r)), _fmt(pct_post.get(r), 2), _fmt((totals or {}).get(r))
        )
    console.print(area)
    for src in report.sources:
        console.print(f"source: {src['path']} ({src['format']}, read by {src['parser']})", highlight=False)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)


@click.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the normalized report as JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the normalized JSON here.")
def report_command(paths: tuple[Path, ...], as_json: bool, out: Path | None) -> None:
    """Parse an HLS project directory or report files (a *_csynth.xml/.rpt, optionally with a
    vivado_synth.rpt) into the normalized salt-hls report."""
    try:
        report = parse_path(paths[0]) if len(paths) == 1 else parse_files(list(paths))
    except SaltError as err:
        _fail(str(err))
    if out is not None:
        try:
            out.write_text(report.to_json() + "\n")
        except OSError as err:
            _fail(f"cannot write {out}: {err.strerror}")
    if as_json:
        click.echo(report.to_json())
    else:
        print_report(report, Console())


@click.command("check")
@click.argument("report_path", metavar="REPORT", type=click.Path(path_type=Path))
@click.option(
    "--budget", "budget_path", required=True, type=click.Path(path_type=Path),
    help="Budget YAML, e.g. synth_reports/budgets/l1t-default.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: rows and overall 'fits'.")
def check_command(report_path: Path, budget_path: Path, as_json: bool) -> None:
    """Check a report (normalized JSON, a project directory or a report file) against a budget.
    Exit 0 if every figure fits, 1 if any does not, 2 on a bad report or budget."""
    try:
        budget = load_budget(budget_path)
        report = load_report(report_path)
        result = evaluate(report, budget)
    except SaltError as err:
        _fail(str(err))
    if as_json:
        about = {"path": str(report_path), "top": report.top, "part": report.part, "kind": report.kind, "method": report.method}
        click.echo(json.dumps({**result.to_dict(), "report": about}, indent=2))
    else:
        console = Console()
        title = f"{report.top or report_path} against {budget.name} ({result.part})"
        table = Table("figure", "value", "limit", "unit", "fits", title=title)
        for row in result.rows:
            table.add_row(row.figure, _fmt(row.value, 4), _fmt(row.limit), row.unit, "yes" if row.ok else "[bold red]NO[/bold red]")
        console.print(table)
        for note in result.notes:
            console.print(f"note: {note}", highlight=False)
        console.print("fits the budget" if result.fits else "[bold red]does not fit the budget[/bold red]")
    raise SystemExit(EXIT_FITS if result.fits else EXIT_EXCEEDS)


@click.command("synth")
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.option("--csynth", is_flag=True, help="C synthesis (the default when no step is named).")
@click.option("--vsynth", is_flag=True, help="Vivado logic synthesis of the HLS output (writes vivado_synth.rpt).")
@click.option("--export-ip", is_flag=True, help="Export the design as a Vivado IP catalog entry.")
def synth_command(project: Path, csynth: bool, vsynth: bool, export_ip: bool) -> None:
    """Run the vendor HLS tool on an hls4ml project (build_prj.tcl) and print its report.
    With no step named, runs C synthesis; --vsynth or --export-ip alone reuse an earlier C
    synthesis. Exit 3 when the tool is not on PATH: nothing is ever synthesized by pretending."""
    if not (csynth or vsynth or export_ip):
        csynth = True
    try:
        named = hls4ml_project_name(project) if project.is_dir() else None
    except SaltError as err:
        _fail(str(err))
    if named is None or not (project / "build_prj.tcl").is_file():
        _fail(f"{project} is not an hls4ml project: expected project.tcl and build_prj.tcl (written by hls4ml's write())")
    _, backend = named
    tool = tools.find_tool(backend)
    if tool is None:
        _fail(tools.missing_tool_message(backend), EXIT_NO_TOOL)
    if vsynth and tools.find_vivado() is None:
        need = f"--vsynth needs {tools.PRODUCTS['vivado']} on PATH as well as {tool.executable}"
        _fail(f"{need}; nothing was synthesized", EXIT_NO_TOOL)
    if tool.executable != "vivado_hls":
        tools.write_build_options(project, csynth, vsynth, export_ip)
    command = tools.build_command(tool, csynth, vsynth, export_ip)
    click.echo(f"running {' '.join(command)} in {project}", err=True)
    # The tool's output goes straight to this terminal (not captured), so the log streams live.
    done = subprocess.run(command, cwd=project, check=False)
    if done.returncode != 0:
        _fail(f"{tool.executable} exited with status {done.returncode}; see its log in {project}", EXIT_TOOL_FAILED)
    try:
        report = parse_path(project)
    except SaltError as err:
        _fail(f"{tool.executable} finished but its report cannot be read: {err}")
    print_report(report, Console())


def print_breakdown(report, console: Console, top: int = 12) -> None:
    """The layers of an estimate, most LUTs first, with their DSPs, BRAM18 and place in the schedule."""
    layers = sorted(report.breakdown.get("layers", []), key=lambda l: (-l["lut"], -l["dsp"], -l["bram18"]))
    total = sum(l["lut"] for l in layers) or 1
    table = Table("layer", "kind", "LUT", "% LUT", "FF", "DSP", "BRAM18", "cycles", "largest LUT share",
                  title=f"layers (top {min(top, len(layers))} of {len(layers)} by LUT)")
    for l in layers[:top]:
        cat = next(iter(l["lut_by_category"].items()), None)
        table.add_row(
            l["name"], l["kind"], _fmt(l["lut"]), _fmt(100.0 * l["lut"] / total, 1), _fmt(l["ff"]), _fmt(l["dsp"]),
            _fmt(l["bram18"]), f"{l['start']['cycle']}-{l['end']['cycle']}", f"{cat[0]} {cat[1]:,}" if cat else "-",
        )
    console.print(table)


@click.command("estimate")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report (with its per-layer breakdown) as JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here.")
@click.option("--reuse", type=int, default=None, help="What-if: cost with this ReuseFactor instead of the project's.")
@click.option("--tables", "table_impl", type=click.Choice(["auto", "lut", "bram"]), default="auto", show_default=True,
              help="Table implementation: BRAM18 above --bram-min-bits (auto), or force LUT-ROM / BRAM18.")
@click.option("--bram-min-bits", type=int, default=None, help="auto: tables larger than this many bits go to BRAM18 (4096).")
@click.option("--table-entries", type=int, default=None, help="What-if: cost every table with this many entries.")
@click.option("--full-parallel", is_flag=True, help="What-if: pointwise layers with ParallelizationFactor = N (II = ReuseFactor).")
@click.option("--dyt-after-pool", is_flag=True, help="What-if: the last DynamicTanh applied after the max pooling (exact).")
@click.option("--cast-mode", type=click.Choice(["typed", "trn"]), default="typed", show_default=True,
              help="What-if trn: quantizers truncate instead of rounding (saturation kept).")
@click.option("--dsp-min-bits", type=int, default=None,
              help="Data x data products with an operand narrower than this (signed bits) go to LUTs (10; 1: all on DSPs).")
@click.option("--dsp-packing", is_flag=True, help="What-if: two products sharing an operand per DSP48E2 (each <= 18 bits).")
@click.option("--top", "top_n", type=int, default=12, show_default=True, help="Layers to list.")
def estimate_command(project: Path, as_json: bool, out: Path | None, reuse, table_impl, bram_min_bits, table_entries,
                     full_parallel, dyt_after_pool, cast_mode, dsp_min_bits, dsp_packing, top_n) -> None:
    """Estimate LUT, FF, DSP, BRAM18, latency and II of a converted project without vendor tools
    (da4ml for the constant multiplications, operand widths for the multipliers, ROMs for the tables,
    a pipeline schedule at the target clock). Writes the same report schema as `salt-hls report`,
    with kind "estimate"; `salt-hls check` reads it. Exit 2 when PROJECT is not a converted project."""
    from salt_hls.estimate.estimator import EstimateOptions, estimate_project, write_estimate
    from salt_hls.estimate.cost import DEFAULT_BRAM_MIN_BITS, DSP_MIN_BITS

    options = EstimateOptions(
        reuse=reuse, table_impl=table_impl, bram_min_bits=DEFAULT_BRAM_MIN_BITS if bram_min_bits is None else bram_min_bits,
        table_entries=table_entries, full_parallel=full_parallel, dyt_after_pool=dyt_after_pool, cast_mode=cast_mode,
        dsp_min_bits=DSP_MIN_BITS if dsp_min_bits is None else dsp_min_bits, dsp_packing=dsp_packing,
    )
    try:
        report = estimate_project(project, options)
    except SaltError as err:
        _fail(str(err))
    except ImportError as err:
        _fail(f"the estimate needs da4ml (pip install 'da4ml==0.5.2'): {err}")
    if out is not None:
        try:
            write_estimate(report, out)
        except OSError as err:
            _fail(f"cannot write {out}: {err.strerror}")
    if as_json:
        click.echo(report.to_json())
    else:
        console = Console()
        print_report(report, console)
        print_breakdown(report, console, top_n)
