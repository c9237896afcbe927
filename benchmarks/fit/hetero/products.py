"""Where the attention's data x data products go, per trained model: left to the HLS tool, or bound to DSP48s.

    nice -n 10 python benchmarks/fit/hetero/products.py MODEL... [--work /tmp/products]

Each MODEL (a directory of benchmarks/fit/hetero/models or keras_models) is converted twice for the Vivado backend
with --dense-strategy distributed_arithmetic, once with --products auto (the HLS tool puts a product on a DSP48 from
10-bit operands: the narrow A.V~ products of the searched models land in LUTs) and once with --products dsp (every
product bound to a DSP48 by pragma, hls_templates/salt_product.h), estimated (`salt-hls estimate`) and checked against
l1t-default. The --products dsp project is also estimated with the what-if `salt-hls estimate --dsp-packing` (two
products sharing an operand per DSP48E2, which the firmware does not build) and its LUTs per layer are kept, so that
what is over the budget can be named. Writes products.json and products.md beside this script (rows are replaced by
model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
IMPLS = ("auto", "dsp")


def measure(model: Path, work: Path) -> dict:
    from salt_hls.budget.check import evaluate, load_budget
    from salt_hls.estimate.estimator import estimate_project
    from salt_hls.hls.convert import ConvertSettings, convert
    from salt_hls.model.io import load_metadata
    from salt_hls.settings import EstimateOptions

    row = {"model": str(model.resolve().relative_to(ROOT)), "accuracy": load_metadata(model)["test_metrics"]["accuracy"]}
    for impl in IMPLS:
        prj = work / f"{model.name}_{impl}"
        settings = ConvertSettings(backend="Vivado", dense_strategy="distributed_arithmetic", products=impl)
        convert(str(model), prj, settings, force=True)
        rep = estimate_project(prj)
        res, pct = rep.resources["post_synthesis"], rep.utilization_pct()["post_synthesis"]
        check = evaluate(rep, load_budget(BUDGET))
        row[impl] = {
            "LUT": res["LUT"],
            "DSP": res["DSP"],
            "lut_pct": round(pct["LUT"], 2),
            "dsp_pct": round(pct["DSP"], 2),
            "latency_ns": rep.latency_ns("max"),
            "fits": check.fits,
            "over": [r.figure for r in check.rows if not r.ok],
        }
        print(f"{model.name} {impl}: {row[impl]}", flush=True)
    row["dsp"]["layer_lut"] = {layer["name"]: layer["lut"] for layer in rep.breakdown["layers"]}
    packed = estimate_project(prj, EstimateOptions(dsp_packing=True))
    pct = packed.utilization_pct()["post_synthesis"]
    row["dsp_packed"] = {
        "LUT": packed.resources["post_synthesis"]["LUT"],
        "DSP": packed.resources["post_synthesis"]["DSP"],
        "lut_pct": round(pct["LUT"], 2),
        "dsp_pct": round(pct["DSP"], 2),
        "latency_ns": packed.latency_ns("max"),
        "fits": evaluate(packed, load_budget(BUDGET)).fits,
    }
    print(f"{model.name} dsp, packed (what-if): {row['dsp_packed']}", flush=True)
    return row


def write(results: dict) -> None:
    made_by = record.save(results, HERE / "products.json")
    lines = [
        "# The attention's products: left to the HLS tool, or bound to DSP48s",
        "",
        made_by,
        "Each model converted for the Vivado backend with `--dense-strategy distributed_arithmetic` and `--products auto`",
        "or `--products dsp`, then `salt-hls estimate` and the l1t-default budget (LUT and DSP limit 13 %: 224,640 and",
        "1,597 on the xcvu13p). Packed: the dsp project under the what-if `--dsp-packing` (two products sharing an",
        "operand per DSP48E2, not built by the firmware; rows measured before the column existed show —).",
        "",
        "| model | accuracy | LUT auto | DSP auto | LUT dsp | DSP dsp | latency auto / dsp | over the budget (dsp) "
        "| packed: LUT / DSP / latency |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        a, d, k = r["auto"], r["dsp"], r.get("dsp_packed")
        packed = f"{k['LUT']:,} ({k['lut_pct']} %) / {k['DSP']:,} / {k['latency_ns']:g} ns" if k else "—"
        lines.append(
            f"| {r['model']} | {100 * r['accuracy']:.2f} % | {a['LUT']:,} ({a['lut_pct']} %) | {a['DSP']:,} ({a['dsp_pct']} %) | "
            f"{d['LUT']:,} ({d['lut_pct']} %) | {d['DSP']:,} ({d['dsp_pct']} %) | {a['latency_ns']:g} / {d['latency_ns']:g} ns | "
            f"{', '.join(d['over']) or 'fits'} | {packed} |"
        )
    (HERE / "products.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--work", type=Path, default=Path("/tmp/products"))
    args = ap.parse_args(argv)
    for m in args.models:
        if not (m / "model.h5").is_file():
            sys.exit(f"missing {m / 'model.h5'}")
    results = record.open_results(
        HERE / "products.json", "nice -n 10 python benchmarks/fit/hetero/products.py " + " ".join(argv or sys.argv[1:])
    )
    args.work.mkdir(parents=True, exist_ok=True)
    for m in args.models:
        row = measure(m, args.work)
        record.replace_row(results, row)
        write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
