"""Conversion settings and estimate options as data: defaults once, validation, round trips that
refuse unknown or missing fields, the CLI options built from them, and one exit-code table."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from salt_hls.errors import ConfigError, DataError
from salt_hls.settings import SUMMARY_FILE, ConvertSettings, EstimateOptions, project_settings

ROOT = Path(__file__).resolve().parents[1]


def test_settings_module_does_not_import_tensorflow():
    code = "import sys, salt_hls.settings, salt_hls.cli.options; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_round_trip_and_defaults():
    s = ConvertSettings(backend="Vivado", reuse=2, parallelization=4)
    d = s.to_dict()
    assert d == {
        "backend": "Vivado",
        "part": "xcvu13p-flga2577-2-e",
        "clock_ns": 5.0,
        "reuse": 2,
        "parallelization": 4,
        "dense_strategy": "latency",
        "da_hard_dc": 0,
        "products": "auto",
    }
    assert ConvertSettings.from_dict(d) == s
    # a project converted before da_hard_dc existed was built with hls4ml's default depth constraint, 2; before
    # products existed, the HLS tool chose where every product went
    old = ConvertSettings.from_dict({k: v for k, v in d.items() if k not in ("da_hard_dc", "products")})
    assert (old.da_hard_dc, old.products) == (2, "auto")
    with pytest.raises(ConfigError, match=r"unknown product implementation 'lut'; choose auto, dsp, fabric"):
        ConvertSettings.from_dict({**d, "products": "lut"})
    with pytest.raises(
        ConfigError, match=r"da_hard_dc must be an integer >= 0 \(adder levels beyond the minimal depth\), got -1"
    ):
        ConvertSettings.from_dict({**d, "da_hard_dc": -1})
    o = EstimateOptions(table_impl="lut", dsp_packing=True)
    assert EstimateOptions.from_dict(o.to_dict()) == o
    assert EstimateOptions().bram_min_bits == 4096 and EstimateOptions().dsp_min_bits == 10  # estimate.cost's constants


def test_from_dict_refuses_unknown_and_names_missing():
    d = ConvertSettings().to_dict()
    with pytest.raises(ConfigError, match=r"unknown ConvertSettings field\(s\) reuse_factor; known: backend, part"):
        ConvertSettings.from_dict({**d, "reuse_factor": 1})
    del d["clock_ns"]
    with pytest.raises(ConfigError, match=r"ConvertSettings field\(s\) clock_ns missing"):
        ConvertSettings.from_dict(d)
    with pytest.raises(ConfigError, match="reuse factor must be an integer >= 1, got True"):
        ConvertSettings.from_dict({**ConvertSettings().to_dict(), "reuse": True})


@pytest.mark.parametrize(
    "options,msg",
    [
        (EstimateOptions(table_impl="rom"), "table implementation must be auto, lut, bram, got 'rom'"),
        (EstimateOptions(table_entries=100), "table entries must be a power of two >= 2, got 100"),
        (EstimateOptions(cast_mode="rnd"), "cast mode must be typed or trn, got 'rnd'"),
        (EstimateOptions(dsp_min_bits=0), "bram_min_bits must be an integer >= 0 and dsp_min_bits >= 1"),
    ],
)
def test_estimate_options_validation(options, msg):
    with pytest.raises(ConfigError, match=msg):
        options.validate()


def test_project_settings_name_the_missing_field(tmp_path):
    (tmp_path / SUMMARY_FILE).write_text(json.dumps({"salt_hls_version": "0.1.0", "backend": "Vitis", "clock_ns": 5.0}))
    with pytest.raises(DataError, match=r"has no 'settings': the project was written by an older salt-hls; re-convert it"):
        project_settings(tmp_path)
    partial = ConvertSettings().to_dict()
    del partial["part"]
    (tmp_path / SUMMARY_FILE).write_text(json.dumps({"settings": partial}))
    with pytest.raises(DataError, match=r"field\(s\) part missing; re-convert the project"):
        project_settings(tmp_path)


def test_estimate_refuses_a_project_without_settings(tmp_path):
    """The estimator read clock_ns `or 5.0` and the reuse factor `or 1`: a project without them is now refused."""
    from salt_hls.estimate.estimator import estimate_project

    (tmp_path / "firmware").mkdir()
    for f in ("salt_tagger.cpp", "defines.h", "parameters.h"):
        (tmp_path / "firmware" / f).write_text("")
    (tmp_path / SUMMARY_FILE).write_text(json.dumps({"project_name": "salt_tagger", "io_type": "io_parallel"}))
    with pytest.raises(DataError, match="has no 'settings'"):
        estimate_project(tmp_path)


def test_cli_options_come_from_the_dataclasses():
    from salt_hls.cli import main

    convert_help = CliRunner().invoke(main, ["convert", "--help"]).output
    for f, default in ConvertSettings.defaults().items():
        option = "--" + f.replace("_", "-")
        assert option in convert_help
        if default is not None:
            assert f"[default: {default}]" in " ".join(convert_help.split())
    estimate_help = " ".join(CliRunner().invoke(main, ["estimate", "--help"]).output.split())
    assert "--tables [auto|lut|bram]" in estimate_help and "[default: 4096]" in estimate_help
    res = CliRunner().invoke(main, ["estimate", str(ROOT / "synth_reports"), "--table-entries", "100"])
    assert res.exit_code == 2 and "table entries must be a power of two >= 2, got 100" in res.output


def test_one_exit_code_table():
    from salt_hls.cli.exit_codes import ExitCode

    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("NOT_BIT_EXACT", 1),
        ("BAD_INPUT", 2),
        ("OVER_BUDGET", 3),
        ("NO_VENDOR_TOOL", 4),
        ("VENDOR_TOOL_FAILED", 5),
        ("TRIALS_FAILED", 6),
    ]
    readme = (ROOT / "README.md").read_text()
    for c in ExitCode:
        assert f"| {int(c)} | `{c.name}` |" in readme
