"""g++ compile time of the C simulation for each dense strategy (what `--dense-strategy` costs `make test`).

    python benchmarks/conversion/compile_time.py --particles 16 --n-jets 2000

For each strategy, converts the shipped model (salt_hls.hls.convert, default settings otherwise), times
hls4ml's `compile()` (g++ of the whole project into the C-simulation library), one strategy after the other
in one process, and compares the C simulation with the bit-exact reference (salt_hls.emulate) on the first
`--n-jets` shared jets. Writes compile_results.json and compile_results.md beside this script (timings on the
machine that ran it, which may be shared with other jobs: the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STRATEGIES = ("latency", "distributed_arithmetic")


def bench(n: int, strategy: str, jets_path: str, n_jets: int, work: Path) -> dict:
    import numpy as np

    from salt_hls.data.jets import load_jets
    from salt_hls.emulate import Reference
    from salt_hls.evaluate import model_inputs
    from salt_hls.hls.convert import convert
    from salt_hls.model.io import load_model
    from salt_hls.settings import ConvertSettings

    model_dir = ROOT / "keras_models" / f"salt_n{n}"
    model, meta = load_model(model_dir)
    x = np.ascontiguousarray(model_inputs(meta, load_jets(jets_path, max_jets=n_jets)))
    t0 = time.perf_counter()
    hls_model = convert(model_dir, work / f"n{n}_{strategy}", ConvertSettings(dense_strategy=strategy))
    t1 = time.perf_counter()
    load = os.getloadavg()[0]
    hls_model.compile()
    t2 = time.perf_counter()
    out = np.asarray(hls_model.predict(x)).reshape(len(x), -1)
    return {
        "n_particles": n,
        "dense_strategy": strategy,
        "convert_write_s": round(t1 - t0, 1),
        "compile_s": round(t2 - t1, 1),
        "load_average_1min_before_compile": round(load, 2),
        "csim_jets": len(x),
        "bit_exact_jets": int(np.all(out == Reference(model).run(x), axis=1).sum()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, nargs="+", default=[16])
    ap.add_argument("--jets", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--n-jets", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench(n, s, args.jets, args.n_jets, Path(tmp)) for n in args.particles for s in STRATEGIES]
    info = {
        "command": "python benchmarks/conversion/compile_time.py --particles "
        + " ".join(map(str, args.particles))
        + f" --n-jets {args.n_jets}",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "rows": rows,
    }
    (HERE / "compile_results.json").write_text(json.dumps(info, indent=2) + "\n")
    lines = [
        "# C-simulation compile time per dense strategy",
        "",
        f"Made by `{info['command']}` on {info['machine']}.",
        "",
        "| N | dense strategy | convert + write [s] | g++ compile [s] | load average before compile | C sim = reference |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_particles']} | {r['dense_strategy']} | {r['convert_write_s']} | {r['compile_s']} | "
            f"{r['load_average_1min_before_compile']} | {r['bit_exact_jets']}/{r['csim_jets']} jets |"
        )
    (HERE / "compile_results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
