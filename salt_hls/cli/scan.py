"""`salt-hls scan`: a design-space scan on Dask (see salt_hls.scan)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from salt_hls.cli.exit_codes import ExitCode
from salt_hls.errors import ConfigError


@click.command("scan")
@click.argument("scan_file", required=False, type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Scan output directory (trials/, scan.json, results, plots).")
@click.option(
    "--cluster",
    "cluster_kind",
    type=click.Choice(["local", "htcondor", "slurm"]),
    default=None,
    help="Where the workers run (default: the scan file's cluster section, else local).",
)
@click.option("--workers", type=int, default=None, help="Local workers, or the most batch jobs at once (adaptive).")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler to use instead of starting a cluster.")
@click.option("--retry-failed", is_flag=True, help="Run failed trials again (finished ones are always kept).")
@click.option("--dry-run", is_flag=True, help="Validate the scan file and list its trials; run nothing.")
@click.option("--no-progress", is_flag=True, help="No progress bar (one line per finished trial still).")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Regenerate the table and plots of a scan directory without recomputing anything.",
)
@click.option(
    "--best",
    "best_budget",
    default=None,
    help="With --report (or --out): export the most accurate model that fits this budget to keras_models/NAME.",
)
@click.option("--name", default=None, help="Name of the exported model (default: <scan>_<budget>_best).")
@click.option("--force", is_flag=True, help="Replace an existing exported model.")
def scan_command(
    scan_file, out, cluster_kind, workers, scheduler, retry_failed, dry_run, no_progress, report_dir, best_budget, name, force
):
    """Scan model and firmware choices: train -> convert -> bit-exact C simulation -> estimate -> budget check
    per trial, as Dask tasks; one table, Pareto fronts and plots.

    \b
    salt-hls scan SCAN.yaml --out DIR [--cluster local|htcondor|slurm] [--workers N] [--scheduler ADDRESS]
    salt-hls scan --report DIR [--best BUDGET [--name NAME] [--force]]

    Exit status: 0 every trial ok; 6 some trial failed or was lost (recorded in the table); 2 bad input."""
    if report_dir:
        if scan_file or out:
            raise ConfigError("--report DIR reads a finished scan directory: give no SCAN_FILE or --out with it")
        _report(report_dir, best_budget, name, force)
        return
    if not scan_file or not out:
        raise ConfigError("give a scan file and --out DIR (or --report DIR to regenerate a scan's results)")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    from salt_hls.scan.spec import check_trials, load_scan

    spec = load_scan(scan_file, cluster_kind=cluster_kind, workers=workers)  # before TensorFlow or Dask
    for w in spec.warnings:
        click.echo(f"note: {w}", err=True)
    if dry_run:
        click.echo(f"{spec.name}: {len(spec.trials)} trials, cluster {spec.cluster}")
        for t in spec.trials:
            click.echo(f"  {t.key}  {t.axes}")
        return
    from salt_hls.scan.runner import run_scan, trials_to_run

    if not trials_to_run(spec, out, retry_failed):  # all done: no TensorFlow, no cluster
        outcome = run_scan(spec, out, None, echo=click.echo)
    else:
        check_trials(spec)  # the model checks need TensorFlow; still before any worker starts
        from salt_hls.scan.cluster import describe, open_client

        with open_client(spec.cluster, scheduler) as client:
            click.echo(describe(client))
            outcome = run_scan(spec, out, client, retry_failed=retry_failed, progress=not no_progress, echo=click.echo)
    _report(out, best_budget, name, force)
    click.echo(
        f"{outcome.ok} ok, {outcome.failed} failed, {len(outcome.lost)} lost, {outcome.skipped} already done; "
        f"{outcome.seconds:.0f} s"
    )
    sys.exit(ExitCode.TRIALS_FAILED if outcome.failed or outcome.lost else ExitCode.OK)


def _report(out, best_budget, name, force) -> None:
    from salt_hls.scan.results import export_best, report

    scan, rows, paths = report(out)
    click.echo("wrote " + ", ".join(str(p) for p in paths))
    for budget in scan["budgets"]:
        fitting = [r for r in rows if r.get(f"fits:{budget}")]
        click.echo(f"budget {budget}: {len(fitting)} of {len(rows)} trials fit")
    if best_budget:
        dest = Path("keras_models") / (name or f"{scan['name']}_{best_budget}_best")
        best = export_best(out, best_budget, dest, force=force)
        click.echo(f"exported trial {best['key']} (accuracy {100 * best['accuracy']:.2f} %, LUT {best['LUT']:,}) to {dest}")
