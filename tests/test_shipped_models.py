"""The shipped models: present, loadable, and within the accuracy promise of issue 2 (each quantized
model within 1.0 accuracy point of its float twin on the same held-out split)."""

import json
import re
from pathlib import Path

import pytest

from salt_hls.settings import ConvertSettings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n", [16, 32, 64])
def test_shipped_model_metadata(n):
    meta = json.loads((ROOT / "keras_models" / f"salt_n{n}" / "metadata.json").read_text())
    assert meta["spec"]["n_particles"] == n
    assert meta["spec"]["n_partitions"] == 4 and meta["spec"]["quantized"]
    assert meta["features"] == ["pt", "deta", "dphi"]
    assert meta["sort"] == "kt"
    assert meta["data"]["file"] == "jets_pythia8_train.h5"
    q, f = meta["test_metrics"]["accuracy"], meta["float_twin"]["test_metrics"]["accuracy"]
    assert abs(q - f) < 0.010, f"quantized {q:.4f} vs float twin {f:.4f}"
    assert (ROOT / meta["float_twin"]["path"] / "model.h5").is_file()
    # the normalization the firmware assumes is frozen in the metadata
    assert meta["normalization"]["features"] == meta["features"] and len(meta["normalization"]["scale"]) == 3


# Issue 9: a shipped model that fits the default Level-1 budget, within 1.5 accuracy points of the
# unconstrained model at the same N (benchmarks/fit/ship.py wrote it only after the flow passed).
L1T = {16: "salt_n16_l1t", 32: "salt_n32_l1t"}


def _shipped(name: str) -> dict:
    """The metadata of a model benchmarks/fit/ship.py wrote, after checking what every ship records: bit-exact on
    5,000 held-out jets, and the very model it measured."""
    meta = json.loads((ROOT / "keras_models" / name / "metadata.json").read_text())
    shipped = meta["shipped"]
    assert shipped["bit_exact"] == {"n_jets": 5000, "n_bit_exact": 5000, "split": "test"}
    assert (ROOT / shipped["source"] / "model.h5").read_bytes() == (ROOT / "keras_models" / name / "model.h5").read_bytes()
    return meta


@pytest.mark.parametrize("n", sorted(L1T))
def test_shipped_l1t_model_fits_and_is_bit_exact(n):
    meta = _shipped(L1T[n])
    unconstrained = json.loads((ROOT / "keras_models" / f"salt_n{n}" / "metadata.json").read_text())
    shipped = meta["shipped"]
    assert meta["spec"]["n_particles"] == n and meta["spec"]["quantized"]
    assert shipped["fits"] and shipped["budget"] == "synth_reports/budgets/l1t-default.yaml"
    assert shipped["estimate"]["ii_cycles"] == 1 and shipped["estimate"]["latency_ns"] <= 100
    gap = unconstrained["test_metrics"]["accuracy"] - meta["test_metrics"]["accuracy"]
    assert gap <= 0.015, f"{L1T[n]} is {100 * gap:.2f} points below salt_n{n}"


def test_shipped_l2_model_fits_the_layer2_budget_and_is_bit_exact():
    """salt_n32_l2: the N = 32 model that fits cms-phase2-l2 (360 MHz, one jet per <= 9.4 ns, <= 100 ns)."""
    meta = _shipped("salt_n32_l2")
    shipped = meta["shipped"]
    assert meta["spec"]["n_particles"] == 32 and shipped["fits"]
    assert shipped["budget"] == "synth_reports/budgets/cms-phase2-l2.yaml"
    assert shipped["conversion"]["clock_ns"] == 2.78 and shipped["conversion"]["products"] == "dsp"
    assert shipped["estimate"]["ii_cycles"] * 2.78 <= 9.4 and shipped["estimate"]["latency_ns"] <= 100


def test_make_demo_converts_the_default_model_as_it_was_shipped():
    makefile = (ROOT / "Makefile").read_text()
    model = re.search(r"^MODEL \?= keras_models/(\S+)$", makefile, re.M).group(1)
    convert = re.search(r"^CONVERT \?= (.+)$", makefile, re.M).group(1).split()
    conversion = json.loads((ROOT / "keras_models" / model / "metadata.json").read_text())["shipped"]["conversion"]
    flags = dict(zip(convert[::2], convert[1::2], strict=True))
    assert model == L1T[32]
    assert flags == {
        "--backend": conversion["backend"],
        "--dense-strategy": conversion["dense_strategy"],
        "--products": conversion["products"],
    }
    assert conversion["clock_ns"] == 5.0 and conversion["reuse"] == 1 and conversion["parallelization"] is None
    assert conversion["da_hard_dc"] == ConvertSettings().da_hard_dc  # the default the Makefile relies on
    candidates = int(re.search(r"^CANDIDATES \?= (\d+)", makefile, re.M).group(1))
    assert candidates == 2 * 32  # PUPPI words per jet into the demo's IP: 2N
