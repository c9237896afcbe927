"""The shipped models: present, loadable, and within the accuracy promise of issue 2 (each quantized
model within 1.0 accuracy point of its float twin on the same held-out split)."""

import json
from pathlib import Path

import pytest

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
