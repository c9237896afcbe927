"""The whole flow on one model: convert -> C simulation checked bit for bit against the
reference -> resource/latency estimate -> budget check, with one summary."""

from __future__ import annotations

import json
from pathlib import Path

from salt_hls.hls.convert import ConvertSettings, convert
from salt_hls.hls.csim import run_csim
from salt_hls.budget.check import evaluate as check_budget
from salt_hls.budget.check import load_budget
from salt_hls.estimate.estimator import estimate_project, write_estimate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"


def run_flow(model_dir, jets_path, out_dir, settings: ConvertSettings = ConvertSettings(), budget_path=DEFAULT_BUDGET,
             max_jets: int = 1000, test_split: bool = False, force: bool = False) -> dict:
    from salt_hls.data.jets import load_jets
    from salt_hls.evaluate import model_inputs
    from salt_hls.model.io import load_metadata

    out_dir = Path(out_dir)
    project = out_dir / "project"
    budget = load_budget(budget_path)  # a bad budget fails before minutes of work
    metadata = load_metadata(model_dir)
    tb = model_inputs(metadata, load_jets(jets_path, max_jets=100))
    convert(model_dir, project, settings, force=force, tb_inputs=tb)
    csim = run_csim(project, jets_path, max_jets=max_jets, test_split=test_split, bit_exact=True)
    report = estimate_project(project)
    write_estimate(report, out_dir / "estimate.json")
    check = check_budget(report, budget)
    summary = {
        "model": str(model_dir),
        "project": str(project),
        "backend": settings.backend,
        "part": settings.part,
        "clock_ns": settings.clock_ns,
        "reuse_factor": settings.reuse,
        "csim": csim,
        "bit_exact": csim["n_bit_exact"] == csim["n_jets"],
        "estimate": {
            "method": report.method,
            "latency_cycles": report.latency_max_cycles,
            "latency_ns": report.latency_ns("max"),
            "ii_cycles": report.interval_max_cycles,
            "resources": report.to_dict()["resources"]["post_synthesis"],
            "dominant_luts": report.dominant_layers("LUT", 3),
        },
        "budget": {"file": str(budget_path), "fits": check.fits,
                   "rows": [{"figure": r.figure, "value": r.value, "limit": r.limit, "unit": r.unit, "ok": r.ok} for r in check.rows],
                   "notes": check.notes},
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
