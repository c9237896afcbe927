"""Does the per-layer synthesis add up to the whole design? A small SAL-T (N = 4, d_model = 4,
one head, seeded random weights, the tests' model) synthesized with Yosys once whole and once
layer by layer (per-particle layers: one copy x N), as `salt-hls rtl` composes it.

    python benchmarks/rtl/composition.py [--work /tmp/rtl_composition]

writes benchmarks/rtl/composition.json and composition.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KEYS = ("LUT", "FF", "CARRY8", "DSP", "BRAM18", "MUXF")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/rtl_composition")
    args = ap.parse_args()
    from salt_hls.emulate import Reference
    from salt_hls.model.builders import ModelSpec, build_model
    from salt_hls.rtl.flow import ProjectClock, layer_totals, synthesize_layers
    from salt_hls.rtl.synth import synthesize
    from salt_hls.rtl.trace import Tracer
    from salt_hls.rtl.verilog import write_design

    spec = ModelSpec(
        n_particles=4, d_model=4, n_heads=1, ffn_dim=4, classifier_dim=4, quant={"qkv.result": "10,2", "attn.result": "10,1"}
    )
    model = build_model(spec)
    r = np.random.default_rng(7)
    model.set_weights([w + r.normal(0, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    tracer = Tracer(Reference(model))
    clock = ProjectClock("xcvu13p-flga2577-2-e", 5.0, 0.27)
    work = Path(args.work)
    xv, yv = tracer.full()
    design = write_design(xv, yv, work / "whole", "salt_fw", clock.clock_ns, clock.uncertainty, clock.part)
    whole = synthesize(design.path, "salt_fw")
    layers = synthesize_layers(tracer, clock, work / "layers", log=lambda m: print(m, flush=True))
    parts = layer_totals(layers)
    out = {
        "command": "python benchmarks/rtl/composition.py " + " ".join(sys.argv[1:]),
        "model": spec.to_dict(),
        "whole": {
            **{k: whole.resources[k] for k in KEYS},
            "yosys_seconds": whole.seconds,
            "da4ml_cost_luts": design.da4ml_cost_luts,
            "da4ml_reg_bits": design.da4ml_reg_bits,
            "pipeline_depth": design.pipeline_depth,
        },
        "layers_summed": {
            **{k: parts["resources"].get(k, 0) for k in KEYS},
            "yosys_seconds": parts["yosys_seconds"],
            "da4ml_cost_luts": parts["da4ml_cost_luts"],
            "da4ml_reg_bits": parts["da4ml_reg_bits"],
        },
    }
    out["ratio_layers_to_whole"] = {
        k: (round(out["layers_summed"][k] / out["whole"][k], 3) if out["whole"][k] else None) for k in (*KEYS, "da4ml_cost_luts")
    }
    (HERE / "composition.json").write_text(json.dumps(out, indent=2) + "\n")
    rows = ["| | " + " | ".join(KEYS) + " | da4ml LUT | Yosys s |", "|---" * (len(KEYS) + 3) + "|"]
    for label, key in (("whole design", "whole"), ("sum of layers", "layers_summed")):
        d = out[key]
        rows.append(
            f"| {label} | " + " | ".join(str(d[k]) for k in KEYS) + f" | {d['da4ml_cost_luts']:.0f} | {d['yosys_seconds']} |"
        )
    rows.append(
        "| layers / whole | "
        + " | ".join(str(out["ratio_layers_to_whole"][k]) for k in KEYS)
        + f" | {out['ratio_layers_to_whole']['da4ml_cost_luts']} | |"
    )
    (HERE / "composition.md").write_text(
        "# Per-layer synthesis against the whole design (N = 4, d_model = 4)\n\n"
        f"Command: `{out['command']}`. Yosys synth_xilinx -family xcup -flatten; per-particle layers one copy x N.\n\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    main()
