"""The whole IP from Level-1 words: the C simulation of salt_ip (input stage + network, one top)
against its bit-exact reference, on held-out shared jets.

    python benchmarks/input_stage/ip_run.py --model keras_models/salt_n16 --jets 5000

Writes the shared jets' first jets as words (salt_hls.l1input.writer, M = 2N candidate words per
jet in the file's order), keeps the first `--jets` of the model's test split among them, builds
the IP project (salt-hls ip), compiles its g++ testbench and compares every score bit with
salt_hls.ip.top.reference (NumPy stage + emulate.Reference of the folded model). Writes
ip_results.json and ip_results.md beside this script (one row per model, merged).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "keras_models" / "salt_n16"))
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--jets", type=int, default=5000, help="held-out jets to simulate")
    args = ap.parse_args()

    from salt_hls.data.preprocess import split_indices
    from salt_hls.ip import top as IP
    from salt_hls.l1input.writer import load_words, write_words
    from salt_hls.model.io import load_metadata

    meta = load_metadata(args.model)
    n, split = meta["spec"]["n_particles"], meta["data"]["split"]
    test = np.sort(
        split_indices(split["n_train"] + split["n_val"] + split["n_test"], split["seed"], tuple(split["fractions"]))[2]
    )
    first = int(test[args.jets - 1]) + 1  # the fewest leading jets of the file that hold `--jets` test jets
    pick = test[: args.jets]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        write_words(args.data, tmp / "words.h5", max_jets=first, n_candidates=2 * n)
        cand, jets, labels = load_words(tmp / "words.h5")
        cand, jets, labels = cand[pick], jets[pick], labels[pick]
        t_words = time.perf_counter() - t0
        t0 = time.perf_counter()
        ip = IP.build_ip(args.model, tmp / "prj", n_candidates=2 * n)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        exe = IP.compile_ip(tmp / "prj")
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        got, out_valid = IP.run_ip(exe, cand, jets)
        t_csim = time.perf_counter() - t0
        t0 = time.perf_counter()
        expected = IP.reference(tmp / "prj", cand, jets)
        t_ref = time.perf_counter() - t0
    exact = np.all(got == expected, axis=1)
    row = {
        "model": str(Path(args.model).resolve().relative_to(ROOT))
        if Path(args.model).resolve().is_relative_to(ROOT)
        else args.model,
        "n_particles": n,
        "candidates": ip["candidates"],
        "pad": ip["pad"],
        "jets": len(pick),
        "bit_exact_jets": int(exact.sum()),
        "out_valid_all": bool(out_valid.all()),
        "first_mismatch": None if exact.all() else int(np.argmin(exact)),
        "accuracy_ip": float(np.mean(got.argmax(1) == labels)),
        "seconds": {
            "write_words": round(t_words, 1),
            "build_ip": round(t_build, 1),
            "compile": round(t_compile, 1),
            "csim": round(t_csim, 1),
            "reference": round(t_ref, 1),
        },
        "command": f"python benchmarks/input_stage/ip_run.py --model {args.model} --jets {args.jets}",
        "platform": platform.platform(),
    }
    path = HERE / "ip_results.json"
    rows = json.loads(path.read_text()) if path.is_file() else []
    rows = [r for r in rows if r["model"] != row["model"]] + [row]
    path.write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# The IP from Level-1 words: C simulation against the bit-exact reference",
        "",
        "Held-out jets of the shared Pythia file (the model's test split), written as M = 2N PUPPI words per jet "
        "(`salt_hls.l1input.writer`), through the g++ C simulation of `salt_ip` (input stage + network) and through "
        "`salt_hls.ip.top.reference` (NumPy stage + bit-exact reference of the folded model).",
        "",
        "| model | N | M | jets | bit-exact jets | accuracy (IP) | build | compile | C sim | reference | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["seconds"]
        lines.append(
            f"| {r['model']} | {r['n_particles']} | {r['candidates']} | {r['jets']:,} | {r['bit_exact_jets']:,} | "
            f"{100 * r['accuracy_ip']:.2f} % | {s['build_ip']} s | {s['compile']} s | {s['csim']} s | {s['reference']} s | "
            f"`{r['command']}` |"
        )
    lines += ["", "Times on the project's shared 2-core machine (other jobs running): indicative only.", ""]
    (HERE / "ip_results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
