"""Projects on a fresh clone: settings recorded and read back, relocatable projects, --force that
replaces only a salt-hls project, csim that checks its inputs first and leaves no temporary
folder, the Keras quantizer-serialization warning silenced, and the flow's table and progress."""

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from salt_hls.cli import main
from salt_hls.errors import DataError
from salt_hls.settings import SUMMARY_FILE, ConvertSettings, project_settings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_N16 = ROOT / "keras_models" / "salt_n16"


@pytest.fixture(scope="module")
def n16_project(tmp_path_factory):
    """The shipped N = 16 model converted (not compiled) with non-default settings."""
    from salt_hls.hls.convert import convert

    prj = tmp_path_factory.mktemp("n16") / "prj"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        convert(SHIPPED_N16, prj, ConvertSettings(backend="Vivado", reuse=2, parallelization=8))
    return prj, caught


def test_convert_records_its_settings(n16_project):
    prj, _ = n16_project
    assert project_settings(prj) == ConvertSettings(backend="Vivado", reuse=2, parallelization=8)
    summary = json.loads((prj / SUMMARY_FILE).read_text())
    assert summary["settings"]["reuse"] == 2 and summary["parallelization_factor"] == 8
    assert "reuse_factor" not in summary  # one place for each setting


def test_quantizer_serialization_warning_is_silenced(n16_project):
    _, caught = n16_project
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "keras.constraints.serialize()" in m], messages[:3]


def test_force_replaces_only_a_salt_hls_project(tmp_path, n16_project):
    from salt_hls.hls.convert import convert

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    # refused before the model is even loaded: a path that is no model proves it
    with pytest.raises(
        DataError, match=r"is not empty and is not a salt-hls project .* --force only replaces a salt-hls project"
    ):
        convert(tmp_path / "no-model", mine, force=True)
    assert (mine / "notes.txt").read_text() == "keep"
    res = CliRunner().invoke(main, ["convert", str(SHIPPED_N16), "--out", str(mine), "--force"])
    assert res.exit_code == 2 and "not a salt-hls project" in res.output
    assert (mine / "notes.txt").read_text() == "keep"

    project = tmp_path / "copy"
    shutil.copytree(n16_project[0], project)
    (project / "stale.txt").write_text("old")
    convert(SHIPPED_N16, project, force=True)
    assert not (project / "stale.txt").exists() and project_settings(project) == ConvertSettings()


def test_force_never_replaces_the_working_directory(tmp_path, n16_project, monkeypatch):
    from salt_hls.hls.convert import convert

    project = tmp_path / "here"
    shutil.copytree(n16_project[0], project)
    monkeypatch.chdir(project)
    with pytest.raises(DataError, match="is the working directory or contains it"):
        convert(SHIPPED_N16, ".", force=True)
    assert (project / SUMMARY_FILE).is_file()


def test_copied_project_links_to_itself(tmp_path, n16_project, monkeypatch):
    """hls4ml records the OutputDir of the conversion; a copy must build in its own directory."""
    from salt_hls.hls.csim import link_project

    copy = tmp_path / "moved"
    shutil.copytree(n16_project[0], copy)
    monkeypatch.chdir(tmp_path)
    hls_model = link_project(Path("moved"))
    assert hls_model.config.get_output_dir() == str(copy.resolve())


def test_csim_checks_the_jets_before_converting(tmp_path, monkeypatch):
    import salt_hls.hls.csim as csim

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted before checking the inputs")

    monkeypatch.setattr(csim, "convert", no_conversion)
    with pytest.raises(DataError, match=r"missing\.h5"):
        csim.run_csim(SHIPPED_N16, tmp_path / "missing.h5")
    res = CliRunner().invoke(main, ["csim", str(SHIPPED_N16), "--jets", str(tmp_path / "missing.h5")])
    assert res.exit_code == 2 and "missing.h5" in res.output


def test_csim_of_a_project_refuses_other_settings(n16_project, tiny_jets):
    res = CliRunner().invoke(main, ["csim", str(n16_project[0]), "--jets", str(tiny_jets), "--reuse", "4"])
    assert res.exit_code == 2 and "is simulated with the settings it was converted with" in res.output


def test_csim_leaves_no_temporary_folder(tmp_path, tiny_jets, monkeypatch):
    """Whatever happens after the on-the-fly conversion starts, its temporary folder is removed."""
    import salt_hls.hls.csim as csim

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = []

    def failing_convert(model, work_dir, *args, **kwargs):
        Path(work_dir).mkdir(parents=True)
        (Path(work_dir) / "firmware.cpp").write_text("")
        seen.append(Path(work_dir))
        raise DataError("conversion failed")

    monkeypatch.setattr(csim, "convert", failing_convert)
    with pytest.raises(DataError, match="conversion failed"):
        csim.run_csim(SHIPPED_N16, tiny_jets, max_jets=10)
    assert seen and seen[0].is_relative_to(tmp_path)
    assert not list(tmp_path.glob("salt_csim_*"))


@pytest.mark.slow
def test_relocated_project_simulates_from_another_directory(tmp_path, n16_project, tiny_jets, monkeypatch):
    """Converted with a relative --out, moved, then C-simulated from another working directory."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["convert", str(SHIPPED_N16), "--out", "prj"])
    assert res.exit_code == 0, res.output
    shutil.move("prj", "elsewhere")
    os.mkdir("other")
    monkeypatch.chdir("other")
    res = CliRunner().invoke(
        main, ["csim", "../elsewhere", "--jets", str(tiny_jets), "--max-jets", "50", "--bit-exact", "--json"]
    )
    assert res.exit_code == 0, res.output
    r = json.loads(res.output.strip().splitlines()[-1])
    assert r["n_jets"] == r["n_bit_exact"] == 50
    assert (tmp_path / "elsewhere" / "firmware").is_dir() and not (tmp_path / "prj").exists()


def test_flow_table_labels_the_estimate_and_formats_like_check(capsys):
    from salt_hls.cli.app import _print_flow
    from salt_hls.cli.formatting import budget_value

    summary = {
        "model": "m",
        "project": "p",
        "settings": ConvertSettings().to_dict(),
        "csim": {"n_jets": 10, "n_bit_exact": 10, "argmax_agreement": 1.0, "accuracy_csim": 0.5},
        "bit_exact": True,
        "estimate": {
            "kind": "estimate",
            "latency_cycles": 37,
            "latency_ns": 185.0,
            "ii_cycles": 1,
            "resources": {"LUT": 836052, "FF": 1, "DSP": 2304, "BRAM18": 416},
            "dominant_luts": [],
        },
        "budget": {
            "fits": False,
            "notes": [],
            "rows": [{"figure": "LUT (estimate)", "value": 48.123456, "limit": 13.0, "unit": "%", "ok": False}],
        },
    }
    _print_flow(summary)
    out = capsys.readouterr().out
    assert "LUT (estimate)" in out and "post-synthesis" not in out
    assert f"{budget_value(48.123456)} / 13 %" in out and budget_value(48.123456) == "48.1235"


def test_check_prints_the_same_figures(tmp_path):
    """`check` on the stored N = 16 estimate prints each row with the same function as the flow."""
    from salt_hls.cli.formatting import budget_value
    from salt_hls.cli.synth import check_command

    report = ROOT / "synth_reports" / "salt_n16" / "xcvu13p-flga2577-2-e" / "salt-hls-estimate" / "report.json"
    budget = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
    rows = json.loads(CliRunner().invoke(check_command, [str(report), "--budget", str(budget), "--json"]).output)["rows"]
    table = CliRunner().invoke(check_command, [str(report), "--budget", str(budget)]).output
    for row in rows:
        assert budget_value(row["value"]) in table
