"""Fit benchmark: does the shipped SAL-T fit the Level-1 budget, and what would make it fit?

For every shipped model (keras_models/salt_n16, salt_n32, salt_n64 when present) this converts
the model at the default settings (Vitis, xcvu13p-flga2577-2-e, 5 ns, reuse 1), estimates it
with `salt-hls estimate` (no vendor tool: salt_hls.estimate.estimator), stores the estimate under
synth_reports/<model>/<part>/salt-hls-estimate/, and checks it against
synth_reports/budgets/l1t-default.yaml. Then it asks the estimator what-if questions, each a
change the converter or the model could make:

  estimator what-ifs on the converted project (no reconversion)
    +tab256     256-entry tables instead of 1024 (LUT-ROM instead of BRAM18)
    +trn        quantizers that truncate instead of rounding (a retraining)
    +rN         ReuseFactor N (II = N: outside the II = 1 budget, shown for the resources)
    +dsp        every data x data product on DSPs (instead of LUTs below 10 signed bits)
    +dsp-pack   and two products sharing an operand per DSP48E2 when each fits 18 bits (AMD WP486)
  conversions with narrower quantization formats (cost only; accuracy NOT evaluated)
    a12w6, a8w6, a8w4   activations 12/8 bits, weights 6/4 bits (see NARROW below)

    python benchmarks/fit/run.py [--models salt_n16 salt_n32] [--work /tmp/fit] [--no-variants]

writes benchmarks/fit/results.json and results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from pathlib import Path

from salt_hls.budget.check import evaluate, load_budget
from salt_hls.estimate.estimator import EstimateOptions, estimate_project, write_estimate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
PART = "xcvu13p-flga2577-2-e"
TOOL_DIR = "salt-hls-estimate"
RESOURCES = ("LUT", "FF", "DSP", "BRAM18")

# Cumulative what-ifs of the estimator on the default project (ParallelizationFactor = N, II = 1).
# (the last DynamicTanh after the max pooling, a what-if here once, is what the converter builds since
# 2026-12-02: salt_hls.model.firmware.pool_before_dyt) tab256: coarser
# tables, as LUT-ROM since 256 x 16 bits <= 4096 bits (a retraining: the tables are the model's).
BEST = {"table_entries": 256}
WHAT_IFS = [
    ("as converted", {}),
    ("+tab256", BEST),
    ("+tab256 +trn", {**BEST, "cast_mode": "trn"}),
]
BEST_NAME = "+tab256"
REUSES = (2, 4, 8)

# Narrower formats (QKeras "bits,integer", integer without the sign). Cost what-ifs only: the
# formats change the quantized weights and activations, and nobody has trained or evaluated these.
# conv.result keeps 7 fractional bits because the 1024-entry softmax table needs them (a smaller
# table would allow fewer).
_A12 = {
    "input": "12,5",
    "embed.result": "u12,6",
    "qkv.result": "12,6",
    "proj.result": "12,6",
    "score.result": "12,6",
    "conv.result": "12,4",
    "attn.result": "12,6",
    "out.result": "12,6",
    "dyt.result": "10,0",
    "ffn.hidden": "u12,6",
    "ffn.result": "12,6",
    "head.hidden": "u12,6",
    "head.result": "12,6",
}
_A8 = {
    "input": "10,4",
    "embed.result": "u8,4",
    "qkv.result": "8,3",
    "proj.result": "8,3",
    "score.result": "8,3",
    "conv.result": "12,4",
    "softmax.result": "u8,1",
    "attn.result": "8,3",
    "out.result": "8,3",
    "dyt.result": "8,0",
    "ffn.hidden": "u8,4",
    "ffn.result": "8,3",
    "head.hidden": "u8,4",
    "head.result": "10,5",
}


def _weights(bits: int) -> dict:
    w = {
        s: f"{bits},1"
        for s in ("embed.weight", "qkv.weight", "proj.weight", "conv.weight", "out.weight", "ffn.weight", "head.weight")
    }
    # DyT's alpha and beta are two constants (no cost) and its table needs alpha's fraction bits: left at 8,2
    w.update({s: "8,3" for s in ("embed.bias", "conv.bias", "out.bias", "ffn.bias", "head.bias")})
    return w


NARROW = {"a12w6": {**_A12, **_weights(6)}, "a8w6": {**_A8, **_weights(6)}, "a8w4": {**_A8, **_weights(4)}}

# A smaller model (d_model 8, 2 heads of 4, FFN and head 8 wide) in the a8w4 formats. Nobody has trained it:
# the estimate uses seeded random weights, so its CMVM figures are indicative (da4ml's cost depends on the values).
ARCH = {"d8h2 a8w4 (untrained)": ({"d_model": 8, "n_heads": 2, "ffn_dim": 8, "classifier_dim": 8}, NARROW["a8w4"])}


def convert_model(model_dir: Path, out: Path, quant: dict | None = None, arch: dict | None = None) -> Path:
    """Convert a shipped model, optionally rebuilt with other formats (same trained weights) or, with
    `arch`, another shape (seeded random weights: an untrained stand-in for a cost estimate)."""
    import tensorflow as tf

    from salt_hls.hls.convert import convert
    from salt_hls.model.builders import ModelSpec, build_model
    from salt_hls.model.io import load_model
    from salt_hls.settings import ConvertSettings

    if out.exists():
        shutil.rmtree(out)
    if not quant and not arch:
        convert(str(model_dir), out, ConvertSettings(part=PART), force=True)
        return out
    trained, meta = load_model(model_dir)
    spec = ModelSpec.from_dict({**meta["spec"], **(arch or {}), "quant": {**(meta["spec"].get("quant") or {}), **(quant or {})}})
    if arch:
        tf.keras.utils.set_random_seed(0)
    model = build_model(spec)
    if not arch:
        model.set_weights(trained.get_weights())
    convert(model, out, ConvertSettings(part=PART), force=True, metadata={**meta, "spec": spec.to_dict()})
    return out


def summarize(report, budget) -> dict:
    check = evaluate(report, budget)
    res = report.resources["post_synthesis"]
    pct = report.utilization_pct()["post_synthesis"]
    rows = {r.figure: {"value": r.value, "limit": r.limit, "unit": r.unit, "fits": r.ok} for r in check.rows}
    return {
        "LUT": res["LUT"],
        "FF": res["FF"],
        "DSP": res["DSP"],
        "BRAM18": res["BRAM18"],
        "pct": {r: round(pct[r], 2) for r in RESOURCES},
        "latency_cycles": report.latency_max_cycles,
        "latency_ns": report.latency_ns("max"),
        "ii_cycles": report.interval_max_cycles,
        "fits": check.fits,
        "check": rows,
        "dominant": {r: report.dominant_layers(r, 3) for r in RESOURCES},
        "lut_by_category": report.breakdown["lut_by_category"],
    }


def fits_resources(s: dict) -> bool:
    return all(v["fits"] for k, v in s["check"].items() if v["unit"] == "%")


def store(model: str, model_dir: Path, prj: Path, report) -> Path:
    from salt_hls.settings import project_settings, read_summary, require

    d = ROOT / "synth_reports" / model / PART / TOOL_DIR
    summary = read_summary(prj)
    s = project_settings(prj, summary)  # the settings the project was converted with
    write_estimate(report, d / "report.json")
    h5 = model_dir / "model.h5"
    meta = {
        "model": model,
        "model_sha256": hashlib.sha256(h5.read_bytes()).hexdigest() if h5.is_file() else None,
        "part": PART,
        "tool": report.tool,
        "tool_version": report.tool_version,
        "method": report.method,
        "settings": {
            "backend": s.backend,
            "clock_ns": s.clock_ns,
            "reuse_factor": s.reuse,
            "parallelization_factor": require(summary, "parallelization_factor", prj),
            "dense_strategy": s.dense_strategy,
            "io_type": require(summary, "io_type", prj),
            "strategy": require(summary, "strategy", prj),
        },
        "date": dt.date.today().isoformat(),
        "command": f"salt-hls convert keras_models/{model} --out PRJ && salt-hls estimate PRJ --out report.json",
    }
    (d / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return d / "report.json"


def _variant_rows(model: str, vname: str, vprj: Path, budget, quant_name: str) -> list:
    """BEST options on a variant project: products on LUTs (default rule) or all on DSPs, whichever uses the
    smaller largest share; then ReuseFactor 2, 4, 8 until the resources fit."""
    rows, tries = [], {}
    for mult, extra in (("", {}), (" +dsp", {"dsp_min_bits": 1}), (" +dsp-pack", {"dsp_min_bits": 1, "dsp_packing": True})):
        rep = estimate_project(vprj, EstimateOptions(**BEST, **extra))
        summary = summarize(rep, budget)
        if any(summary["DSP"] == t["DSP"] and summary["LUT"] == t["LUT"] for _, t in tries.values()):
            continue  # this option changes nothing here (every product already on DSPs, or none packable)
        tries[mult] = (extra, summary)
    mult = min(tries, key=lambda m: max(tries[m][1]["pct"][r] for r in RESOURCES))
    extra = tries[mult][0]
    rows += [{"scenario": f"{vname} best{m}", "quant": quant_name, "reuse": 1, **t} for m, (_, t) in tries.items() if m != mult]
    trn = summarize(estimate_project(vprj, EstimateOptions(**BEST, **extra, cast_mode="trn")), budget)
    rows.append({"scenario": f"{vname} best{mult} +trn", "quant": quant_name, "reuse": 1, **trn})
    for r in (1, *REUSES):
        s = tries[mult][1] if r == 1 else summarize(estimate_project(vprj, EstimateOptions(**BEST, **extra, reuse=r)), budget)
        rows.append({"scenario": f"{vname} best{mult}" + (f" +r{r}" if r > 1 else ""), "quant": quant_name, "reuse": r, **s})
        print(
            f"[{model}] {vname}{mult} r{r}: {s['LUT']:,} LUT {s['DSP']} DSP, II {s['ii_cycles']}, "
            f"{s['latency_ns']} ns, fits {s['fits']}",
            flush=True,
        )
        if fits_resources(s):
            break
    return rows


def run_model(model: str, work: Path, budget, variants: bool, arch_variants: bool) -> dict:
    model_dir = ROOT / "keras_models" / model
    t0 = time.time()
    prj = convert_model(model_dir, work / model / "default")
    out = {"model": model, "n": None, "scenarios": [], "reuse": [], "widths": []}
    reports = {}
    for name, opts in WHAT_IFS:
        rep = estimate_project(prj, EstimateOptions(**opts))
        reports[name] = rep
        out["scenarios"].append({"scenario": name, "options": opts, **summarize(rep, budget)})
        print(
            f"[{model}] {name}: {out['scenarios'][-1]['LUT']:,} LUT, II {rep.interval_max_cycles}, {rep.latency_ns('max')} ns",
            flush=True,
        )
    out["n"] = reports["as converted"].breakdown["model"]["n_particles"] if reports["as converted"].breakdown["model"] else None
    out["stored_report"] = str(store(model, model_dir, prj, reports["as converted"]).relative_to(ROOT))
    best = reports[BEST_NAME]
    out["critical_path"] = best.breakdown["critical_path"]
    out["best_layers"] = [
        {
            "name": ly["name"],
            "kind": ly["kind"],
            "LUT": ly["lut"],
            "DSP": ly["dsp"],
            "BRAM18": ly["bram18"],
            "FF": ly["ff"],
            "cycles": [ly["start"]["cycle"], ly["end"]["cycle"]],
            "lut_by_category": ly["lut_by_category"],
        }
        for ly in sorted(best.breakdown["layers"], key=lambda x: -x["lut"])
    ]
    for r in REUSES:
        rep = estimate_project(prj, EstimateOptions(**BEST, reuse=r))
        out["reuse"].append({"scenario": f"best +r{r}", "reuse": r, **summarize(rep, budget)})
    if variants:
        for vname, quant in NARROW.items():
            try:
                vprj = convert_model(model_dir, work / model / vname, quant)
            except Exception as err:  # a format the converter refuses: record why
                out["widths"].append({"scenario": vname, "error": f"{type(err).__name__}: {err}"})
                continue
            out["widths"] += _variant_rows(model, vname, vprj, budget, vname)
    if arch_variants:
        for vname, (arch, quant) in ARCH.items():
            try:
                vprj = convert_model(model_dir, work / model / "arch", quant, arch)
            except Exception as err:
                out["widths"].append({"scenario": vname, "error": f"{type(err).__name__}: {err}"})
                continue
            out["widths"] += _variant_rows(model, vname, vprj, budget, vname)
    out["seconds"] = round(time.time() - t0, 1)
    return out


# ---------------------------------------------------------------- markdown


def _pct_cell(s, r):
    ok = s["check"].get(f"{r} (estimate)", {}).get("fits")
    return f"{s[r]:,} ({s['pct'][r]:.1f} %){'' if ok else ' ✗'}"


def _row(s):
    lat_ok = s["check"]["latency max"]["fits"]
    ii_ok = s["check"]["interval (II) max"]["fits"]
    return (
        f"| {s['scenario']} | {_pct_cell(s, 'LUT')} | {_pct_cell(s, 'FF')} | {_pct_cell(s, 'DSP')} | "
        f"{_pct_cell(s, 'BRAM18')} | {s['latency_ns']:g}{'' if lat_ok else ' ✗'} | {s['ii_cycles']}{'' if ii_ok else ' ✗'} | "
        f"{'yes' if s['fits'] else 'no'} |"
    )


HEADER = "| scenario | LUT | FF | DSP | BRAM18 | latency ns | II | fits |\n|---|---|---|---|---|---|---|---|"


def write_markdown(results: dict, path: Path) -> None:
    b = results["budget"]
    lines = [
        "# Fit of the shipped SAL-T models in the Level-1 budget (estimate, no vendor tool)",
        "",
        f"Budget `{b['file']}`: {b['part']}, clock {b['clock_ns']} ns, II ≤ {b['ii_max_cycles']}, latency ≤ "
        f"{b['latency_max_ns']} ns, each resource ≤ {b['resource_pct']} % of the part (LUT ≤ {b['limits']['LUT']:,}, "
        f"FF ≤ {b['limits']['FF']:,}, DSP ≤ {b['limits']['DSP']:,}, BRAM18 ≤ {b['limits']['BRAM18']:,}).",
        "",
        f"Figures from `salt-hls estimate` ({results['method']}; {results['tool_version']}). They are a model, not a "
        "vendor result: no Vivado/Vitis run stands behind them (see the README section on the estimate). ✗ marks a "
        "figure over its limit. `python benchmarks/fit/run.py` regenerates this file.",
        "",
        "Scenarios: *as converted* is the project `salt-hls convert` writes by default (ParallelizationFactor = N on "
        "the per-particle layers, so II = 1; hls4ml's own default, 1, would give II = N); *+dyt-pool* (in results made before 2026-12-02) applied the last "
        "DynamicTanh after the max pooling (exact when DyT increases in every channel, alpha * gamma >= 0); *+tab256* uses 256-entry tables, built as LUT-ROM instead of 1024-entry BRAM18 tables (the tables belong to the trained model: a retraining); "
        "*+trn* quantizers that truncate instead of rounding (needs retraining); *+rR* ReuseFactor R "
        "(II = R, outside the budget); *a12w6 / a8w6 / a8w4* narrower quantization formats (activations 12/8 bits, "
        "weights 6/4 bits) on top of +tab256, *+dsp* with every data × data product on DSPs, "
        "*+dsp-pack* with two products that share an operand packed into one DSP48E2 (AMD WP486; needs a hand-written "
        "multiply in the templates) — cost only, **their accuracy is not evaluated**; *d8h2 a8w4 (untrained)* is a "
        "smaller model (d_model 8, 2 heads, FFN and head 8) with seeded random weights, for the cost alone.",
        "",
    ]
    for m in results["models"]:
        lines += [f"## {m['model']} (N = {m['n']})", "", HEADER]
        lines += [_row(s) for s in m["scenarios"] + m["reuse"]]
        lines += [
            _row(s) if "error" not in s else f"| {s['scenario']} | conversion failed: {s['error']} |||||||" for s in m["widths"]
        ]
        default = m["scenarios"][0]
        lines += ["", f"Stored estimate (as converted): `{m['stored_report']}`.", ""]
        dom = "; ".join(
            f"{r}: " + ", ".join(f"{n} {p:g} %" for n, _, p in default["dominant"][r])
            for r in RESOURCES
            if default["dominant"][r]
        )
        lines += [f"Dominating layers as converted — {dom}.", ""]
        lines += [
            f"Layers of the {BEST_NAME} scenario (II = 1), most LUTs first:",
            "",
            "| layer | kind | LUT | DSP | BRAM18 | FF | cycles | largest LUT categories |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for ly in m["best_layers"][:10]:
            cats = ", ".join(f"{k} {v:,}" for k, v in list(ly["lut_by_category"].items())[:2])
            lines.append(
                f"| {ly['name']} | {ly['kind']} | {ly['LUT']:,} | {ly['DSP']} | {ly['BRAM18']} | {ly['FF']:,} | "
                f"{ly['cycles'][0]}–{ly['cycles'][1]} | {cats} |"
            )
        lines += ["", f"Critical path ({BEST_NAME}): {' → '.join(m['critical_path'])}.", ""]
    lines += ["## Reading", "", *results.get("reading", []), ""]
    path.write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=["salt_n16", "salt_n32", "salt_n64"])
    ap.add_argument("--work", default="/tmp/salt_fit", help="Where the converted projects go.")
    ap.add_argument("--no-variants", action="store_true", help="Skip the narrower-format conversions.")
    ap.add_argument("--render-only", action="store_true", help="Rewrite results.md from results.json and reading.md.")
    ap.add_argument(
        "--arch-variants-for",
        nargs="*",
        default=["salt_n32"],
        help="Models that also get the smaller-architecture (untrained) estimate.",
    )
    args = ap.parse_args()
    budget = load_budget(BUDGET)
    from salt_hls.devices import lookup_part

    totals = lookup_part(budget.part).totals()
    results = {
        "budget": {
            "file": str(BUDGET.relative_to(ROOT)),
            "part": budget.part,
            "clock_ns": budget.clock_ns,
            "ii_max_cycles": budget.ii_max_cycles,
            "latency_max_ns": budget.latency_max_ns,
            "resource_pct": budget.resource_max_pct.get("LUT"),
            "limits": {r: int(totals[r] * budget.resource_max_pct[r] / 100) for r in RESOURCES},
        },
        "platform": platform.platform(),
        "models": [],
        "missing": [],
    }
    if args.render_only:
        results = json.loads((HERE / "results.json").read_text())
        reading = HERE / "reading.md"
        results["reading"] = reading.read_text().splitlines() if reading.is_file() else []
        (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        write_markdown(results, HERE / "results.md")
        print(f"wrote {HERE / 'results.md'} from results.json")
        return
    for model in args.models:
        if not (ROOT / "keras_models" / model / "model.h5").is_file():
            results["missing"].append(model)
            print(f"[skip] keras_models/{model} not found", flush=True)
            continue
        results["models"].append(run_model(model, Path(args.work), budget, not args.no_variants, model in args.arch_variants_for))
    from salt_hls.estimate.estimator import METHOD

    first = ROOT / results["models"][0]["stored_report"] if results["models"] else None
    results["method"] = METHOD
    results["tool_version"] = json.loads(first.read_text())["tool"]["version"] if first else None
    reading = HERE / "reading.md"
    results["reading"] = reading.read_text().splitlines() if reading.is_file() else []
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, HERE / "results.md")
    print(f"wrote {HERE / 'results.md'}")


if __name__ == "__main__":
    main()
