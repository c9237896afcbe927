"""Ship a trained model that fits a budget: the whole flow on it, and only if it passes, into keras_models/.

    nice -n 10 python benchmarks/fit/ship.py MODEL --name salt_n16_l1t \\
        [--budget synth_reports/budgets/l1t-default.yaml] [--backend Vivado] \\
        [--dense-strategy distributed_arithmetic] [--clock-ns 5] [--reuse 1] [--products auto] [--jets 5000] [--force]

Runs `salt-hls flow` (salt_hls.flow.run_flow) on MODEL with the given conversion settings: convert, C simulation
bit for bit against the reference on the first --jets jets of the model's held-out test split, estimate, check.
Refuses (exit 3, nothing written to keras_models/ or synth_reports/) unless every jet is bit-exact and the estimate
fits the budget. Then writes keras_models/<name>/ (model.h5 and metadata.json with a "shipped" record: where the
model came from, the conversion settings that make it fit, the budget, the bit-exact count, the estimate and the
command) and synth_reports/<name>/<part>/salt-hls-estimate/ (report.json, meta.json) for CI to check.
--force replaces an earlier keras_models/<name>/ this script wrote (one with a "shipped" record), nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from salt_hls.settings import PRODUCT_IMPLS

ROOT = Path(__file__).resolve().parents[2]
JETS = ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"
TOOL_DIR = "salt-hls-estimate"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--name", required=True, help="keras_models/<name>, e.g. salt_n16_l1t")
    ap.add_argument("--budget", type=Path, default=ROOT / "synth_reports" / "budgets" / "l1t-default.yaml")
    ap.add_argument("--backend", default="Vitis")
    ap.add_argument("--dense-strategy", default="latency")
    ap.add_argument("--clock-ns", type=float, default=5.0)
    ap.add_argument("--reuse", type=int, default=1)
    ap.add_argument("--products", choices=PRODUCT_IMPLS, default="auto", help="convert --products")
    ap.add_argument("--jets", type=int, default=5000, help="held-out jets simulated bit for bit")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    command = "nice -n 10 python benchmarks/fit/ship.py " + " ".join(argv or sys.argv[1:])
    for p in (args.model / "model.h5", args.model / "metadata.json", args.budget, JETS):
        if not p.is_file():
            sys.exit(f"missing {p}")
    dest = ROOT / "keras_models" / args.name
    if dest.exists():
        earlier = dest / "metadata.json"
        if not args.force:
            sys.exit(f"{dest} exists; --force replaces a model this script shipped there")
        if not earlier.is_file() or "shipped" not in json.loads(earlier.read_text()):
            sys.exit(f"{dest} was not written by this script (no 'shipped' record): not replacing it")

    from salt_hls.flow import run_flow
    from salt_hls.hls.convert import ConvertSettings

    settings = ConvertSettings(
        backend=args.backend,
        dense_strategy=args.dense_strategy,
        clock_ns=args.clock_ns,
        reuse=args.reuse,
        products=args.products,
    )
    with tempfile.TemporaryDirectory(prefix="salt_ship_") as tmp:
        out = Path(tmp) / "flow"
        s = run_flow(
            args.model, JETS, out, settings, budget_path=args.budget, max_jets=args.jets, test_split=True, progress=print
        )
        csim = s["csim"]
        print(f"bit-exact: {csim['n_bit_exact']}/{csim['n_jets']}; fits {args.budget.name}: {s['budget']['fits']}")
        for row in s["budget"]["rows"]:
            print(f"  {row['figure']}: {row['value']} (limit {row['limit']} {row['unit']}) {'ok' if row['ok'] else 'OVER'}")
        if not (s["bit_exact"] and s["budget"]["fits"]):
            print("not shipped: it must be bit-exact on every jet and fit the budget", file=sys.stderr)
            return 3
        report = json.loads((out / "estimate.json").read_text())
        part = s["settings"]["part"]
        metadata = json.loads((args.model / "metadata.json").read_text())
        h5 = (args.model / "model.h5").read_bytes()
        metadata["shipped"] = {
            "source": str(args.model.resolve().relative_to(ROOT)),
            "conversion": s["settings"],
            "budget": str(args.budget.resolve().relative_to(ROOT)),
            "fits": True,
            "bit_exact": {"n_jets": csim["n_jets"], "n_bit_exact": csim["n_bit_exact"], "split": "test"},
            "estimate": s["estimate"],
            "command": command,
            "date": dt.date.today().isoformat(),
        }
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        (dest / "model.h5").write_bytes(h5)
        (dest / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
        stored = ROOT / "synth_reports" / args.name / part / TOOL_DIR
        stored.mkdir(parents=True, exist_ok=True)
        (stored / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        meta = {
            "model": args.name,
            "model_sha256": hashlib.sha256(h5).hexdigest(),
            "part": part,
            "tool": report["tool"],
            "method": report["method"],
            "settings": s["settings"],
            "date": dt.date.today().isoformat(),
            "command": command,
        }
        (stored / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"shipped {dest} and {stored}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
