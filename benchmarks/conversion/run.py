"""Conversion benchmark: for the shipped SAL-T models at N = 16, 32, 64, the time to convert
and write the hls4ml project, the g++ compile time of the C simulation, its throughput, and
the throughput of the bit-exact NumPy reference (salt_hls.emulate) on the same machine.

    python benchmarks/conversion/run.py --jets ../shared/data/jets_pythia8_train.h5

writes benchmarks/conversion/results.json and results.md (timings on the machine that ran it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from salt_hls.data.jets import load_jets
from salt_hls.emulate import Reference
from salt_hls.evaluate import model_inputs
from salt_hls.hls.convert import convert, firmware_model
from salt_hls.model.io import load_model
from salt_hls.settings import ConvertSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def bench(n: int, jets_path: str, n_jets: int, work: Path) -> dict:
    model_dir = ROOT / "keras_models" / f"salt_n{n}"
    model, meta = load_model(model_dir)
    x = model_inputs(meta, load_jets(jets_path, max_jets=n_jets))
    t0 = time.perf_counter()
    hls_model = convert(model_dir, work / f"n{n}", ConvertSettings(), force=True, tb_inputs=x[:100])
    t1 = time.perf_counter()
    hls_model.compile()
    t2 = time.perf_counter()
    out = np.asarray(hls_model.predict(x)).reshape(len(x), -1)
    t3 = time.perf_counter()
    fw = firmware_model(model)
    fw.predict(x, batch_size=4096, verbose=0)  # first call traces the graph
    t4 = time.perf_counter()
    fw.predict(x, batch_size=4096, verbose=0)
    t5 = time.perf_counter()
    ref = Reference(model)
    t6 = time.perf_counter()
    ref_out = ref.run(x)
    t7 = time.perf_counter()
    return {
        "n_particles": n,
        "convert_write_s": round(t1 - t0, 2),
        "compile_s": round(t2 - t1, 2),
        "csim_jets": len(x),
        "csim_jets_per_s": round(len(x) / (t3 - t2), 1),
        "qkeras_jets_per_s": round(len(x) / (t5 - t4), 1),
        "reference_jets_per_s": round(len(x) / (t7 - t6), 1),
        "reference_over_csim": round((t3 - t2) / (t7 - t6), 1),
        "bit_exact_jets": int(np.all(out == ref_out, axis=1).sum()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jets", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--particles", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--n-jets", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench(n, args.jets, args.n_jets, Path(tmp)) for n in args.particles]
    info = {"platform": platform.platform(), "cpus": os.cpu_count(), "rows": rows}
    (HERE / "results.json").write_text(json.dumps(info, indent=2) + "\n")
    lines = [
        "# Conversion benchmark (shipped SAL-T models, Vitis backend, io_parallel)",
        "",
        f"Made by `python benchmarks/conversion/run.py --n-jets {args.n_jets}` on {platform.machine()}, {os.cpu_count()} CPUs.",
        "QKeras: the same model's batched predict (TensorFlow). Reference: salt_hls.emulate (NumPy, batches of 256),",
        "bit for bit equal to the C simulation (last column). Throughputs on the same jets in one process.",
        "",
        "| N | convert + write [s] | g++ compile [s] | C sim [jets/s] | QKeras [jets/s] | bit-exact reference [jets/s] | reference / C sim | C sim = reference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_particles']} | {r['convert_write_s']} | {r['compile_s']} | {r['csim_jets_per_s']} | "
            f"{r['qkeras_jets_per_s']} | {r['reference_jets_per_s']} | {r['reference_over_csim']}x | "
            f"{r['bit_exact_jets']}/{r['csim_jets']} jets |"
        )
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
