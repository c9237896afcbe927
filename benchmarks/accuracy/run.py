"""Accuracy benchmark: SAL-T (quantized and float), Linformer and Deep Sets at N = 16, 32, 64.

Every model is trained (or loaded, when its directory exists) on the same split of the
shared Pythia jets and evaluated on the same held-out test part. Quantized models start
from their float twin's weights (quantization-aware fine-tuning), one recipe for all.

    python benchmarks/accuracy/run.py --jets ../shared/data/jets_pythia8_train.h5

writes benchmarks/accuracy/results.json and results.md; the quantized SAL-T models are
also the shipped ones in keras_models/salt_n{N}.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from salt_hls.data.jets import CLASS_NAMES
from salt_hls.evaluate import evaluate
from salt_hls.model.builders import ModelSpec
from salt_hls.model.io import METADATA_FILE, MODEL_FILE
from salt_hls.train import TrainSettings, train

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FLOAT = TrainSettings(epochs=20, patience=4, batch_size=512, learning_rate=2e-3)
QAT = TrainSettings(epochs=8, patience=3, batch_size=512, learning_rate=5e-4)
FIRMWARE = ("salt", "linformer")  # architectures the converter supports; their firmware is scored too


def model_dir(arch: str, n: int, quantized: bool) -> Path:
    if arch == "salt" and quantized:
        return ROOT / "keras_models" / f"salt_n{n}"
    return HERE / "models" / f"{arch}_n{n}_{'q' if quantized else 'float'}"


def train_or_load(jets, spec: ModelSpec, settings: TrainSettings, init_from=None) -> Path:
    d = model_dir(spec.architecture, spec.n_particles, spec.quantized)
    if (d / MODEL_FILE).exists():
        print(f"[load] {d}", flush=True)
    else:
        print(f"[train] {d}", flush=True)
        train(jets, spec, d, settings, init_from=init_from, verbose=2)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jets", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--particles", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--models", nargs="+", default=["salt", "linformer", "deepsets"])
    ap.add_argument("--render-only", action="store_true", help="Rewrite results.md from results.json and reading.md.")
    args = ap.parse_args()
    if args.render_only:
        _write(json.loads((HERE / "results.json").read_text())["rows"], args.jets)
        return
    rows = []
    for arch in args.models:
        for n in args.particles:
            t0 = time.time()
            fdir = train_or_load(args.jets, ModelSpec(architecture=arch, n_particles=n, quantized=False), FLOAT)
            qdir = train_or_load(args.jets, ModelSpec(architecture=arch, n_particles=n, quantized=True), QAT, init_from=fdir)
            variants = [(fdir, "float"), (qdir, "QKeras")] + ([(qdir, "firmware")] if arch in FIRMWARE else [])
            for d, variant in variants:
                meta = json.loads((d / METADATA_FILE).read_text())
                m = evaluate(d, args.jets, test_split=True, firmware=variant == "firmware")
                rows.append(
                    {
                        "model": arch,
                        "n_particles": n,
                        "variant": variant,
                        "parameters": None,
                        "accuracy": m["accuracy"],
                        "auc": m["auc"],
                        "rejection_at_80": m["rejection_at_80"],
                        "n_test": m["n_jets"],
                        "train_seconds": meta["training"]["seconds"],
                        "epochs": meta["training"]["epochs_run"],
                        "path": str(d.relative_to(ROOT)),
                    }
                )
            if arch == "salt":
                _record_float_twin(qdir, next(r for r in rows if r["path"] == str(fdir.relative_to(ROOT))))
            print(f"  done n={n} {arch} in {time.time() - t0:.0f} s", flush=True)
            _write(rows, args.jets)  # after each pair, so an interrupted run still leaves its table


def _record_float_twin(qdir: Path, float_row: dict) -> None:
    meta_file = qdir / METADATA_FILE
    meta = json.loads(meta_file.read_text())
    meta["float_twin"] = {
        "path": float_row["path"],
        "test_metrics": {k: float_row[k] for k in ("accuracy", "auc")} | {"rejection_at_80": float_row["rejection_at_80"]},
    }
    meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _write(rows, jets):
    from salt_hls.model.io import load_model

    for r in rows:
        r["parameters"] = int(load_model(ROOT / r["path"])[0].count_params())
    (HERE / "results.json").write_text(
        json.dumps({"jets": Path(jets).name, "platform": platform.platform(), "rows": rows}, indent=2) + "\n"
    )
    head = "| model | N | variant | params | accuracy | AUC | " + " | ".join(f"R80 {c}" for c in CLASS_NAMES) + " |"
    lines = [
        "# Accuracy on the held-out test split of the shared Pythia jets",
        "",
        f"Made by `python benchmarks/accuracy/run.py --jets {Path(jets).name}` (test part: 20 % of the file, split seed 0).",
        "R80 = background rejection (1/FPR) at 80 % signal efficiency, class vs the rest.",
        "Variants: float twin; QKeras (quantization-aware, TensorFlow); firmware = the generated HLS's outputs,",
        "computed by the bit-exact reference (salt_hls.emulate, equal to the C simulation bit for bit), softmax in software.",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for r in rows:
        rej = " | ".join(f"{r['rejection_at_80'][c]:.1f}" for c in CLASS_NAMES)
        lines.append(
            f"| {r['model']} | {r['n_particles']} | {r['variant']} | {r['parameters']} | "
            f"{100 * r['accuracy']:.2f} % | {r['auc']:.4f} | {rej} |"
        )
    reading = HERE / "reading.md"  # what we read in the table, kept by hand beside the script
    if reading.is_file():
        lines += ["", "## Reading", "", *reading.read_text().splitlines()]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
