"""The whole flow on one model: convert -> C simulation checked bit for bit against the
reference -> resource/latency estimate -> (optionally) the open RTL evidence: da4ml's Verilog,
Verilator bit-exact on the same jets, Yosys per layer -> budget check on the strongest evidence,
with one summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from salt_hls.budget.check import evaluate_strongest, load_budget
from salt_hls.settings import ConvertSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
TB_JETS = 100  # jets written as the project's testbench vectors


def run_flow(
    model_dir,
    jets_path,
    out_dir,
    settings: ConvertSettings | None = None,
    budget_path=DEFAULT_BUDGET,
    max_jets: int = 1000,
    test_split: bool = False,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    rtl: bool = False,
    rtl_synth: bool = True,
) -> dict:
    """`progress`, when given, is told each step as it starts (the CLI prints it to stderr).
    `rtl` adds `salt-hls rtl` on the converted project into OUT/rtl (Yosys unless not `rtl_synth`);
    the budget is then checked on its open-synthesis report where it has a figure."""
    from salt_hls.data.jets import load_jets
    from salt_hls.estimate.estimator import estimate_project, write_estimate
    from salt_hls.evaluate import model_inputs
    from salt_hls.hls.convert import check_output_dir, convert
    from salt_hls.hls.csim import select_jets, simulate
    from salt_hls.model.io import load_metadata, load_model

    say = progress or (lambda _message: None)
    settings = settings or ConvertSettings()
    settings.validate()
    out_dir = Path(out_dir)
    project = out_dir / "project"
    # Every input is checked before minutes of work: budget, model, jets, output directory.
    budget = load_budget(budget_path)
    metadata = load_metadata(model_dir)
    say(f"loading jets from {jets_path}")
    jets = load_jets(jets_path)  # once: the testbench vectors and the C simulation both come from it
    csim_jets = select_jets(jets, metadata, max_jets, test_split)
    check_output_dir(project, force)

    say(
        f"converting {model_dir} into {project} ({settings.backend}, {settings.part}, {settings.clock_ns} ns, "
        f"reuse {settings.reuse})"
    )
    model, metadata = load_model(model_dir)
    tb = model_inputs(metadata, jets.subset(slice(0, TB_JETS)))
    hls_model = convert(model, project, settings, force=force, tb_inputs=tb, metadata=metadata, source=model_dir)
    say("compiling the C simulation (g++)")
    hls_model.compile()
    say(f"C-simulating {len(csim_jets)} jets against the bit-exact reference")
    csim = simulate(hls_model, model, metadata, csim_jets, settings, bit_exact=True)
    say("estimating resources and latency")
    report = estimate_project(project)
    write_estimate(report, out_dir / "estimate.json")
    evidence = [report]
    rtl_summary = None
    if rtl:
        # Imported here: the rtl step needs da4ml, Verilator and Yosys only when asked for.
        from salt_hls.rtl.flow import run_rtl
        from salt_hls.vendor.report import load_report

        say(f"tracing the firmware to Verilog (da4ml) into {out_dir / 'rtl'}")
        rtl_summary = run_rtl(project, out_dir / "rtl", synth=rtl_synth, log=say, test_split=test_split, jets=csim_jets)
        if "report" in rtl_summary:
            evidence.append(load_report(rtl_summary["report"]))
    say(f"checking against the budget {budget_path}")
    check = evaluate_strongest(evidence, budget)
    summary = {
        "model": str(model_dir),
        "project": str(project),
        "settings": settings.to_dict(),
        "csim": csim,
        "bit_exact": csim["n_bit_exact"] == csim["n_jets"]
        and (rtl_summary is None or rtl_summary["n_bit_exact"] == rtl_summary["n_jets"]),
        "estimate": {
            "method": report.method,
            "kind": report.kind,
            "latency_cycles": report.latency_max_cycles,
            "latency_ns": report.latency_ns("max"),
            "ii_cycles": report.interval_max_cycles,
            # the report schema keeps an estimate's figures under post_synthesis (what the netlist would use)
            "resources": report.to_dict()["resources"]["post_synthesis"],
            "dominant_luts": report.dominant_layers("LUT", 3),
        },
        "rtl": None if rtl_summary is None else _rtl_digest(rtl_summary),
        "budget": {
            "file": str(budget_path),
            "fits": check.fits,
            "rows": [{"figure": r.figure, "value": r.value, "limit": r.limit, "unit": r.unit, "ok": r.ok} for r in check.rows],
            "notes": check.notes,
        },
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _rtl_digest(s: dict) -> dict:
    """What the flow's summary keeps of `salt-hls rtl`'s (the whole is OUT/rtl/rtl_result.json)."""
    keys = ("out", "jets", "n_jets", "n_bit_exact", "first_mismatch_jet", "first_mismatch_layer", "pipeline_depth")
    digest = {k: s.get(k) for k in (*keys, "latency_ns", "report")}
    digest["synth"] = {k: v for k, v in s["synth"].items() if k != "luts_by_size"} if "synth" in s else None
    return digest
