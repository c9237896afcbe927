"""`salt-hls rtl`: open RTL evidence for a converted project (da4ml Verilog, Verilator, Yosys)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from salt_hls.cli.exit_codes import ExitCode


@click.command("rtl")
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the Verilog, manifest and reports.")
@click.option(
    "--jets",
    "jets_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Jets to simulate in Verilator against the bit-exact reference (skipped without).",
)
@click.option("--max-jets", default=1000, show_default=True, type=int, help="Jets simulated (the first M of the file).")
@click.option(
    "--test-split",
    is_flag=True,
    help="Simulate the held-out test part of JETS (the training file), chosen as `salt-hls csim --test-split` does.",
)
@click.option("--no-synth", is_flag=True, help="Skip Yosys.")
@click.option("--whole-design", is_flag=True, help="Also synthesize the whole design in one Yosys run (slow beyond N = 8).")
@click.option("--yosys-timeout", default=None, type=float, help="Seconds allowed per Yosys run.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Build the Verilator simulator afresh even when OUT holds a build of byte-identical Verilog "
    "(reused by default; say after a Verilator upgrade).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on the last line.")
def rtl_command(project, out, jets_path, max_jets, test_split, no_synth, whole_design, yosys_timeout, rebuild, as_json):
    """Trace PROJECT's firmware to pipelined Verilog with da4ml, simulate it bit-exact in
    Verilator against the reference, synthesize it with Yosys (synth_xilinx, UltraScale+) layer
    by layer and write OUT/report.json ("kind": "open-synthesis") for `salt-hls check`."""
    from salt_hls.hls.convert import SUMMARY_FILE
    from salt_hls.rtl.flow import run_rtl

    if not (Path(project) / SUMMARY_FILE).is_file():
        click.echo(
            f"error: {project} is not a project written by `salt-hls convert` (no {SUMMARY_FILE}); convert the model first",
            err=True,
        )
        sys.exit(ExitCode.BAD_INPUT)
    say = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    s = run_rtl(
        project,
        out,
        jets_path,
        max_jets,
        synth=not no_synth,
        whole_design_synth=whole_design,
        yosys_timeout_s=yosys_timeout,
        log=say,
        test_split=test_split,
        rebuild=rebuild,
    )
    line = {
        k: s.get(k)
        for k in (
            "jets",
            "n_jets",
            "n_bit_exact",
            "first_mismatch_jet",
            "first_mismatch_layer",
            "pipeline_depth",
            "latency_ns",
            "da4ml_cost_luts",
            "report",
        )
    }
    if "synth" in s:
        line.update({k: s["synth"][k] for k in ("LUT", "FF", "CARRY8", "DSP", "BRAM18")})
    if as_json:
        click.echo(json.dumps(line))
    else:
        for k, v in line.items():
            if v is not None:
                click.echo(f"{k:22s} {v}")
    if s.get("n_jets") is not None and s["n_bit_exact"] != s["n_jets"]:
        sys.exit(ExitCode.NOT_BIT_EXACT)
