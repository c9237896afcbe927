"""The report / check / synth click commands, through click's CliRunner."""

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from salt_hls.cli.exit_codes import ExitCode
from salt_hls.cli.synth import check_command, report_command, synth_command
from salt_hls.vendor import tools

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"

# A budget the fixture design meets: its own part, its II of 8, generous resources.
FITTING = """part: xc7z020clg400-1
clock_ns: 5.0
ii_max_cycles: 8
latency_max_ns: 100
resource_max_pct: {LUT: 50, FF: 50, DSP: 50, BRAM18: 50, URAM: 50}
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def fitting_budget(tmp_path):
    path = tmp_path / "fits.yaml"
    path.write_text(FITTING)
    return path


# ------------------------------------------------------------------ report


def test_report_table(runner, vendor_reports):
    result = runner.invoke(report_command, [str(vendor_reports)])
    assert result.exit_code == 0, result.output
    for text in ("myproject", "Vivado HLS 2020.1", "xc7z020-clg400-1", "2,532", "1,526", "interval (II)"):
        assert text in result.stdout


def test_report_json_and_out(runner, tmp_path, vendor_reports):
    out = tmp_path / "report.json"
    result = runner.invoke(report_command, [str(vendor_reports), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(out.read_text())
    assert printed["schema"] == "salt-hls/synth-report"
    assert printed["latency"]["max_cycles"] == 10
    assert printed["resources"]["post_synthesis"]["DSP"] == 66


def test_report_loose_files(runner, vendor_reports):
    files = [str(vendor_reports / "myproject_csynth.rpt"), str(vendor_reports / "vivado_synth.rpt")]
    result = runner.invoke(report_command, [*files, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resources"]["post_synthesis"]["LUT"] == 1526


def test_report_bad_path_exits_2(runner, tmp_path):
    result = runner.invoke(report_command, [str(tmp_path)])
    assert result.exit_code == 2
    assert "no C-synthesis report found" in result.stderr
    assert result.stdout == ""


# ------------------------------------------------------------------ check


def test_check_fits_exit_0(runner, fitting_budget, vendor_reports):
    result = runner.invoke(check_command, [str(vendor_reports), "--budget", str(fitting_budget)])
    assert result.exit_code == 0, result.output
    assert "fits the budget" in result.stdout


def test_check_default_budget_exits_over_budget(runner, vendor_reports):
    result = runner.invoke(check_command, [str(vendor_reports), "--budget", str(DEFAULT)])
    assert result.exit_code == ExitCode.OVER_BUDGET == 3, result.output
    assert "does not fit the budget" in result.stdout
    assert "differs from budget part" in result.stdout


def test_check_json(runner, vendor_reports):
    result = runner.invoke(check_command, [str(vendor_reports), "--budget", str(DEFAULT), "--json"])
    assert result.exit_code == ExitCode.OVER_BUDGET
    data = json.loads(result.stdout)
    assert set(data) == {"fits", "budget", "part", "rows", "notes", "report"}
    assert data["fits"] is False
    assert data["budget"] == "l1t-default" and data["part"] == "xcvu13p-flga2577-2-e"
    assert all(set(row) == {"figure", "value", "limit", "unit", "ok"} for row in data["rows"])
    ii = next(row for row in data["rows"] if row["figure"] == "interval (II) max")
    assert ii == {"figure": "interval (II) max", "value": 8, "limit": 1, "unit": "cycles", "ok": False}


def test_check_reads_normalized_json(runner, tmp_path, fitting_budget, vendor_reports):
    out = tmp_path / "r.json"
    assert runner.invoke(report_command, [str(vendor_reports), "--out", str(out)]).exit_code == 0
    result = runner.invoke(check_command, [str(out), "--budget", str(fitting_budget), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fits"] is True


def test_check_bad_budget_exit_2(runner, tmp_path, vendor_reports):
    bad = tmp_path / "bad.yaml"
    bad.write_text(FITTING + "latency_ns: 3\n")
    result = runner.invoke(check_command, [str(vendor_reports), "--budget", str(bad)])
    assert result.exit_code == 2
    assert "unknown budget key 'latency_ns'" in result.stderr


def test_check_bad_report_exit_2(runner, tmp_path, fitting_budget):
    broken = tmp_path / "r.json"
    broken.write_text("{not json")
    result = runner.invoke(check_command, [str(broken), "--budget", str(fitting_budget)])
    assert result.exit_code == 2
    assert "r.json: not a readable JSON report" in result.stderr


# ------------------------------------------------------------------ synth


def _hls4ml_project(root: Path, backend: str = "vivado") -> Path:
    project = root / "proj"
    project.mkdir()
    (project / "project.tcl").write_text(
        f'variable project_name\nset project_name "myproject"\nvariable backend\nset backend "{backend}"\n'
    )
    (project / "build_prj.tcl").write_text("# hls4ml build script (not run by the fake tool)\n")
    return project


FAKE_TOOL = """#!{python}
# Stands in for the vendor tool: records how it was called, then writes the fixture reports
# where Vivado HLS puts them, or fails when asked to.
import json, os, shutil, sys
from pathlib import Path
Path("called.json").write_text(json.dumps({{"cwd": os.getcwd(), "argv": sys.argv[1:]}}))
if os.environ.get("FAKE_TOOL_FAIL"):
    sys.exit(1)
fixtures = Path({fixtures!r})
report = Path("myproject_prj/solution1/syn/report")
report.mkdir(parents=True)
shutil.copy(fixtures / "myproject_csynth.xml", report)
shutil.copy(fixtures / "vivado_hls.app", "myproject_prj")
print("fake tool: C synthesis done")
"""


def _fake_tool(bin_dir: Path, name: str, fixtures: Path) -> Path:
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / name
    exe.write_text(FAKE_TOOL.format(python=sys.executable, fixtures=str(fixtures)))
    exe.chmod(0o755)
    return exe


def test_synth_without_vendor_tool_exits_4(runner, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert all(shutil.which(exe) is None for exe in tools.PRODUCTS)
    project = _hls4ml_project(tmp_path)
    result = runner.invoke(synth_command, [str(project)])
    assert result.exit_code == ExitCode.NO_VENDOR_TOOL == 4
    assert "Vivado HLS 2019.2 or 2020.1 (vivado_hls)" in result.stderr
    assert "nothing was synthesized" in result.stderr
    assert not (project / "myproject_prj").exists()


def test_synth_vitis_project_without_tool_names_vitis(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(synth_command, [str(_hls4ml_project(tmp_path, "vitis"))])
    assert result.exit_code == ExitCode.NO_VENDOR_TOOL
    assert "AMD Vitis 2023.2 or newer (vitis-run --mode hls)" in result.stderr
    assert "'vitis-run', 'vitis_hls'" in result.stderr


def test_synth_not_a_project_exits_2(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(synth_command, [str(tmp_path)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "not an hls4ml project: expected project.tcl and build_prj.tcl" in result.stderr


def test_synth_runs_the_tool_in_the_project(runner, tmp_path, monkeypatch, vendor_reports):
    bin_dir = tmp_path / "bin"
    _fake_tool(bin_dir, "vivado_hls", vendor_reports)
    monkeypatch.setenv("PATH", str(bin_dir))
    project = _hls4ml_project(tmp_path)
    result = runner.invoke(synth_command, [str(project)])
    assert result.exit_code == 0, result.output
    called = json.loads((project / "called.json").read_text())
    assert Path(called["cwd"]) == project.resolve()
    assert called["argv"] == ["-f", "build_prj.tcl", "reset=0 csim=0 synth=1 cosim=0 validation=0 export=0 vsynth=0 fifo_opt=0"]
    assert "2,532" in result.stdout  # the report was parsed and printed


def test_synth_vitis_run_gets_build_options(runner, tmp_path, monkeypatch, vendor_reports):
    bin_dir = tmp_path / "bin"
    _fake_tool(bin_dir, "vitis-run", vendor_reports)
    monkeypatch.setenv("PATH", str(bin_dir))
    project = _hls4ml_project(tmp_path, "vitis")
    result = runner.invoke(synth_command, [str(project), "--export-ip"])
    assert result.exit_code == 0, result.output
    assert json.loads((project / "called.json").read_text())["argv"] == ["--mode", "hls", "--tcl", "build_prj.tcl"]
    opts = (project / "build_opt.tcl").read_text()
    assert "synth      0" in opts and "export     1" in opts and "csim       0" in opts


def test_synth_tool_failure_exits_5(runner, tmp_path, monkeypatch, vendor_reports):
    bin_dir = tmp_path / "bin"
    _fake_tool(bin_dir, "vivado_hls", vendor_reports)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_TOOL_FAIL", "1")
    result = runner.invoke(synth_command, [str(_hls4ml_project(tmp_path))])
    assert result.exit_code == ExitCode.VENDOR_TOOL_FAILED == 5
    assert "vivado_hls exited with status 1" in result.stderr


def test_vsynth_needs_vivado(runner, tmp_path, monkeypatch, vendor_reports):
    bin_dir = tmp_path / "bin"
    _fake_tool(bin_dir, "vivado_hls", vendor_reports)
    monkeypatch.setenv("PATH", str(bin_dir))
    project = _hls4ml_project(tmp_path)
    result = runner.invoke(synth_command, [str(project), "--csynth", "--vsynth"])
    assert result.exit_code == ExitCode.NO_VENDOR_TOOL
    assert "--vsynth needs Vivado (vivado)" in result.stderr
    assert not (project / "called.json").exists()
