"""The estimates committed in synth_reports/ are of the shipped models, reproducible, and checked
against the default Level-1 budget here, in CI (issue 5: none of them fits)."""

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from salt_hls.cli.synth import check_command

ROOT = Path(__file__).resolve().parents[1]
BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
PART = "xcvu13p-flga2577-2-e"

# The figures that exceed the default budget, per model (benchmarks/fit/results.md).
OVER = {
    16: {"latency max", "LUT (estimate)", "DSP (estimate)"},
    32: {"latency max", "LUT (estimate)", "DSP (estimate)"},
    64: {"latency max", "LUT (estimate)", "FF (estimate)", "DSP (estimate)"},
}


def _stored(n):
    return ROOT / "synth_reports" / f"salt_n{n}" / PART / "salt-hls-estimate"


@pytest.mark.parametrize("n", sorted(OVER))
def test_stored_estimate_checked_against_default_budget(n):
    res = CliRunner().invoke(check_command, [str(_stored(n) / "report.json"), "--budget", str(BUDGET), "--json"])
    assert res.exit_code == 3, res.output  # 3 (OVER_BUDGET): something does not fit
    out = json.loads(res.output)
    assert out["fits"] is False and out["report"]["kind"] == "estimate"
    assert {r["figure"] for r in out["rows"] if not r["ok"]} == OVER[n]
    ii = next(r for r in out["rows"] if r["figure"] == "interval (II) max")
    assert ii["value"] == 1 and ii["ok"]  # the default conversion is fully parallel


@pytest.mark.parametrize("n", sorted(OVER))
def test_stored_estimate_is_of_the_shipped_model(n):
    meta = json.loads((_stored(n) / "meta.json").read_text())
    h5 = ROOT / "keras_models" / f"salt_n{n}" / "model.h5"
    assert meta["model_sha256"] == hashlib.sha256(h5.read_bytes()).hexdigest(), "re-run benchmarks/fit/run.py"
    assert meta["part"] == PART and meta["settings"]["reuse_factor"] == 1


@pytest.mark.slow
def test_stored_n16_estimate_is_reproducible(tmp_path):
    from salt_hls.estimate.estimator import estimate_project
    from salt_hls.hls.convert import ConvertSettings, convert

    convert(ROOT / "keras_models" / "salt_n16", tmp_path / "prj", ConvertSettings(part=PART))
    fresh = estimate_project(tmp_path / "prj").to_dict()
    stored = json.loads((_stored(16) / "report.json").read_text())
    for key in ("resources", "latency", "interval", "clock"):
        assert fresh[key] == stored[key], key


L1T = ("salt_n16_l1t", "salt_n32_l1t")  # benchmarks/fit/ship.py wrote each after the flow passed
DEMO_MODEL = "salt_n32_l1t"  # the Makefile's MODEL (tests/test_shipped_models.py)


def _stored_shipped(name):
    return ROOT / "synth_reports" / name / PART / "salt-hls-estimate"


def _stored_meta(name) -> dict:
    """The stored estimate's meta.json, after checking that it was made from the shipped model.h5."""
    meta = json.loads((_stored_shipped(name) / "meta.json").read_text())
    h5 = ROOT / "keras_models" / name / "model.h5"
    assert meta["model_sha256"] == hashlib.sha256(h5.read_bytes()).hexdigest(), "re-run benchmarks/fit/ship.py"
    return meta


@pytest.mark.parametrize("name", L1T)
def test_stored_l1t_estimate_fits_the_default_budget(name):
    res = CliRunner().invoke(check_command, [str(_stored_shipped(name) / "report.json"), "--budget", str(BUDGET), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["fits"] is True and all(r["ok"] for r in out["rows"])
    meta = _stored_meta(name)
    assert meta["settings"]["backend"] == "Vivado" and meta["settings"]["dense_strategy"] == "distributed_arithmetic"


def test_stored_l2_estimate_fits_the_layer2_budget():
    budget = ROOT / "synth_reports" / "budgets" / "cms-phase2-l2.yaml"
    res = CliRunner().invoke(
        check_command, [str(_stored_shipped("salt_n32_l2") / "report.json"), "--budget", str(budget), "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = {r["figure"]: r for r in json.loads(res.output)["rows"]}
    assert rows["jet interval max"]["value"] == 2.78 and rows["latency max"]["value"] <= 100
    _stored_meta("salt_n32_l2")


@pytest.mark.slow
def test_stored_l1t_estimate_of_the_demo_model_is_reproducible(tmp_path):
    from salt_hls.estimate.estimator import estimate_project
    from salt_hls.hls.convert import ConvertSettings, convert

    settings = json.loads((_stored_shipped(DEMO_MODEL) / "meta.json").read_text())["settings"]
    assert settings["products"] == "dsp"  # its attention products bound to DSP48s: what makes its LUTs fit
    convert(ROOT / "keras_models" / DEMO_MODEL, tmp_path / "prj", ConvertSettings(**settings))
    fresh = estimate_project(tmp_path / "prj").to_dict()
    stored = json.loads((_stored_shipped(DEMO_MODEL) / "report.json").read_text())
    for key in ("resources", "latency", "interval", "clock"):
        assert fresh[key] == stored[key], key
