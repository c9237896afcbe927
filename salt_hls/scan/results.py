"""The scan's results, from DIR/scan.json and the trial directories alone (no recomputation): one table
(CSV + markdown) of every trial, the budget check of each trial's estimate against every budget, the
Pareto front (accuracy vs LUT) per budget, plots, and export of the most accurate fitting model."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from salt_hls.budget.check import evaluate, parse_budget
from salt_hls.devices import lookup_part
from salt_hls.errors import ConfigError, DataError
from salt_hls.scan.runner import SCAN_JSON
from salt_hls.scan.trial import ESTIMATE, read_result, trial_dir
from salt_hls.vendor.report import load_report

RESOURCES = ("LUT", "FF", "DSP", "BRAM18")
TABLE_CSV, TABLE_MD = "results.csv", "results.md"


def load_scan_record(out) -> dict:
    path = Path(out) / SCAN_JSON
    if not path.is_file():
        raise DataError(
            f"{out} has no {SCAN_JSON}: it is not a scan output directory (run `salt-hls scan SCAN.yaml --out {out}`)"
        )
    return json.loads(path.read_text())


def _check(out: Path, key: str, budgets: dict) -> dict:
    """budget name -> {fits, over: [figures over their limit]} for a trial's stored estimate."""
    report = load_report(trial_dir(out, key) / ESTIMATE)
    checks = {}
    for name, b in budgets.items():
        result = evaluate(report, parse_budget(b["data"], source=b["path"]))
        checks[name] = {"fits": result.fits, "over": [r.figure for r in result.rows if not r.ok]}
    return checks


def collect(out) -> tuple[dict, list[dict]]:
    """(the scan record, one row per trial in the scan's order). A trial without a result has status
    "not run" (the scan was interrupted or its task was lost: a re-run runs it)."""
    out = Path(out)
    scan = load_scan_record(out)
    rows = []
    for t in scan["trials"]:
        rec = read_result(out, t["key"])
        row = {"key": t["key"], **{f"axis:{k}": v for k, v in t["axes"].items()}}
        if rec is None:
            rows.append({**row, "status": "not run"})
            continue
        row["status"] = rec["status"]
        if rec["status"] != "ok":
            row["error"] = f"{rec.get('failed_step')}: {rec.get('error')}"
        if "train" in rec:
            m = rec["train"]["test_metrics"]
            row.update(accuracy=m["accuracy"], auc=m["auc"], epochs=rec["train"]["epochs_run"], train_s=rec["train"]["seconds"])
        if "csim" in rec:
            row["bit_exact"] = f"{rec['csim']['n_bit_exact']}/{rec['csim']['n_jets']}"
        if "estimate" in rec:
            e = rec["estimate"]
            row.update({r: e["resources"].get(r) for r in RESOURCES})
            row.update(latency_ns=e["latency_ns"], latency_cycles=e["latency_cycles"], ii=e["ii_cycles"])
            for name, c in _check(out, t["key"], scan["budgets"]).items():
                row[f"fits:{name}"] = c["fits"]
                row[f"over:{name}"] = ", ".join(c["over"])
        row["trial_s"] = rec["seconds"].get("total")
        if rec["steps"].get("open_synthesis") or rec["steps"].get("vendor_synthesis"):
            row["synthesis"] = "not run (see the notes)"
        rows.append(row)
    return scan, rows


def pareto(rows: list[dict], budget: str) -> list[dict]:
    """Trials no other trial beats on both accuracy (higher) and LUTs (fewer), most accurate first.
    The budget picks nothing here but the part the LUT percentage refers to; fitting points are marked."""
    done = sorted((r for r in rows if r["status"] == "ok" and "LUT" in r), key=lambda r: (r["LUT"], -r["accuracy"]))
    front, best = [], -1.0
    for r in done:
        if r["accuracy"] > best:
            front.append(r)
            best = r["accuracy"]
    return front[::-1]


def _columns(scan: dict, rows: list[dict]) -> list[str]:
    axes = [f"axis:{a}" for a in scan["axes"]]
    budgets = [c for name in scan["budgets"] for c in (f"fits:{name}", f"over:{name}")]
    cols = [
        "key",
        *axes,
        "status",
        "accuracy",
        "auc",
        *RESOURCES,
        "latency_ns",
        "latency_cycles",
        "ii",
        "bit_exact",
        *budgets,
        "epochs",
        "train_s",
        "trial_s",
        "synthesis",
        "error",
    ]
    present = {k for r in rows for k in r}
    return [c for c in cols if c in present or c in ("key", "status")]


def _fmt(col: str, v) -> str:
    if v is None or v == "":
        return "-"
    if col in ("accuracy",):
        return f"{100 * v:.2f} %"
    if col == "auc":
        return f"{v:.4f}"
    if col in RESOURCES:
        return f"{v:,}"
    if col.startswith("fits:"):
        return "yes" if v else "no"
    return str(v).replace("|", "/")


def write_tables(out, scan: dict, rows: list[dict]) -> list[Path]:
    out = Path(out)
    cols = _columns(scan, rows)
    with open(out / TABLE_CSV, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    heads = [c.split(":", 1)[1] if c.startswith("axis:") else c.replace("fits:", "fits ").replace("over:", "over ") for c in cols]
    lines = [
        f"# Scan {scan['name']}",
        "",
        f"{len(rows)} trials ({sum(r['status'] == 'ok' for r in rows)} ok, {sum(r['status'] == 'failed' for r in rows)} failed, "
        f"{sum(r['status'] == 'not run' for r in rows)} not run) from `{scan['scan_file']}`; jets `{Path(scan['jets']).name}` "
        f"({', '.join(f'{k} {v}' for k, v in scan['jets_identity'].items() if k != 'file')}); salt-hls {scan['salt_hls_version']}. "
        "Accuracy and AUC on the held-out test split of the training jets; resources and latency from `salt-hls estimate` "
        "(a model, not a vendor result); bit_exact: C-simulation outputs equal to the bit-exact reference. "
        "`salt-hls scan --report DIR` regenerates this file.",
        "",
        *[f"Note: {w}" for w in scan.get("warnings", [])],
        *([""] if scan.get("warnings") else []),
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(_fmt(c, r.get(c)) for c in cols) + " |" for r in rows]
    for name, b in scan["budgets"].items():
        front = pareto(rows, name)
        lines += [
            "",
            f"## Pareto front, accuracy vs LUT: budget {name}",
            "",
            f"Budget file `{Path(b['path']).name}`. Trials that no other beats on both accuracy and LUTs, most accurate first.",
            "",
            "| key | accuracy | LUT | latency ns | fits |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['key']} | {_fmt('accuracy', r['accuracy'])} | {_fmt('LUT', r['LUT'])} | {r['latency_ns']} | "
            f"{'yes' if r.get(f'fits:{name}') else 'no: ' + r.get(f'over:{name}', '')} |"
            for r in front
        ]
        fitting = [r for r in rows if r.get(f"fits:{name}")]
        lines += [
            "",
            f"{len(fitting)} trial(s) fit {name}"
            + (f"; the most accurate is {best_trial(rows, name)['key']}." if fitting else "."),
        ]
    (out / TABLE_MD).write_text("\n".join(lines) + "\n")
    return [out / TABLE_CSV, out / TABLE_MD]


def plot(out, scan: dict, rows: list[dict]) -> list[Path]:
    """One PNG per budget: accuracy vs LUT and vs latency, fitting trials marked, the Pareto front drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if r["status"] == "ok" and "LUT" in r]
    paths = []
    for name in scan["budgets"]:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for ax, xcol, xlabel in ((axes[0], "LUT", "LUT (estimate)"), (axes[1], "latency_ns", "latency [ns] (estimate)")):
            for fits, style in (
                (False, {"marker": "o", "color": "tab:gray", "label": "does not fit"}),
                (True, {"marker": "*", "s": 140, "color": "tab:green", "label": f"fits {name}"}),
            ):
                pts = [r for r in done if bool(r.get(f"fits:{name}")) == fits]
                if pts:
                    ax.scatter([r[xcol] for r in pts], [100 * r["accuracy"] for r in pts], **style)
            ax.set_xlabel(xlabel)
            ax.grid(alpha=0.3)
        front = pareto(rows, name)
        if front:
            axes[0].plot(
                [r["LUT"] for r in front], [100 * r["accuracy"] for r in front], "-", color="tab:blue", lw=1, label="Pareto front"
            )
        budget = parse_budget(scan["budgets"][name]["data"], source=scan["budgets"][name]["path"])
        lut_pct = budget.resource_max_pct.get("LUT")
        if lut_pct is not None:
            lut_max = lookup_part(budget.part).totals()["LUT"] * lut_pct / 100
            axes[0].axvline(lut_max, color="tab:red", ls="--", lw=1, label=f"budget LUT ({lut_pct:g} %)")
        axes[1].axvline(budget.latency_max_ns, color="tab:red", ls="--", lw=1, label="budget latency")
        axes[0].set_ylabel("test accuracy [%]")
        axes[0].legend(fontsize=8)
        axes[1].legend(fontsize=8)
        fig.suptitle(f"scan {scan['name']}: {len(done)} trials, budget {name}")
        fig.tight_layout()
        path = Path(out) / f"accuracy_vs_resources_{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def report(out) -> tuple[dict, list[dict], list[Path]]:
    scan, rows = collect(out)
    return scan, rows, write_tables(out, scan, rows) + plot(out, scan, rows)


def _bit_exact(row: dict) -> bool:
    """True unless the trial's C simulation ran and differed from the reference."""
    if "bit_exact" not in row:
        return True
    n_exact, n = row["bit_exact"].split("/")
    return n_exact == n


def best_trial(rows: list[dict], budget: str) -> dict | None:
    """The most accurate trial that fits `budget` and whose firmware is bit-exact (when it was checked)."""
    fitting = [r for r in rows if r.get(f"fits:{budget}") and _bit_exact(r)]
    return max(fitting, key=lambda r: r["accuracy"]) if fitting else None


def export_best(out, budget: str, dest, force: bool = False) -> dict:
    """Copy the most accurate trial that fits `budget` to `dest` (a model directory, e.g. keras_models/NAME),
    its metadata extended with the scan's record of it (settings, estimate, budget check)."""
    scan, rows = collect(out)
    if budget not in scan["budgets"]:
        raise ConfigError(f"budget {budget!r} is not one of the scan's: {', '.join(scan['budgets'])}")
    best = best_trial(rows, budget)
    if best is None:
        raise DataError(f"no trial of {out} fits budget {budget!r}: nothing to export (see {Path(out) / TABLE_MD})")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        if not force:
            raise DataError(f"{dest} exists and is not empty; choose another --name or pass --force to replace it")
        shutil.rmtree(dest)
    src = trial_dir(out, best["key"])
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "model" / "model.h5", dest / "model.h5")
    meta = json.loads((src / "model" / "metadata.json").read_text())
    rec = read_result(out, best["key"])
    meta["scan"] = {
        "name": scan["name"],
        "trial": best["key"],
        "axes": rec["axes"],
        "settings": rec["settings"],
        "estimate": rec["estimate"],
        "budget": {"name": budget, "file": Path(scan["budgets"][budget]["path"]).name, "fits": True},
        "csim": rec.get("csim"),
    }
    (dest / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return best
