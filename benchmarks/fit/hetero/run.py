"""Heterogeneous SAL-T: accuracy, EBOPs and estimated LUTs at several β, per N.

For each β: fine-tune the shipped float twin (benchmarks/accuracy/models/salt_n32_float) with one
learned width per constant weight and β · EBOPs in the loss (salt_hls.model.hetero, through
salt_hls.train.train(hetero=...)); convert the frozen export with --dense-strategy
distributed_arithmetic (the estimate then costs the adder graphs hls4ml emitted); estimate it
(`salt-hls estimate`, salt_hls.estimate.estimator) and check it against the l1t-default budget.
The shipped uniform model (keras_models/salt_n32) is measured the same way as the β = uniform
row; its EBOPs are those of its own weights at their uniform formats.

Recipe (every β alike): Adam 5e-4, batch 512, seed 0, split seed 0, β ramped linearly from 0
over `--ramp` epochs (early stopping counts only after the ramp), early stopping on the validation
loss (cross-entropy + β · EBOPs) with patience `--patience`, best weights restored, learning rate
halved after max(2, patience // 3) flat epochs down to `--min-lr` (default 0: no floor), at most
`--epochs` epochs.

    nice -n 10 python benchmarks/fit/hetero/run.py --betas 1e-8 1e-7 1e-6 [--epochs 8] [--work /tmp/hetero]
        [--search-widths POINTS] [--init-from FLOAT_TWIN]

--search-widths narrows the activation sites and tables first (salt_hls.model.widths, POINTS of
validation accuracy in all) and trains with the formats found; --init-from starts from another float
twin (the model names then carry its directory name).

writes benchmarks/fit/hetero/results.json and results.md (after every β), and the trained models
to benchmarks/fit/hetero/models/salt_n<N>_h<β>. --append adds rows to the stored results (the
shipped model's row is then not measured again); --render rewrites results.md from results.json; --recost
converts and estimates every stored row again with the current estimator (no training).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
JETS = ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"
FLOAT_TWIN = ROOT / "benchmarks" / "accuracy" / "models" / "salt_n32_float"
SHIPPED = ROOT / "keras_models" / "salt_n32"
BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
RESOURCES = ("LUT", "FF", "DSP", "BRAM18")


def cost(model_dir: Path, work: Path) -> dict:
    from salt_hls.budget.check import evaluate, load_budget
    from salt_hls.estimate.estimator import estimate_project
    from salt_hls.hls.convert import ConvertSettings, convert

    prj = work / f"{model_dir.name}_da"
    t0 = time.time()
    convert(str(model_dir), prj, ConvertSettings(dense_strategy="distributed_arithmetic"), force=True)
    rep = estimate_project(prj)
    check = evaluate(rep, load_budget(BUDGET))
    # the same model for the Vivado backend: hls4ml's clock uncertainty there is 12.5 % (Vitis: 27 %)
    convert(str(model_dir), prj, ConvertSettings(backend="Vivado", dense_strategy="distributed_arithmetic"), force=True)
    viv = estimate_project(prj)
    res, pct = rep.resources["post_synthesis"], rep.utilization_pct()["post_synthesis"]
    layers = {row["name"]: row["lut"] for row in rep.breakdown["layers"]}
    return {
        **{r: res[r] for r in RESOURCES},
        "pct": {r: round(pct[r], 2) for r in RESOURCES},
        "latency_ns": rep.latency_ns("max"),
        "ii_cycles": rep.interval_max_cycles,
        "fits": check.fits,
        "vivado": {
            "latency_ns": viv.latency_ns("max"),
            "LUT": viv.resources["post_synthesis"]["LUT"],
            "fits": evaluate(viv, load_budget(BUDGET)).fits,
        },
        "layer_lut": layers,
        "lut_by_category": rep.breakdown["lut_by_category"],
        "seconds": round(time.time() - t0, 1),
    }


def geometry(model_dir: Path) -> dict:
    """What a row's model is, beside its name: N and the geometry (from its metadata)."""
    from salt_hls.model.io import load_metadata

    spec = load_metadata(model_dir)["spec"]
    return {
        "n_particles": spec["n_particles"],
        "geometry": f"d{spec['d_model']} h{spec['n_heads']} p{spec['n_partitions']} ffn{spec['ffn_dim']}",
    }


def model_dir_of(run: dict) -> Path:
    return SHIPPED if run["model"].startswith("keras_models/") else HERE / run["model"]


def recost(work: Path, command: str) -> None:
    """Rows estimated at different dates used different estimator rules (the cast rule, the tables as
    LUT-ROMs); this puts every row on the current ones, keeping what training measured."""
    results = json.loads((HERE / "results.json").read_text())
    work.mkdir(parents=True, exist_ok=True)
    for run in results["runs"]:
        model_dir = model_dir_of(run)
        c = cost(model_dir, work)
        run["cost"] = c
        for row in run["layers"]:
            row["lut"] = c["layer_lut"].get(row["layer"])
        run.update(geometry(model_dir))
        print(f"{run['model']}: {c['LUT']:,} LUT, {c['DSP']} DSP, {c['latency_ns']} ns", flush=True)
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["recosted"] = f"`{command}` ({date}): every row converted and estimated again with that day's estimator"
    write(results)


def uniform_ebops(model_dir: Path) -> dict:
    from salt_hls.model.hetero import hetero_summary, heterogenize
    from salt_hls.model.io import load_model

    model, _ = load_model(model_dir)
    s = hetero_summary(heterogenize(model))
    return {
        "ebops": s["ebops"],
        "weights": sum(v["weights"] for v in s["layers"].values()),
        "layers": {
            k: {
                "ebops": v["ebops"],
                "pruned": v["pruned"],
                "mean_bits": v["mean_bits"],
                "widest": v["widest"],
                "weights": v["weights"],
            }
            for k, v in s["layers"].items()
        },
    }


def layer_rows(ebops_layers: dict, layer_lut: dict) -> list:
    return [
        {
            "layer": k,
            "ebops": v["ebops"],
            "lut": layer_lut.get(k),
            "pruned": v["pruned"],
            "mean_bits": v["mean_bits"],
            "widest": v["widest"],
            "weights": v.get("weights"),
        }
        for k, v in ebops_layers.items()
    ]


def correlation(rows: list, key_x: str, key_y: str) -> float | None:
    pts = [(r[key_x], r[key_y]) for r in rows if r.get(key_x) is not None and r.get(key_y) is not None]
    if len(pts) < 3:
        return None
    x, y = np.array(pts, float).T
    return float(np.corrcoef(x, y)[0, 1])


def activations(run: dict) -> str:
    ws = run.get("width_search")
    if ws is None:
        return "per-site defaults"
    bits = ws["activation_bits_per_jet"]
    return f"searched ({100 * ws['settings']['tolerance']:g} pt): {bits['final']:,} bits/jet (was {bits['start']:,})"


def write(results: dict) -> None:
    runs = results["runs"]
    for run in runs:  # rows stored before N and the geometry were kept: from the committed model
        if "n_particles" not in run:
            run.update(geometry(model_dir_of(run)))
    results["correlation"] = {
        "total_ebops_vs_total_lut": correlation([{"e": r["ebops"], "l": r["cost"]["LUT"]} for r in runs], "e", "l"),
        "layer_ebops_vs_layer_lut": correlation([row for r in runs for row in r["layers"]], "ebops", "lut"),
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Heterogeneous weight widths, SAL-T",
        "",
        "Made by " + ", then ".join(f"`{c}`" for c in results["commands"]) + f" ({results['date']}, {results['platform']}).",
        "Accuracy: test split of the shared jets. EBOPs: salt_hls.model.hetero (weight bits x input bits x copies, "
        "summed over every constant multiply). LUT ... latency: `salt-hls estimate` of the project converted with "
        "`--dense-strategy distributed_arithmetic`, Vitis, xcvu13p, 5 ns, II = 1; fits: l1t-default budget; "
        "latency and fits again for the Vivado backend (HLS clock uncertainty 12.5 % instead of 27 %) after the slash.",
        *([f"Costs: {results['recosted']}."] if "recosted" in results else []),
        "",
        "| model | geometry | β | activations | epochs | accuracy | EBOPs | pruned | LUT | FF | DSP | BRAM18 | latency | fits |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        c = r["cost"]
        pruned = sum(x["pruned"] for x in r["layers"])
        weights = r.get("weights", "")
        lines.append(
            f"| {r['model']} | {r.get('geometry', '—')} | {r['beta']} | {activations(r)} | {r.get('epochs_run', '—')} | {100 * r['accuracy']:.2f} % | {r['ebops']:,.0f} | "
            f"{pruned}/{weights} | {c['LUT']:,} ({c['pct']['LUT']} %) | {c['FF']:,} ({c['pct']['FF']} %) | "
            f"{c['DSP']:,} ({c['pct']['DSP']} %) | {c['BRAM18']:,} | {_latency(c)} | {_fits(c)} |"
        )
    corr = results["correlation"]
    lines += [
        "",
        f"Pearson correlation, total EBOPs vs estimated total LUT over the rows: {corr['total_ebops_vs_total_lut']}; "
        f"per constant-weight layer (EBOPs vs that layer's estimated LUT, all rows): {corr['layer_ebops_vs_layer_lut']}.",
        "",
    ]
    for n in sorted({r["n_particles"] for r in runs}):
        at_n = [r for r in runs if r["n_particles"] == n]
        lines += pareto_lines(at_n, n)
        plot(at_n, n)
    lines += layer_lines(runs)
    (HERE / "results.md").write_text("\n".join(lines) + "\n")


def _latency(c: dict) -> str:
    return f"{c['latency_ns']} / {c['vivado']['latency_ns'] if 'vivado' in c else '—'} ns"


def _fits(c: dict) -> str:
    def word(f):
        return "—" if f is None else ("yes" if f else "no")

    return f"{word(c['fits'])} / {word(c.get('vivado', {}).get('fits'))}"


def _points(runs: list) -> list[dict]:
    """The runs as salt_hls.scan.results rows (status, accuracy, LUT), keeping the run."""
    return [{"status": "ok", "accuracy": r["accuracy"], "LUT": r["cost"]["LUT"], "run": r} for r in runs]


def pareto_lines(runs: list, n: int) -> list[str]:
    from salt_hls.scan.results import pareto

    front = pareto(_points(runs), "l1t-default")
    lines = [
        f"## Pareto front at N = {n}, accuracy vs estimated LUT",
        "",
        f"Rows at N = {n} no other row beats on both accuracy and LUTs, most accurate first (plot: `pareto_n{n}.png`).",
        "",
        "| model | accuracy | LUT | DSP | latency | fits l1t-default | train time |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in front:
        r, c = p["run"], p["run"]["cost"]
        t = r.get("train_seconds")
        lines.append(
            f"| {r['model']} | {100 * r['accuracy']:.2f} % | {c['LUT']:,} ({c['pct']['LUT']} %) | {c['DSP']:,} | "
            f"{_latency(c)} | {_fits(c)} | {'—' if t is None else f'{t / 60:.1f} min'} |"
        )
    return [*lines, "", *chosen_lines(n)]


def chosen_lines(n: int) -> list[str]:
    """The rows benchmarks/fit/ship.py shipped at this N, with the conversion and estimate they were shipped with
    (which may differ from the table's: e.g. --products dsp)."""
    lines = []
    for meta_path in sorted((ROOT / "keras_models").glob("*/metadata.json")):
        meta = json.loads(meta_path.read_text())
        shipped = meta.get("shipped")
        if not shipped or meta["spec"]["n_particles"] != n:
            continue
        conv, est = shipped["conversion"], shipped["estimate"]
        res = est["resources"]
        flags = f"--backend {conv['backend']} --dense-strategy {conv['dense_strategy']} --products {conv.get('products', 'auto')}"
        lines.append(
            f"Chosen: `{shipped['source'].removeprefix('benchmarks/fit/hetero/')}` shipped as "
            f"`keras_models/{meta_path.parent.name}` (`{flags}`, clock {conv['clock_ns']:g} ns): {100 * meta['test_metrics']['accuracy']:.2f} %, "
            f"LUT {res['LUT']:,}, DSP {res['DSP']:,}, {est['latency_ns']:g} ns, bit-exact on "
            f"{shipped['bit_exact']['n_bit_exact']:,}/{shipped['bit_exact']['n_jets']:,} held-out jets, fits "
            f"`{Path(shipped['budget']).stem}`."
        )
    return [*lines, ""] if lines else []


def layer_lines(runs: list) -> list[str]:
    """Mean bits per weight (pruned ones count 0) and pruned weights, per constant-weight layer and run."""
    names = [row["layer"] for row in runs[0]["layers"]]
    lines = [
        "## Weights per layer: mean bits per weight (a pruned weight counts 0), pruned weights",
        "",
        "| model | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for r in runs:
        by = {row["layer"]: row for row in r["layers"]}
        cells = []
        for n in names:
            row = by.get(n)
            if row is None:
                cells.append("—")
            elif row.get("weights"):
                cells.append(f"{row['mean_bits']:.1f} b, {100 * row['pruned'] / row['weights']:.0f} % pruned")
            else:  # rows stored before the per-layer weight count was kept
                cells.append(f"{row['mean_bits']:.1f} b, {row['pruned']} pruned")
        lines.append(f"| {r['model']} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def plot(runs: list, n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from salt_hls.scan.results import pareto

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, label in ((axes[0], "LUT", "LUT (estimate)"), (axes[1], "latency_ns", "latency [ns] (estimate)")):
        for r in runs:
            searched = "width_search" in r
            ax.scatter(
                r["cost"][key],
                100 * r["accuracy"],
                marker="s" if searched else "o",
                color="tab:orange" if searched else "tab:gray",
                label=None,
            )
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    front = [p["run"] for p in pareto(_points(runs), "l1t-default")]
    axes[0].plot(
        [r["cost"]["LUT"] for r in front], [100 * r["accuracy"] for r in front], "-", color="tab:blue", lw=1, label="Pareto front"
    )
    from salt_hls.budget.check import load_budget
    from salt_hls.devices import lookup_part

    budget = load_budget(BUDGET)
    lut_pct = budget.resource_max_pct["LUT"]
    lut_max = lookup_part(budget.part).totals()["LUT"] * lut_pct / 100
    axes[0].axvline(lut_max, color="tab:red", ls="--", lw=1, label=f"l1t-default LUT ({lut_pct:g} % of {budget.part})")
    axes[1].axvline(budget.latency_max_ns, color="tab:red", ls="--", lw=1, label="l1t-default latency")
    axes[0].scatter([], [], marker="o", color="tab:gray", label="per-site default activations")
    axes[0].scatter([], [], marker="s", color="tab:orange", label="searched activation widths")
    axes[0].set_ylabel("test accuracy [%]")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.suptitle(f"SAL-T N = {n}, heterogeneous weights (II = 1, 5 ns, estimate)")
    fig.tight_layout()
    fig.savefig(HERE / f"pareto_n{n}.png", dpi=110)
    plt.close(fig)


def trained_row(out: Path, meta: dict, work: Path) -> dict:
    """The results row of a model trained by this script (everything from its metadata, then converted and estimated)."""
    h = meta["hetero"]
    c = cost(out, work)
    ws = meta.get("width_search")
    return {
        "model": f"models/{out.name}",
        "beta": h["settings"]["beta"],
        "accuracy": meta["test_metrics"]["accuracy"],
        "ebops": h["ebops"],
        "epochs_run": meta["training"]["epochs_run"],
        "train_seconds": meta["training"]["seconds"],
        "weights": sum(v["weights"] for v in h["layers"].values()),
        "history": h["history"],
        "layers": layer_rows(h["layers"], c["layer_lut"]),
        "cost": c,
        "settings": h["settings"],
        "init_from": str(Path(meta["training"]["init_from"]).resolve().relative_to(ROOT)),
        **(
            {}
            if ws is None
            else {
                "width_search": {
                    k: ws[k]
                    for k in ("settings", "start_accuracy", "final_accuracy", "changed", "activation_bits_per_jet", "seconds")
                }
            }
        ),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--betas", type=float, nargs="+", default=[1e-8, 1e-7, 1e-6])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--ramp", type=int, default=2)
    ap.add_argument("--min-lr", type=float, default=0.0, help="floor of the halving learning rate (starts at 5e-4)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/hetero"))
    ap.add_argument("--search-widths", type=float, default=None, help="activation width search budget, in points")
    ap.add_argument("--init-from", type=Path, default=FLOAT_TWIN)
    ap.add_argument("--append", action="store_true", help="add rows to the stored results.json")
    ap.add_argument("--tag", default="", help="appended to each model's name (e.g. the schedule: e200)")
    ap.add_argument("--render", action="store_true", help="only rewrite results.md from results.json")
    ap.add_argument(
        "--rows-from",
        type=Path,
        nargs="+",
        help="append the rows of models this script trained whose rows are missing (a run cut after training)",
    )
    ap.add_argument(
        "--recost",
        action="store_true",
        help="convert and estimate every stored row's model again with today's estimator (no training)",
    )
    args = ap.parse_args(argv)
    if args.render:
        write(json.loads((HERE / "results.json").read_text()))
        return 0
    if args.rows_from:
        from salt_hls.model.io import load_metadata

        results = json.loads((HERE / "results.json").read_text())
        results["commands"].append("nice -n 10 python benchmarks/fit/hetero/run.py " + " ".join(argv or sys.argv[1:]))
        for out in args.rows_from:
            if any(r["model"] == f"models/{out.name}" for r in results["runs"]):
                sys.exit(f"{out.name} has a row already")
            results["runs"].append(trained_row(out, load_metadata(out), args.work))
        write(results)
        return 0
    if args.recost:
        recost(args.work, "nice -n 10 python benchmarks/fit/hetero/run.py " + " ".join(argv or sys.argv[1:]))
        return 0
    for p in (JETS, args.init_from, BUDGET):
        if not p.exists():
            sys.exit(f"missing {p}")

    from salt_hls.model.builders import ModelSpec
    from salt_hls.model.hetero import HeteroSettings
    from salt_hls.model.io import load_metadata
    from salt_hls.model.widths import WidthSearchSettings
    from salt_hls.train import TrainSettings, train

    args.work.mkdir(parents=True, exist_ok=True)
    command = "nice -n 10 python benchmarks/fit/hetero/run.py " + " ".join(argv or sys.argv[1:])
    if args.append:
        results = json.loads((HERE / "results.json").read_text())
        results["commands"].append(command)
    else:
        results = {
            "commands": [command],
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "platform": f"{platform.machine()}, {platform.system()}",
            "runs": [],
        }
    if not args.append:
        meta = load_metadata(SHIPPED)
        u = uniform_ebops(SHIPPED)
        c = cost(SHIPPED, args.work)
        results["runs"].append(
            {
                "model": "keras_models/salt_n32 (uniform)",
                "beta": "—",
                "accuracy": meta["test_metrics"]["accuracy"],
                "ebops": u["ebops"],
                "weights": u["weights"],
                "layers": layer_rows(u["layers"], c["layer_lut"]),
                "cost": c,
            }
        )
        write(results)
    spec = ModelSpec.from_dict(load_metadata(args.init_from)["spec"])
    spec = ModelSpec.from_dict({**spec.to_dict(), "quantized": True})
    settings = TrainSettings(
        epochs=args.epochs, patience=args.patience, batch_size=512, learning_rate=5e-4, min_learning_rate=args.min_lr, seed=0
    )
    for beta in args.betas:
        name = f"salt_n{spec.n_particles}_h{beta:g}"
        if args.search_widths is not None:
            name += f"_w{args.search_widths:g}"
        if args.init_from.resolve() != FLOAT_TWIN.resolve():
            name += f"_{args.init_from.name}"
        if args.tag:
            name += f"_{args.tag}"
        out = HERE / "models" / name
        if any(r["model"] == f"models/{name}" for r in results["runs"]):
            sys.exit(f"{name} is a stored row already; pick another --tag")
        if out.exists():
            shutil.rmtree(out)
        hs = HeteroSettings(beta=beta, ramp_epochs=args.ramp)
        ws = None if args.search_widths is None else WidthSearchSettings(tolerance=args.search_widths / 100.0)
        meta = train(JETS, spec, out, settings, init_from=args.init_from, hetero=hs, width_search=ws, verbose=2)
        results["runs"].append(trained_row(out, meta, args.work))
        write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
