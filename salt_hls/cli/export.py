"""`salt-hls ip` (the input stage and the network in one IP top) and `salt-hls export` (its bundle)."""

from __future__ import annotations

import json
import sys

import click

from salt_hls.cli.exit_codes import ExitCode
from salt_hls.cli.options import settings_options
from salt_hls.settings import ConvertSettings


@click.command("ip")
@click.argument("model_path", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Project directory to write.")
@click.option(
    "--candidates",
    "n_candidates",
    default=None,
    type=int,
    help="M: PUPPI candidate words per jet (M >= N; default N). With M > N the IP keeps the N hardest.",
)
@settings_options(ConvertSettings, "settings")
@click.option("--force", is_flag=True, help="Replace an existing salt-hls project in --out (never other files).")
@click.option("--json", "as_json", is_flag=True, help="Print the IP's summary as one JSON object.")
def ip_command(model_path, out, n_candidates, settings, force, as_json):
    """Convert MODEL with its input normalization folded into the first layer and write the IP top
    (firmware/salt_ip.cpp): Level-1 PUPPI words + the jet word in, class scores out."""
    from salt_hls.ip.top import build_ip

    ip = build_ip(model_path, out, settings, n_candidates=n_candidates, force=force)
    if as_json:
        click.echo(json.dumps(ip, indent=2))
        return
    click.echo(
        f"{out}: IP top {ip['top']} ({ip['candidates']} candidate words -> {ip['particles']} particles -> "
        f"{ip['network_top']}), padding {tuple(ip['pad'])}"
    )
    for p in ip["ports"]:
        if not p["name"].startswith("cand_") or p["name"] in ("cand_0", f"cand_{ip['candidates'] - 1}"):
            click.echo(f"  {p['direction']:3s} {p['name']:10s} {p['width']:3d} bits  {p['format']}")


@click.command("export")
@click.argument("project", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Bundle directory to write.")
@click.option(
    "--words",
    default=None,
    type=click.Path(),
    help="Testbench jets from this words file (salt-hls write-words); default: seeded stand-in jets.",
)
@click.option("--max-jets", default=200, show_default=True, type=int, help="Testbench jets.")
@click.option(
    "--estimate",
    "estimate_path",
    default=None,
    type=click.Path(),
    help="Estimate or vendor report JSON for latency and resources (default PROJECT/estimate.json when present).",
)
@click.option(
    "--csim",
    is_flag=True,
    help="Then compile the bundle's testbench with g++ and compare every score with the "
    "reference's vectors; exit 1 on any difference.",
)
@click.option("--no-vendor", is_flag=True, help="Do not run Vivado/Vitis HLS even when it is on PATH.")
@click.option("--force", is_flag=True, help="Replace a previous export in --out (never other files).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as one JSON object.")
def export_command(project, out, words, max_jets, estimate_path, csim, no_vendor, force, as_json):
    """Write PROJECT (built by `salt-hls ip`) as a bundle for a firmware build: HLS sources, Vivado/Vitis
    HLS scripts, manifest.json (ports, timing, model hash, input convention) and testbench vectors."""
    from salt_hls.export import export_project
    from salt_hls.export.bundle import check_bundle

    m = export_project(
        project, out, force=force, words=words, max_jets=max_jets, estimate=estimate_path, run_vendor=not no_vendor
    )
    check = check_bundle(out) if csim else None
    if as_json:
        click.echo(json.dumps({**m, "csim": check} if check else m, indent=2))
    else:
        _describe(out, m, check)
    if check and check["bit_exact_jets"] != check["jets"]:
        sys.exit(ExitCode.NOT_BIT_EXACT)


def _describe(out, m: dict, check: dict | None) -> None:
    t = m["timing"]
    click.echo(
        f"{out}: top {m['top']}, {len(m['ports'])} ports, part {t['part']} at {t['clock_ns']} ns, "
        f"latency {t['cycles'] if t['cycles'] is not None else 'unknown'} cycles, II {t['ii_cycles']}; "
        f"{m['testbench']['jets']} testbench jets"
    )
    v = m["vendor"]
    click.echo(f"vendor: {v['result']}" if v["ran"] else f"vendor tool not run; finish the IP with: {v['command']}")
    if check:
        click.echo(
            f"C simulation of the bundle from its words: {check['bit_exact_jets']}/{check['jets']} jets bit-exact"
            + ("" if check["first_mismatch"] is None else f"; first difference at jet {check['first_mismatch']}")
        )
