"""Click commands for synthesis: `report`, `check`, `synth` and `estimate`, attached to the
`salt-hls` group by salt_hls.cli.app; each is a thin skin over the vendor, budget and estimate
packages. Exit statuses: salt_hls.cli.exit_codes (one table for every command).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from salt_hls.budget.check import evaluate, load_budget
from salt_hls.cli.exit_codes import ExitCode
from salt_hls.cli.formatting import budget_value
from salt_hls.cli.formatting import fmt as _fmt
from salt_hls.cli.options import settings_options
from salt_hls.errors import SaltError
from salt_hls.settings import EstimateOptions
from salt_hls.vendor import tools
from salt_hls.vendor.locate import hls4ml_project_name
from salt_hls.vendor.readers import HLS_RESOURCES
from salt_hls.vendor.report import SynthReport, load_report, parse_files, parse_path


def _fail(message: str, code: int = ExitCode.BAD_INPUT):
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


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
    "--budget",
    "budget_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Budget YAML, e.g. synth_reports/budgets/l1t-default.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: rows and overall 'fits'.")
def check_command(report_path: Path, budget_path: Path, as_json: bool) -> None:
    """Check a report (normalized JSON, a project directory or a report file) against a budget.
    Exit 0 if every figure fits, 3 if any does not, 2 on a bad report or budget."""
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
            table.add_row(
                row.figure,
                budget_value(row.value),
                budget_value(row.limit),
                row.unit,
                "yes" if row.ok else "[bold red]NO[/bold red]",
            )
        console.print(table)
        for note in result.notes:
            console.print(f"note: {note}", highlight=False)
        console.print("fits the budget" if result.fits else "[bold red]does not fit the budget[/bold red]")
    raise SystemExit(ExitCode.OK if result.fits else ExitCode.OVER_BUDGET)


@click.command("synth")
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.option("--csynth", is_flag=True, help="C synthesis (the default when no step is named).")
@click.option("--vsynth", is_flag=True, help="Vivado logic synthesis of the HLS output (writes vivado_synth.rpt).")
@click.option("--export-ip", is_flag=True, help="Export the design as a Vivado IP catalog entry.")
def synth_command(project: Path, csynth: bool, vsynth: bool, export_ip: bool) -> None:
    """Run the vendor HLS tool on an hls4ml project (build_prj.tcl) and print its report.
    With no step named, runs C synthesis; --vsynth or --export-ip alone reuse an earlier C
    synthesis. Exit 4 when the tool is not on PATH (nothing is ever synthesized by pretending), 5
    when it fails."""
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
        _fail(tools.missing_tool_message(backend), ExitCode.NO_VENDOR_TOOL)
    if vsynth and tools.find_vivado() is None:
        need = f"--vsynth needs {tools.PRODUCTS['vivado']} on PATH as well as {tool.executable}"
        _fail(f"{need}; nothing was synthesized", ExitCode.NO_VENDOR_TOOL)
    if tool.executable != "vivado_hls":
        tools.write_build_options(project, csynth, vsynth, export_ip)
    command = tools.build_command(tool, csynth, vsynth, export_ip)
    click.echo(f"running {' '.join(command)} in {project}", err=True)
    # The tool's output goes straight to this terminal (not captured), so the log streams live.
    done = subprocess.run(command, cwd=project, check=False)
    if done.returncode != 0:
        _fail(f"{tool.executable} exited with status {done.returncode}; see its log in {project}", ExitCode.VENDOR_TOOL_FAILED)
    try:
        report = parse_path(project)
    except SaltError as err:
        _fail(f"{tool.executable} finished but its report cannot be read: {err}")
    print_report(report, Console())


def print_breakdown(report, console: Console, top: int = 12) -> None:
    """The layers of an estimate, most LUTs first, with their DSPs, BRAM18 and place in the schedule."""
    layers = sorted(report.breakdown.get("layers", []), key=lambda layer: (-layer["lut"], -layer["dsp"], -layer["bram18"]))
    total = sum(layer["lut"] for layer in layers) or 1
    table = Table(
        "layer",
        "kind",
        "LUT",
        "% LUT",
        "FF",
        "DSP",
        "BRAM18",
        "cycles",
        "largest LUT share",
        title=f"layers (top {min(top, len(layers))} of {len(layers)} by LUT)",
    )
    for layer in layers[:top]:
        cat = next(iter(layer["lut_by_category"].items()), None)
        table.add_row(
            layer["name"],
            layer["kind"],
            _fmt(layer["lut"]),
            _fmt(100.0 * layer["lut"] / total, 1),
            _fmt(layer["ff"]),
            _fmt(layer["dsp"]),
            _fmt(layer["bram18"]),
            f"{layer['start']['cycle']}-{layer['end']['cycle']}",
            f"{cat[0]} {cat[1]:,}" if cat else "-",
        )
    console.print(table)


@click.command("estimate")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report (with its per-layer breakdown) as JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here.")
@settings_options(EstimateOptions, "options")
@click.option("--top", "top_n", type=int, default=12, show_default=True, help="Layers to list.")
def estimate_command(project: Path, as_json: bool, out: Path | None, options: EstimateOptions, top_n: int) -> None:
    """Estimate LUT, FF, DSP, BRAM18, latency and II of a converted project without vendor tools
    (da4ml for the constant multiplications, operand widths for the multipliers, ROMs for the tables,
    a pipeline schedule at the target clock). Writes the same report schema as `salt-hls report`,
    with kind "estimate"; `salt-hls check` reads it. Exit 2 when PROJECT is not a converted project."""
    from salt_hls.estimate.estimator import estimate_project, write_estimate

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
