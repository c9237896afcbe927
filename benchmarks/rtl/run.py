"""RTL benchmark: the estimate measured against open synthesis, per layer and in total.

For each shipped model (keras_models/salt_n16, then salt_n32) this converts it with
`salt-hls convert` at the default settings, estimates it with `salt-hls estimate` (the
estimator's per-layer breakdown), traces the firmware plan with da4ml (salt_hls.rtl.trace) and
synthesizes every layer with Yosys (synth_xilinx -family xcup -flatten, salt_hls.rtl.flow):
per-particle layers as one particle's copy counted N times. It tabulates LUT / FF / DSP of the
estimate, da4ml's own LUT cost and Yosys's cells, with the ratios. With --verilator it also
compiles the whole design in Verilator and checks it bit for bit against the reference on
--max-jets held-out jets (the full design's Verilator build is the slow part).

    python benchmarks/rtl/run.py [--models salt_n16 salt_n32] [--work /tmp/rtl_bench]
        [--verilator --jets ../shared/data/jets_pythia8_train.h5 --max-jets 200] [--layer-timeout 900]

writes benchmarks/rtl/results.json (after every layer, so a stopped run keeps what it measured)
and results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SALT_HLS = str(Path(sys.executable).parent / "salt-hls")


def _run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode not in (0, 3):  # estimate/check may report "does not fit" (3): a result
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r.stdout


def estimate_layers(project: Path) -> tuple[dict, dict]:
    """{layer: {lut, ff, dsp, bram18}} and the totals of `salt-hls estimate PROJECT --json --out`."""
    out = project.parent / "estimate.json"
    _run([SALT_HLS, "estimate", str(project), "--out", str(out)])
    data = json.loads(out.read_text())
    layers = {}
    for layer in data["breakdown"]["layers"]:
        e = layers.setdefault(layer["name"], {"LUT": 0, "FF": 0, "DSP": 0, "BRAM18": 0})
        for k in ("LUT", "FF", "DSP", "BRAM18"):
            e[k] += int(layer[k.lower()])
    return layers, data["resources"]["post_synthesis"]


def bench_model(name: str, work: Path, results: dict, args) -> None:
    from salt_hls.rtl.flow import load_reference, project_clock, synthesize_layers
    from salt_hls.rtl.trace import Tracer

    model_dir = ROOT / "keras_models" / name
    project = work / name / "prj"
    t0 = time.time()
    _run([SALT_HLS, "convert", str(model_dir), "--out", str(project), "--force"])
    est_layers, est_total = estimate_layers(project)
    entry = results["models"].setdefault(name, {})
    entry.update({"convert_and_estimate_s": round(time.time() - t0, 1), "estimate_total": est_total})
    entry.setdefault("layers", {})
    clock = project_clock(project)
    ref, metadata = load_reference(project)
    tracer = Tracer(ref)
    entry["n_particles"] = int(tracer.input_shape[0])
    for lf in tracer.layers:
        if not lf.inputs or (args.only is not None and lf.name not in args.only):
            continue
        row = {"operation": lf.kind, "estimate": est_layers.get(lf.name)}
        try:
            (ls,) = synthesize_layers(
                tracer,
                clock,
                work / name / "layers",
                only=[lf.name],
                timeout_s=args.layer_timeout,
                log=lambda m: print(m, flush=True),
            )
            row.update(
                {
                    "copies": ls.copies,
                    "yosys_one_copy": ls.resources,
                    "luts_by_size_one_copy": ls.luts_by_size,
                    "yosys": {k: v * ls.copies for k, v in ls.resources.items()},
                    "da4ml_cost_luts": ls.da4ml_cost_luts,
                    "da4ml_reg_bits": ls.da4ml_reg_bits,
                    "pipeline_depth": ls.pipeline_depth,
                    "yosys_seconds": ls.yosys_seconds,
                }
            )
        except Exception as exc:  # a layer that Yosys could not finish is recorded, not hidden
            row["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            print(f"  {lf.name}: {row['error']}", flush=True)
        entry["layers"][lf.name] = row
        _save(results)
    if args.verilator:
        from salt_hls.data.jets import load_jets
        from salt_hls.evaluate import model_inputs
        from salt_hls.rtl.flow import TOP, simulate
        from salt_hls.rtl.verilog import write_design

        t1 = time.time()
        xv, yv = tracer.full()
        design = write_design(xv, yv, work / name / "rtl", TOP, clock.clock_ns, clock.uncertainty, clock.part)
        design.compile()
        jets = load_jets(args.jets)
        x = model_inputs(metadata, jets.subset(slice(len(jets) - args.max_jets, len(jets))))  # the file's last jets
        entry["verilator"] = {
            **simulate(tracer, ref, design, x),
            "pipeline_depth": design.pipeline_depth,
            "da4ml_cost_luts": design.da4ml_cost_luts,
            "da4ml_reg_bits": design.da4ml_reg_bits,
            **design.timings,
            "total_s": round(time.time() - t1, 1),
        }
        _save(results)


def _save(results: dict) -> None:
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def _ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def write_markdown(results: dict) -> None:
    lines = [
        "# Estimate vs open synthesis (Yosys) per layer",
        "",
        f"Command: `{results['command']}` ({results['date']}, {results['machine']}).",
        "",
        "Yosys `synth_xilinx -family xcup -flatten` on da4ml's Verilog of each layer (per-particle layers: one particle's "
        "copy x N). LUT = LUT1..LUT6 cells; FF = flip-flops, including each layer's own input register (an upper "
        "bound); estimate = `salt-hls estimate` breakdown. Ratio = estimate / Yosys.",
        "",
    ]
    for name, m in results["models"].items():
        lines += [
            f"## {name} (N = {m.get('n_particles')})",
            "",
            "| layer | op | copies | est LUT | da4ml LUT | Yosys LUT | est/Yosys | da4ml/Yosys | est FF | Yosys FF | est DSP | Yosys DSP | CARRY8 | Yosys s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        tot = {"e": 0, "d": 0, "y": 0, "ef": 0, "yf": 0, "ed": 0, "yd": 0, "c": 0}
        for lname, row in m["layers"].items():
            est = row.get("estimate") or {}
            y = row.get("yosys")
            if y is None:
                lines.append(
                    f"| {lname} | {row['operation']} | - | {est.get('LUT', '-')} | - | {row.get('error', 'not run')} | | | | | | | | |"
                )
                continue
            lines.append(
                f"| {lname} | {row['operation']} | {row['copies']} | {est.get('LUT', '-')} | {row['da4ml_cost_luts']:.0f} | "
                f"{y['LUT']} | {_ratio(est.get('LUT'), y['LUT'])} | {_ratio(row['da4ml_cost_luts'], y['LUT'])} | "
                f"{est.get('FF', '-')} | {y['FF']} | {est.get('DSP', '-')} | {y['DSP']} | {y['CARRY8']} | {row['yosys_seconds']} |"
            )
            tot["e"] += est.get("LUT", 0)
            tot["d"] += row["da4ml_cost_luts"]
            tot["y"] += y["LUT"]
            tot["ef"] += est.get("FF", 0)
            tot["yf"] += y["FF"]
            tot["ed"] += est.get("DSP", 0)
            tot["yd"] += y["DSP"]
            tot["c"] += y["CARRY8"]
        lines.append(
            f"| **synthesized layers** | | | {tot['e']} | {tot['d']:.0f} | {tot['y']} | {_ratio(tot['e'], tot['y'])} | "
            f"{_ratio(tot['d'], tot['y'])} | {tot['ef']} | {tot['yf']} | {tot['ed']} | {tot['yd']} | {tot['c']} | |"
        )
        lines += ["", f"Estimate of the whole project: {m.get('estimate_total')}.", ""]
        if "verilator" in m:
            v = m["verilator"]
            lines += [
                f"Verilator, whole design: {v['n_bit_exact']}/{v['n_jets']} jets bit-exact, {v['pipeline_depth']} "
                f"pipeline stages, da4ml {v['da4ml_cost_luts']:.0f} LUT / {v['da4ml_reg_bits']} register bits; "
                f"build {v.get('verilator_build_s')} s.",
                "",
            ]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=["salt_n16", "salt_n32"])
    ap.add_argument("--work", default="/tmp/rtl_bench")
    ap.add_argument("--verilator", action="store_true")
    ap.add_argument("--jets", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--max-jets", type=int, default=200)
    ap.add_argument("--layer-timeout", type=float, default=900.0)
    ap.add_argument("--markdown-only", action="store_true", help="Rewrite results.md from results.json.")
    ap.add_argument("--only", nargs="+", default=None, help="Re-run these layers only, into the existing results.json.")
    args = ap.parse_args()
    if args.markdown_only:
        write_markdown(json.loads((HERE / "results.json").read_text()))
        return
    results = {
        "command": "python benchmarks/rtl/run.py " + " ".join(sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "models": {},
    }
    from salt_hls.rtl.flow import _tool_versions

    results["tools"] = _tool_versions()
    for name in args.models:
        bench_model(name, Path(args.work), results, args)
        write_markdown(results)
    write_markdown(results)


if __name__ == "__main__":
    main()
