"""Float twin of SAL-T N = 32 trained to convergence, three seeds: the run-to-run spread.

The recipe is `salt-hls train`'s (Adam, early stopping on the validation loss with the best weights
restored, learning rate halved after max(2, patience // 3) flat epochs), with a cap far above the
epoch where it stops: 200 epochs, patience 12, batch 512, learning rate 2e-3, split seed 0, one
training seed per run. Equivalent command per seed S (what this script runs when the model is missing):

    salt-hls train --jets ../shared/data/jets_pythia8_train.h5 --particles 32 --float --seed S \
        --epochs 200 --patience 12 --batch-size 512 --learning-rate 0.002 --out benchmarks/accuracy/models/salt_n32_float_sS

    python benchmarks/accuracy/seeds.py [--seeds 0 1 2]

writes benchmarks/accuracy/seeds.json and seeds.md from the models' metadata (training is skipped
for a seed whose model exists).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JETS = ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"
PREVIOUS = ROOT / "benchmarks" / "accuracy" / "models" / "salt_n32_float"  # the 20-epoch twin
RECIPE = {"epochs": 200, "patience": 12, "batch_size": 512, "learning_rate": 2e-3}


def model_dir(seed: int) -> Path:
    return HERE / "models" / f"salt_n32_float_s{seed}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args(argv)
    from salt_hls.model.io import load_metadata

    rows = []
    for seed in args.seeds:
        out = model_dir(seed)
        if not (out / "metadata.json").exists():
            if not JETS.exists():
                sys.exit(f"missing {JETS}: the shared jets are needed to train seed {seed}")
            from salt_hls.model.builders import ModelSpec
            from salt_hls.train import TrainSettings, train

            train(JETS, ModelSpec(n_particles=32, quantized=False), out, TrainSettings(seed=seed, **RECIPE), verbose=2)
        meta = load_metadata(out)
        t = meta["training"]
        if {k: t["settings"][k] for k in RECIPE} != RECIPE or t["settings"]["seed"] != seed:
            sys.exit(f"{out}: trained with {t['settings']}, not this benchmark's recipe {RECIPE} at seed {seed}")
        m = meta["test_metrics"]
        rows.append(
            {
                "seed": seed,
                "model": str(out.relative_to(ROOT)),
                "accuracy": m["accuracy"],
                "auc": m["auc"],
                "epochs_run": t["epochs_run"],
                "best_val_loss": t["best_val_loss"],
                "seconds": t["seconds"],
            }
        )
    acc = [r["accuracy"] for r in rows]
    prev = load_metadata(PREVIOUS)
    summary = {
        "recipe": RECIPE,
        "runs": rows,
        "accuracy_mean": statistics.mean(acc),
        "accuracy_std": statistics.stdev(acc) if len(acc) > 1 else None,
        "previous_twin": {
            "model": str(PREVIOUS.relative_to(ROOT)),
            "accuracy": prev["test_metrics"]["accuracy"],
            "epochs_run": prev["training"]["epochs_run"],
            "epochs_cap": prev["training"]["settings"]["epochs"],
        },
        "command": " ".join(["python benchmarks/accuracy/seeds.py", *(argv or sys.argv[1:])]),
    }
    (HERE / "seeds.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        "# SAL-T N = 32 float twin trained to convergence: three seeds",
        "",
        f"Made by `{summary['command']}` (recipe in its docstring: cap 200 epochs, patience 12, batch 512, lr 2e-3; "
        "test split of the shared jets, split seed 0).",
        "",
        "| seed | accuracy | AUC | epochs (early stop) | best val loss | train time (2 cores, shared with other jobs) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {100 * r['accuracy']:.2f} % | {r['auc']:.4f} | {r['epochs_run']} | "
            f"{r['best_val_loss']:.4f} | {r['seconds'] / 60:.1f} min |"
        )
    std = summary["accuracy_std"]
    p = summary["previous_twin"]
    lines += [
        "",
        f"Mean {100 * summary['accuracy_mean']:.2f} %"
        + (f", standard deviation {100 * std:.2f} points over {len(rows)} seeds." if std is not None else "."),
        f"The previous twin (`{p['model']}`) stopped at its cap ({p['epochs_run']} of {p['epochs_cap']} epochs): "
        f"{100 * p['accuracy']:.2f} %.",
        "",
    ]
    (HERE / "seeds.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
