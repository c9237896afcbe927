"""What activation widths per particle slot would buy (issue 9's "widths per particle slot"), as a what-if.

    nice -n 10 python benchmarks/fit/hetero/slots.py MODEL... [--calibration-jets 20000]

The input is k_T-sorted, so late slots may carry narrower values. For each per-particle constant-weight layer of
MODEL's firmware (the dense layers applied to every particle: embedding, Q, FFN), its input is taken from the
bit-exact reference (salt_hls.emulate) over the training split's jets; per slot and channel, the integer bits that
hold every value seen (the site's fractional bits kept; a channel that is zero in every jet of a slot is dropped for
that slot; one that is never negative loses its sign bit). da4ml costs the layer per slot with those formats and,
as `salt-hls estimate` does, N times with the site's one format. The held-out test split then counts what such a
calibration would clip: the fraction of test jets with a value outside its slot's range.

With --drop-frac J... --from-slot S, the same sites also lose J fractional bits in slots S..N-1 (rounded half to
even, as a site rounds): the firmware's test-split accuracy is measured in the bit-exact reference with those formats
(no retraining: what a trained per-slot quantizer would start from) and the layers are costed again. The firmware
builds one format per site; nothing here changes it. Writes slots.json and slots.md beside this script (rows are
replaced by model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
JETS = ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"


def slot_kif(values: np.ndarray, kif: tuple[int, int, int]) -> np.ndarray:
    """(N, C, 3) formats holding every value of `values` (jets, N, C) on the site's grid (kif: the site's)."""
    k, i, f = kif
    lo, hi = values.min(axis=0), values.max(axis=0)
    neg = (lo < 0).astype(np.int64) * k
    # integer bits (without sign) so that -2^i <= lo and hi <= 2^i - 2^-f; never more than the site's
    with np.errstate(divide="ignore"):
        need_hi = np.ceil(np.log2(np.maximum(hi, 0) + 2.0**-f))
        need_lo = np.where(lo < 0, np.ceil(np.log2(np.maximum(-lo, 2.0**-f))), -f)
    ints = np.minimum(np.maximum(need_hi, need_lo), i).astype(np.int64)
    return np.stack([neg, ints, np.full_like(ints, f)], axis=-1)  # zero in every jet: (0, -f, f), no bits


def fewer_fractional(kif: np.ndarray, drop: int, first_slot: int) -> np.ndarray:
    """kif (N, C, 3) with `drop` fewer fractional bits from `first_slot` on; a channel whose every value then rounds
    to zero keeps no bits."""
    out = kif.copy()
    out[first_slot:, :, 2] -= drop
    f, empty = out[..., 2], out.sum(axis=-1) <= 0
    out[empty] = np.stack([np.zeros_like(f), -f, f], axis=-1)[empty]
    return out


def clipped(values: np.ndarray, kif: np.ndarray) -> float:
    """Fraction of jets (values: jets, N, C) with a value outside its slot's format."""
    k, i = kif[..., 0], kif[..., 1]
    top = 2.0**i - 2.0 ** -kif[..., 2]
    bottom = np.where(k > 0, -(2.0**i), 0.0)
    out = (values > top) | (values < bottom)
    return float(out.reshape(len(values), -1).any(axis=1).mean())


def narrowed(fn, site, drop: int, first_slot: int):
    """The step `fn` of the reference with its output rounded to `drop` fewer fractional bits from `first_slot` on."""
    from salt_hls.fixed import FixedType

    coarse = FixedType.site(site.width - drop, site.integer, site.signed)

    def step(*args):
        y = np.array(fn(*args), copy=True)
        y[:, first_slot:] = coarse.cast(y[:, first_slot:])
        return y

    return step


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def measure(model_dir: Path, calibration_jets: int, drops: list[int], first_slot: int | None) -> dict:
    from salt_hls.data.jets import load_jets
    from salt_hls.data.preprocess import split_indices
    from salt_hls.emulate.reference import Reference
    from salt_hls.estimate.cost import cmvm, cmvm_kif
    from salt_hls.evaluate import model_inputs
    from salt_hls.model.io import load_model

    model, meta = load_model(model_dir)
    ref = Reference(model)
    jets = load_jets(JETS)
    split = meta["data"]["split"]
    train_idx, _, test_idx = split_indices(len(jets), split["seed"], tuple(split["fractions"]))
    _, cal = ref.run(model_inputs(meta, jets.subset(train_idx[:calibration_jets])), keep=True)
    test_jets = jets.subset(test_idx)
    x_test = model_inputs(meta, test_jets)
    logits, test = ref.run(x_test, keep=True)
    n = meta["spec"]["n_particles"]
    layers, kifs = [], {}
    for name, p in ref.plan.items():
        if p.operation != "dense" or len(p.shape) != 2 or p.shape[0] != n:
            continue
        source = p.inputs[0]
        site = ref.plan[source].result
        w, b = p.arrays["weight"], p.arrays.get("bias")
        one = cmvm(w, site, b).luts
        kif = slot_kif(cal[source], site.kif)
        kifs[name] = (source, site, kif, w, b)
        per_slot = [cmvm_kif(w, kif[s], b).luts for s in range(n)]
        layers.append(
            {
                "layer": name,
                "input": str(site),
                "site_luts": round(one * n),
                "slot_luts": round(sum(per_slot)),
                "slot_width_mean": [round(float((kif[s, :, 0] + kif[s, :, 1] + kif[s, :, 2]).mean()), 2) for s in range(n)],
                "test_jets_clipped": round(clipped(test[source], kif), 5),
            }
        )
        print(f"{model_dir.name} {name}: {layers[-1]['site_luts']:,} -> {layers[-1]['slot_luts']:,} LUT", flush=True)
    late = []
    if drops:
        first = n // 2 if first_slot is None else first_slot
        steps = ref.steps
        base = accuracy(logits, test_jets.labels)
        sources = {src: site for src, site, *_ in kifs.values()}
        for drop in drops:
            ref.steps = [(nm, ins, narrowed(fn, sources[nm], drop, first) if nm in sources else fn) for nm, ins, fn in steps]
            acc = accuracy(ref.run(x_test), test_jets.labels)
            ref.steps = steps
            luts = 0.0
            for _, _, kif, w, b in kifs.values():
                k = fewer_fractional(kif, drop, first)
                luts += sum(cmvm_kif(w, k[s], b).luts for s in range(n))
            late.append({"from_slot": first, "drop": drop, "accuracy": round(acc, 5), "slot_luts": round(luts)})
            print(
                f"{model_dir.name} slots {first}..{n - 1} -{drop} fractional bits: {acc:.4f} (was {base:.4f}), {luts:,.0f} LUT",
                flush=True,
            )
        late.insert(
            0, {"from_slot": first, "drop": 0, "accuracy": round(base, 5), "slot_luts": sum(x["slot_luts"] for x in layers)}
        )
    return {
        "model": str(model_dir.resolve().relative_to(ROOT)),
        "n_particles": n,
        "accuracy": meta["test_metrics"]["accuracy"],
        "late_slots": late,
        "calibration_jets": min(calibration_jets, len(train_idx)),
        "test_jets": len(test_idx),
        "layers": layers,
    }


def write(results: dict) -> None:
    made_by = record.save(results, HERE / "slots.json")
    lines = [
        "# Activation widths per particle slot: a what-if on the per-particle constant multiplications",
        "",
        made_by,
        "Per layer: da4ml's LUTs for N copies at the site's one format (as `salt-hls estimate` costs it) and for one copy",
        "per slot at the narrowest format that holds every value seen in that slot over the calibration jets (training",
        "split); 'clipped': held-out test jets with at least one value outside its slot's format (what such a",
        "calibration would saturate). Mean input width (bits) per slot for the first, middle and last slot.",
        "",
        "| model | layer | input | LUT, one format | LUT, per slot | saving | width: slot 0 / N/2 / N-1 | test jets clipped |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        for row in r["layers"]:
            widths = row["slot_width_mean"]
            saving = 1 - row["slot_luts"] / row["site_luts"] if row["site_luts"] else 0.0
            lines.append(
                f"| {r['model']} | {row['layer']} | {row['input']} | {row['site_luts']:,} | {row['slot_luts']:,} | "
                f"{100 * saving:.0f} % | {widths[0]} / {widths[len(widths) // 2]} / {widths[-1]} | "
                f"{100 * row['test_jets_clipped']:.2f} % |"
            )
        one = sum(x["site_luts"] for x in r["layers"])
        per = sum(x["slot_luts"] for x in r["layers"])
        lines.append(f"| {r['model']} | **all** | | **{one:,}** | **{per:,}** | **{100 * (1 - per / one):.0f} %** | | |")
    late = [(r["model"], x) for r in results["rows"] for x in r.get("late_slots", [])]
    if late:
        lines += [
            "",
            "Fewer fractional bits in the late slots (--drop-frac, --from-slot), on top of the per-slot integer bits: the",
            "firmware's test-split accuracy in the bit-exact reference (no retraining) and the same layers' LUTs.",
            "",
            "| model | slots | fractional bits dropped | accuracy | LUT, per slot |",
            "|---|---|---|---|---|",
        ]
        for model, x in late:
            lines.append(f"| {model} | {x['from_slot']}.. | {x['drop']} | {100 * x['accuracy']:.2f} % | {x['slot_luts']:,} |")
    (HERE / "slots.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--calibration-jets", type=int, default=20000)
    ap.add_argument("--drop-frac", type=int, nargs="*", default=[], help="fractional bits to drop in the late slots")
    ap.add_argument("--from-slot", type=int, default=None, help="first late slot (default N/2)")
    args = ap.parse_args(argv)
    if any(d < 1 for d in args.drop_frac):
        sys.exit("--drop-frac takes positive numbers of bits")
    for m in args.models:
        if not (m / "model.h5").is_file():
            sys.exit(f"missing {m / 'model.h5'}")
    if not JETS.is_file():
        sys.exit(f"missing {JETS}: the jets of ../shared/data")
    results = record.open_results(
        HERE / "slots.json", "nice -n 10 python benchmarks/fit/hetero/slots.py " + " ".join(argv or sys.argv[1:])
    )
    for m in args.models:
        row = measure(m, args.calibration_jets, args.drop_frac, args.from_slot)
        old = record.row_of(results, row["model"])
        if old:  # keep what other --from-slot / --drop-frac runs measured
            seen = {(x["from_slot"], x["drop"]) for x in row["late_slots"]}
            kept = [x for x in old.get("late_slots", []) if (x["from_slot"], x["drop"]) not in seen]
            row["late_slots"] = sorted(kept + row["late_slots"], key=lambda x: (-x["from_slot"], x["drop"]))
        record.replace_row(results, row)
        write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
