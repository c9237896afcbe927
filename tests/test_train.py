"""Training, saving, loading and evaluating, through the API and the CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from salt_hls.cli import main
from salt_hls.data.jets import load_jets
from salt_hls.evaluate import evaluate, model_inputs
from salt_hls.model.builders import ModelSpec
from salt_hls.model.io import load_model
from salt_hls.train import TrainSettings, train

FAST = TrainSettings(epochs=2, patience=1, batch_size=64)


@pytest.fixture(scope="module")
def trained(tiny_jets, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "salt_n8"
    meta = train(tiny_jets, ModelSpec(n_particles=8), out, FAST, verbose=0)
    return out, meta


@pytest.mark.slow
def test_training_smoke_writes_model_and_metadata(trained):
    out, meta = trained
    assert (out / "model.h5").is_file() and (out / "metadata.json").is_file()
    assert json.loads((out / "metadata.json").read_text()) == meta
    assert meta["spec"]["n_particles"] == 8 and meta["spec"]["quantized"] is True
    assert meta["data"]["split"]["n_test"] == 60 and len(meta["data"]["sha256"]) == 64
    assert meta["training"]["epochs_run"] in (1, 2)
    assert set(meta["test_metrics"]["rejection_at_80"]) == {"g", "q", "W", "Z", "t"}
    assert meta["quantization"]["softmax.result"] == "u10,1"
    assert 0.0 <= meta["input_saturation_fraction"] < 0.01


@pytest.mark.slow
def test_save_load_gives_identical_predictions(trained, tiny_jets):
    out, meta = trained
    model, meta2 = load_model(out)
    assert meta2 == meta
    x = model_inputs(meta, load_jets(tiny_jets))
    from salt_hls.model.builders import build_model

    rebuilt = build_model(ModelSpec.from_dict(meta["spec"]))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x, verbose=0), rebuilt.predict(x, verbose=0))
    again, _ = load_model(out)
    np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))
    assert evaluate(out, tiny_jets, test_split=True)["n_jets"] == 60


@pytest.mark.slow
def test_training_is_reproducible(tiny_jets, tmp_path, trained):
    meta = train(tiny_jets, ModelSpec(n_particles=8), tmp_path / "again", FAST, verbose=0)
    a, _ = load_model(trained[0])
    b, _ = load_model(tmp_path / "again")
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    assert meta["test_metrics"] == trained[1]["test_metrics"]


@pytest.mark.slow
def test_cli_evaluate_json(trained, tiny_jets):
    res = CliRunner().invoke(main, ["evaluate", str(trained[0]), "--jets", str(tiny_jets), "--json"])
    assert res.exit_code == 0, res.output
    m = json.loads(res.output.strip().splitlines()[-1])
    assert m["n_jets"] == 300 and 0 <= m["accuracy"] <= 1 and 0 <= m["auc"] <= 1


def test_cli_refuses_to_overwrite(tmp_path, tiny_jets):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    res = CliRunner().invoke(main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "is not empty; choose another or pass --force" in res.output
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_cli_errors(tmp_path, tiny_jets):
    r = CliRunner()
    res = r.invoke(main, ["train", "--jets", str(tmp_path / "missing.h5"), "--particles", "8", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "jets file not found" in res.output
    res = r.invoke(main, ["train", "--jets", str(tiny_jets), "--particles", "3", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "N = 3 particles cannot fill p = 4 partitions" in res.output
    res = r.invoke(
        main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--quant", "qkv.weight", "--out", str(tmp_path / "m")]
    )
    assert res.exit_code == 2 and "write SITE=FORMAT" in res.output
    res = r.invoke(
        main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--ramp-epochs", "2"]
    )
    assert res.exit_code == 2 and "--ramp-epochs ramps beta: give --beta or --target-ebops with it" in res.output
    res = r.invoke(
        main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--target-ebops", "-5"]
    )
    assert res.exit_code == 2 and "target EBOPs must be > 0, got -5.0" in res.output
    res = r.invoke(
        main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--beta", "1e-7", "--float"]
    )
    assert res.exit_code == 2 and "heterogeneous quantization needs a quantized model; drop --float" in res.output
    res = r.invoke(
        main,
        ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--min-learning-rate", "0.01"],
    )
    assert res.exit_code == 2 and "min_learning_rate 0.01 must lie in [0, learning_rate = 0.001]" in res.output
    # refused before training: the converter could not scale the scores of a head of 6 exactly
    res = r.invoke(
        main,
        ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--d-model", "6", "--heads", "1"],
    )
    assert res.exit_code == 2 and "--d-model 6 --heads 1: head dimension d = 6: 1/sqrt(d) is not a power of two" in res.output
    assert "`salt-hls convert` could not build this model" in res.output and not (tmp_path / "m").exists()
    res = r.invoke(main, ["evaluate", str(tmp_path / "none"), "--jets", str(tiny_jets)])
    assert res.exit_code == 2 and "no model at" in res.output


def test_init_from_other_architecture_is_refused(trained, tiny_jets, tmp_path):
    from salt_hls.errors import ConfigError

    with pytest.raises(ConfigError, match="architecture differs"):
        train(tiny_jets, ModelSpec(n_particles=16), tmp_path / "z", FAST, init_from=trained[0], verbose=0)


@pytest.mark.slow
def test_training_with_a_width_search_records_it_and_trains_with_its_formats(trained, tiny_jets, tmp_path):
    from salt_hls.model.io import load_metadata
    from salt_hls.model.widths import WidthSearchSettings

    start, start_meta = trained
    assert start_meta["quantization"]["head.result"] == "16,6"
    meta = train(
        tiny_jets,
        ModelSpec(n_particles=8),
        tmp_path / "narrow",
        TrainSettings(epochs=1, patience=1, batch_size=64),
        init_from=start,
        verbose=0,
        width_search=WidthSearchSettings(tolerance=0.99, min_bits=12, eval_jets=100, sites=("head.result",), tables=False),
    )
    ws = meta["width_search"]
    assert [t["format"] for t in ws["trials"]] == ["15,5", "14,4", "13,3", "12,2"]
    assert ws["changed"] == {"head.result": "12,2"}
    saved = load_metadata(tmp_path / "narrow")
    assert saved["quantization"]["head.result"] == "12,2" and saved["spec"]["quant"]["head.result"] == "12,2"
    assert saved["width_search"] == ws
