"""Click commands for synthesis: `report`, `check` and `synth`. The lead attaches them to the
`salt-hls` group; each is a thin skin over report.py, budget.py and tools.py.

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
from salt_hls.synth import tools
from salt_hls.synth.budget import evaluate, load_budget
from salt_hls.synth.locate import hls4ml_project_name
from salt_hls.synth.readers import HLS_RESOURCES
from salt_hls.synth.report import SynthReport, load_report, parse_files, parse_path

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
