"""Accuracy with the firmware input stage (Level-1 words -> features) against software preprocessing.

    salt-hls write-words --jets ../shared/data/jets_pythia8_train.h5 --out out/words/jets_pythia8_train_words.h5
    python benchmarks/input_stage/run.py --words out/words/jets_pythia8_train_words.h5

On the test split of the model's training data (salt_hls.data.preprocess.split_indices with the
split in the model's metadata), every variant is scored through the model's firmware (the
bit-exact reference, equal to the QKeras model bit for bit):

- software: the usual preprocessing (float features, k_T sort, normalization, input quantizer);
- stage M=N: the stage's bit-exact model on the first N words, its native output converted to
  physics units, then the same normalization and input quantizer;
- stage M=2N: the first 2N words in a shuffled order (fixed seed), so the pT selection network works;
- stage M=N, folded: the normalization folded into the first layer (salt_hls.l1input.fold, weights
  on 2^-F, no input quantizer); the network takes the stage's native integers.

Writes results.json and results.md beside this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def folded_reference(ref, folded):
    """The firmware reference with the first layer folded: the input and its quantizer become the
    identity (the stage's integers go straight in), the embedding computes W'^T u + b'."""
    from qkeras import QActivation, QDense

    names = [name for name, _, _ in ref.steps]
    quant, dense = (ref.fw.get_layer(n) for n in names[1:3])
    if not (isinstance(quant, QActivation) and isinstance(dense, QDense) and ref.steps[2][1] == [names[1]]):
        raise SystemExit(f"expected input -> input quantizer -> embedding Dense at the start of the firmware, got {names[:3]}")
    from salt_hls.l1input.fold import first_layer

    ref.steps[0] = (names[0], [], lambda x: x)
    ref.steps[1] = (names[1], [names[0]], lambda x: x)
    ref.steps[2] = (names[2], [names[1]], lambda u: first_layer(u, folded))
    return ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", required=True, help="words file of the whole jets file (salt-hls write-words)")
    ap.add_argument("--jets", default=str(ROOT.parent / "shared" / "data" / "jets_pythia8_train.h5"))
    ap.add_argument("--model", default=str(ROOT / "keras_models" / "salt_n32"))
    ap.add_argument("--seed", type=int, default=0, help="seed of the shuffled word order for M = 2N")
    args = ap.parse_args()

    from salt_hls.data.jets import JetSet, load_jets
    from salt_hls.data.preprocess import Normalization, select_and_sort, split_indices
    from salt_hls.l1input.stage import StageConfig, run, to_physics
    from salt_hls.l1input.words import PT_LSB_GEV
    from salt_hls.l1input.writer import load_words
    from salt_hls.model.io import load_metadata

    meta = load_metadata(args.model)
    n = meta["spec"]["n_particles"]
    split = meta["data"]["split"]
    cand, jet_words, labels = load_words(args.words)
    n_file = split["n_train"] + split["n_val"] + split["n_test"]
    if len(cand) != n_file:
        raise SystemExit(
            f"{args.words} holds {len(cand)} jets; the model's split needs the whole file ({n_file}); write it without --max-jets"
        )
    test = split_indices(n_file, split["seed"], tuple(split["fractions"]))[2]
    if cand.shape[1] < 2 * n:
        raise SystemExit(f"{args.words} has {cand.shape[1]} words per jet; this benchmark needs 2N = {2 * n}")
    cand, jet_words, labels = cand[test], jet_words[test], labels[test]
    jets = load_jets(args.jets).subset(test)
    if not np.array_equal(jets.labels, labels):
        raise SystemExit(f"{args.words} does not belong to {args.jets} (labels differ); rewrite it")
    norm = Normalization.from_dict(meta["normalization"])

    from salt_hls.emulate.reference import Reference
    from salt_hls.estimate.input_stage import stage_cost
    from salt_hls.evaluate import model_inputs, softmax
    from salt_hls.l1input.fold import fold, weight_frac
    from salt_hls.metrics import classifier_metrics
    from salt_hls.model.io import load_model
    from salt_hls.model.quantize import Fixed

    model, _ = load_model(args.model)
    ref = Reference(model)
    rows, timing = {}, {}

    def score(name, x, reference=ref, extra=None):
        t0 = time.perf_counter()
        logits = reference.run(x)
        timing[name] = round(time.perf_counter() - t0, 2)
        m = classifier_metrics(labels, softmax(logits))
        rows[name] = {"accuracy": m["accuracy"], "auc": m["auc"], "logits": logits, **(extra or {})}

    x_sw = model_inputs(meta, jets)
    score("software", x_sw)

    cfg = StageConfig(n, n)
    t0 = time.perf_counter()
    u, valid = run(cand[:, :n], jet_words, cfg)
    stage_seconds = time.perf_counter() - t0
    x_stage = norm.apply(to_physics(u).astype(np.float32), valid)
    same_as_sw = np.all(x_stage == x_sw, axis=(1, 2))
    f_sw, _ = select_and_sort(jets, n, meta.get("sort", "kt"))
    pt_sw = np.round(f_sw[..., 0].astype(np.float64) / PT_LSB_GEV)
    same_order = np.all(u[..., 0] == pt_sw, axis=1)
    same_set = np.all(np.sort(u[..., 0], axis=1) == np.sort(pt_sw, axis=1), axis=1)
    # The software's float sort applied to the stage's own (dequantized) features: differs only where
    # float32 features break exact k_T ties or near-ties differently from the stage's exact integers.
    f_own, _ = select_and_sort(JetSet(to_physics(u).astype(np.float32), valid, labels), n, meta.get("sort", "kt"))
    own = np.all(np.round(f_own[..., 0].astype(np.float64) / PT_LSB_GEV) == u[..., 0], axis=1)
    score(
        "stage M=N",
        x_stage,
        extra={
            "jets_input_identical_to_software": int(same_as_sw.sum()),
            "jets_same_pt_sequence_as_software": int(same_order.sum()),
            "jets_same_particle_set_as_software": int(same_set.sum()),
            "mean_positions_differing_from_software": float(np.mean((u[..., 0] != pt_sw).sum(axis=1))),
            "jets_same_order_as_software_sort_of_stage_features": int(own.sum()),
        },
    )

    r = np.random.default_rng(args.seed)
    perm = np.argsort(r.random((len(cand), 2 * n)), axis=1)
    u2, valid2 = run(np.take_along_axis(cand[:, : 2 * n], perm, axis=1), jet_words, StageConfig(n, 2 * n))
    x_stage2 = norm.apply(to_physics(u2).astype(np.float32), valid2)
    differ = ~np.all(u2 == u, axis=(1, 2))
    same_pts = np.all(np.sort(u2[..., 0], axis=1) == np.sort(u[..., 0], axis=1), axis=1)
    u3, _ = run(cand[:, : 2 * n], jet_words, StageConfig(n, 2 * n))
    score(
        "stage M=2N (shuffled)",
        x_stage2,
        extra={
            "jets_features_identical_to_M=N": int((~differ).sum()),
            "jets_differing_only_among_equal_pt": int((differ & same_pts).sum()),
            "jets_identical_to_M=N_unshuffled": int(np.all(u3 == u, axis=(1, 2)).sum()),
        },
    )

    dense = ref.fw.get_layer(ref.steps[2][0])
    w_fmt = Fixed.parse(meta["quantization"]["embed.weight"])
    kernel_frac = w_fmt.bits - w_fmt.integer - int(w_fmt.signed)  # 8,1: 6 fractional bits
    frac = weight_frac(norm, kernel_frac)
    folded = fold(dense.kernel.numpy(), dense.bias.numpy(), norm, frac)
    u_f, _ = run(cand[:, :n], jet_words, StageConfig(n, n, pad=folded.pad))
    score("stage M=N, folded first layer", u_f.astype(np.float64), reference=folded_reference(Reference(model), folded))

    base = rows["software"]["logits"]
    out_rows = []
    for name, row in rows.items():
        logits = row.pop("logits")
        row["argmax_agreement_with_software"] = float(np.mean(logits.argmax(1) == base.argmax(1)))
        row["logits_identical_to_software"] = float(np.mean(np.all(logits == base, axis=1)))
        out_rows.append({"input": name, **row})
    result = {
        "command": "python benchmarks/input_stage/run.py --words out/words/jets_pythia8_train_words.h5",
        "model": str(Path(args.model).relative_to(ROOT)) if Path(args.model).is_relative_to(ROOT) else args.model,
        "test_jets": len(test),
        "n_particles": n,
        "folded_first_layer": {
            "weight_frac": frac,
            "pad": list(folded.pad),
            "max_abs_weight": float(np.abs(folded.kernel).max()),
        },
        "words": json.loads(_summary(args.words)),
        "stage_model_seconds_M=N": round(stage_seconds, 2),
        "cost": [{k: v for k, v in stage_cost(StageConfig(n, m)).items() if k != "parts"} for m in (n, 2 * n)],
        "reference_seconds": timing,
        "platform": platform.platform(),
        "rows": out_rows,
    }
    (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    _write_md(result)
    print((HERE / "results.md").read_text())


def _summary(path) -> str:
    import h5py

    with h5py.File(path, "r") as fh:
        return fh.attrs["summary"]


def _write_md(r: dict) -> None:
    w = r["words"]
    lines = [
        "# Input stage: Level-1 words through the firmware input stage vs software preprocessing",
        "",
        f"Model `{r['model']}` (N = {r['n_particles']}), {r['test_jets']:,} test jets of the shared Pythia file, "
        "every row through the firmware's bit-exact reference (= the QKeras model bit for bit).",
        "",
        "```",
        "salt-hls write-words --jets ../shared/data/jets_pythia8_train.h5 --out out/words/jets_pythia8_train_words.h5",
        r["command"],
        "```",
        "",
        "| input | accuracy | macro AUC | argmax = software | logits = software |",
        "|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        lines.append(
            f"| {row['input']} | {100 * row['accuracy']:.2f} % | {row['auc']:.4f} | "
            f"{100 * row['argmax_agreement_with_software']:.2f} % | {100 * row['logits_identical_to_software']:.2f} % |"
        )
    c = w["candidate_quantization"]
    s1, s2 = r["rows"][1], r["rows"][2]
    nj, n_particles = r["test_jets"], r["n_particles"]
    f = r["folded_first_layer"]
    lines += [
        "",
        f"Words (whole file, {w['jets']:,} jets x {w['candidates_per_jet']}): pT saturated {c['pt_saturated']}, "
        f"eta saturated {c['eta_saturated']}, real particles whose pT rounds to 0 (sent as empty words) {c['pt_rounded_to_zero']:,} "
        f"of {w['real_particles']:,}; stage deltas saturated at +-512 x pi/720: {w['stage_delta_saturated']}.",
        f"Stage M=N: the same {n_particles} particles as the software in {s1['jets_same_particle_set_as_software']:,} of {nj:,} jets, "
        f"in the same order in {s1['jets_same_pt_sequence_as_software']:,} "
        f"(on average {s1['mean_positions_differing_from_software']:.1f} of {n_particles} positions differ); the network input is "
        f"bit-identical in {s1['jets_input_identical_to_software']:,}. The cause is the words' angular step, pi/720 = 0.0044 rad: "
        "the constituents of these 1 TeV jets lie mostly within dR of a few hundredths, so rounding eta and phi (of the jet and "
        "of each particle separately) reorders close k_T values. The software's own float sort of the stage's features gives "
        f"the stage's order in {s1['jets_same_order_as_software_sort_of_stage_features']:,} jets (the rest: float32 features "
        "breaking exact integer k_T ties or near-ties differently).",
        f"Stage M=2N: with the first 2N words unshuffled, the output equals M=N's in {s2['jets_identical_to_M=N_unshuffled']:,} "
        f"of {nj:,} jets; shuffled, in {s2['jets_features_identical_to_M=N']:,}, and every other jet "
        f"({s2['jets_differing_only_among_equal_pt']:,}) differs only in which of equal-pT particles is kept or first: ties go "
        "to the earlier word, as in the software's stable sort.",
        f"Folded first layer: weights on 2^-{f['weight_frac']}, padding value (pt, deta, dphi) = {tuple(f['pad'])} "
        "native units (the normalization centre), where the folded layer gives exactly the trained bias.",
        "",
        "Cost of the stage (`salt_hls.estimate.input_stage.stage_cost`, the estimator's rules; not compared with a vendor run):",
        "",
        "| M | N | LUT | DSP | combinational delay |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {c['n_in']} | {c['n_out']} | {c['luts']:,} | {c['dsp']} | {c['delay_ns']} ns |" for c in r["cost"]]
    lines.append("")
    (HERE / "results.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
