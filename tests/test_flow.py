"""salt-hls flow: convert -> bit-exact C simulation -> estimate -> budget check, with its exit codes."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from salt_hls.cli import main
from salt_hls.cli.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = (ROOT / "synth_reports" / "budgets" / "l1t-default.yaml").read_text()


@pytest.mark.slow
def test_flow_on_shipped_n16(tmp_path, shared_jets_path, capsys):
    roomy = tmp_path / "roomy.yaml"
    roomy.write_text(DEFAULT.replace("latency_max_ns: 100", "latency_max_ns: 1000").replace(": 13\n", ": 100\n"))
    args = [
        "flow",
        str(ROOT / "keras_models" / "salt_n16"),
        "--jets",
        str(shared_jets_path),
        "--test-split",
        "--max-jets",
        "200",
        "--json",
    ]

    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == ExitCode.OVER_BUDGET, res.output  # bit-exact, over the default budget
    s = json.loads(res.stdout)
    assert s["bit_exact"] and s["csim"]["n_jets"] == s["csim"]["n_bit_exact"] == 200
    assert s["estimate"]["ii_cycles"] == 1 and not s["budget"]["fits"]
    over = {r["figure"] for r in s["budget"]["rows"] if not r["ok"]}
    assert over == {"latency max", "LUT (estimate)", "DSP (estimate)"}  # `check`'s figure names
    assert s["settings"] == {
        "backend": "Vitis",
        "part": "xcvu13p-flga2577-2-e",
        "clock_ns": 5.0,
        "reuse": 1,
        "parallelization": None,
        "dense_strategy": "latency",
        "da_hard_dc": 0,
        "products": "auto",
    }
    assert json.loads((tmp_path / "a" / "summary.json").read_text()) == s
    assert json.loads((tmp_path / "a" / "estimate.json").read_text())["kind"] == "estimate"
    from salt_hls.cli.app import _print_flow

    _print_flow(s)  # the table `salt-hls flow` prints without --json
    table = capsys.readouterr().out
    stored = json.loads(
        (ROOT / "synth_reports" / "salt_n16" / s["settings"]["part"] / "salt-hls-estimate" / "report.json").read_text()
    )
    cycles, luts = stored["latency"]["max_cycles"], stored["resources"]["post_synthesis"]["LUT"]  # 36, 925,287
    assert table.count(f"latency {cycles} cycles") == 1 and f"{luts:,}" in table and "fits the budget" in table
    assert "budget: LUT (estimate)" in table and "post-synthesis" not in table
    progress = res.stderr.splitlines()
    assert progress[:2] == [
        f"loading jets from {shared_jets_path}...",
        f"converting {ROOT / 'keras_models' / 'salt_n16'} into "
        f"{tmp_path / 'a' / 'project'} (Vitis, xcvu13p-flga2577-2-e, 5.0 ns, reuse 1)...",
    ]
    assert (
        "compiling the C simulation (g++)..." in progress
        and "C-simulating 200 jets against the bit-exact reference..." in progress
    )

    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--budget", str(roomy)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["budget"]["fits"]


def test_flow_refuses_bad_budget_before_converting(tmp_path, shared_jets_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\n")
    res = CliRunner().invoke(
        main,
        [
            "flow",
            str(ROOT / "keras_models" / "salt_n16"),
            "--jets",
            str(shared_jets_path),
            "--out",
            str(tmp_path / "out"),
            "--budget",
            str(bad),
        ],
    )
    assert res.exit_code == ExitCode.BAD_INPUT and "bad.yaml" in res.output
    assert not (tmp_path / "out" / "project").exists()


def test_flow_refuses_a_missing_jets_file_before_converting(tmp_path):
    res = CliRunner().invoke(
        main,
        ["flow", str(ROOT / "keras_models" / "salt_n16"), "--jets", str(tmp_path / "missing.h5"), "--out", str(tmp_path / "out")],
    )
    assert res.exit_code == ExitCode.BAD_INPUT and "missing.h5" in res.output
    assert not (tmp_path / "out").exists()
