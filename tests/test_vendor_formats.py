"""Report formats and layouts beyond the Vivado HLS 2020.1 fixtures: the Vivado HLS <= 2019.1 latency
table, part spellings, older hls4ml projects, Vitis's Synthesis Summary csynth.rpt, timing failure,
Vitis unified-IDE workspaces, and open-tool synthesis reports.

Each fixture is written here from the layout of the format it stands for; the figures in the
assertions are the ones written into the fixture.
"""

import json

import pytest
from click.testing import CliRunner
from test_vendor_report import VITIS_RPT, VITIS_VSYNTH, VITIS_XML

from salt_hls.budget.check import evaluate, load_budget
from salt_hls.cli.synth import check_command, report_command
from salt_hls.errors import DataError
from salt_hls.vendor.locate import hls4ml_project_name
from salt_hls.vendor.report import (
    EVIDENCE,
    SynthReport,
    build_report,
    evidence_rank,
    load_report,
    parse_path,
    strongest,
)

# ------------------------------------------------------------------ Vivado HLS <= 2019.1 .rpt

# Vivado HLS 2019.1: "+ Timing (ns):" with bare numbers, and "+ Latency (clock cycles):" with four
# figures (latency min/max, interval min/max) and the pipeline type; no absolute-time columns.
VIVADO_2019_RPT = """

================================================================
== Vivado HLS Report for 'myproject'
================================================================
* Date:           Mon Sep 16 14:02:11 2019

* Version:        2019.1 (Build 2552052 on Fri May 24 15:28:33 MDT 2019)
* Project:        myproject_prj
* Solution:       solution1
* Product family: virtexuplus
* Target device:  xcvu9p-flga2104-2-e


================================================================
== Performance Estimates
================================================================
+ Timing (ns):
    * Summary:
    +--------+-------+----------+------------+
    |  Clock | Target| Estimated| Uncertainty|
    +--------+-------+----------+------------+
    |ap_clk  |   5.00|     4.362|        0.62|
    +--------+-------+----------+------------+

+ Latency (clock cycles):
    * Summary:
    +-----+-----+-----+-----+----------+
    |  Latency  |  Interval | Pipeline |
    | min | max | min | max |   Type   |
    +-----+-----+-----+-----+----------+
    |    9|   11|    1|    2| function |
    +-----+-----+-----+-----+----------+

    + Detail:
        * Instance:
        N/A

        * Loop:
        N/A



================================================================
== Utilization Estimates
================================================================
* Summary:
+-----------------+---------+-------+---------+---------+-----+
|       Name      | BRAM_18K| DSP48E|    FF   |   LUT   | URAM|
+-----------------+---------+-------+---------+---------+-----+
|DSP              |        -|      -|        -|        -|    -|
|Expression       |        -|      -|        0|     1312|    -|
|FIFO             |        -|      -|        -|        -|    -|
|Instance         |        -|     52|     2874|     7291|    -|
|Memory           |        -|      -|        -|        -|    -|
|Multiplexer      |        -|      -|        -|        -|    -|
|Register         |        -|      -|     1633|        -|    -|
+-----------------+---------+-------+---------+---------+-----+
|Total            |        0|     52|     4507|     8603|    0|
+-----------------+---------+-------+---------+---------+-----+
|Available SLR    |     1440|   2280|   788160|   394080|  320|
+-----------------+---------+-------+---------+---------+-----+
|Utilization SLR (%)|      0|      2|       ~0|        2|    0|
+-----------------+---------+-------+---------+---------+-----+
|Available        |     4320|   6840|  2364480|  1182240|  960|
+-----------------+---------+-------+---------+---------+-----+
|Utilization (%)  |        0|     ~0|       ~0|       ~0|    0|
+-----------------+---------+-------+---------+---------+-----+
"""


def test_vivado_hls_2019_rpt_with_the_four_column_latency_table(tmp_path):
    path = tmp_path / "myproject_csynth.rpt"
    path.write_text(VIVADO_2019_RPT)
    r = parse_path(path)
    assert (r.tool, r.tool_version, r.top, r.part) == ("Vivado HLS", "2019.1", "myproject", "xcvu9p-flga2104-2-e")
    assert (r.clock_target_ns, r.clock_estimate_ns, r.clock_uncertainty_ns) == (5.0, 4.362, 0.62)
    assert (r.latency_min_cycles, r.latency_max_cycles) == (9, 11)
    assert (r.interval_min_cycles, r.interval_max_cycles) == (1, 2)  # not the pipeline type, not ns
    assert r.latency_ns("max") == 55.0
    assert r.resources["hls_estimate"] == {"LUT": 8603, "FF": 4507, "DSP": 52, "BRAM18": 0, "URAM": 0}
    assert r.report_totals == {"LUT": 1182240, "FF": 2364480, "DSP": 6840, "BRAM18": 4320, "URAM": 960}


def test_latency_row_too_short_is_refused(tmp_path):
    path = tmp_path / "myproject_csynth.rpt"
    path.write_text(VIVADO_2019_RPT.replace("|    9|   11|    1|    2| function |", "|    9|   11|"))
    with pytest.raises(DataError, match="latency min/max, interval min/max; found 2 cells"):
        parse_path(path)


# ------------------------------------------------------------------ part spellings

# How Vivado's report_utilization writes the part of an HLS run made for xczu9eg-ffvb1156-2-e.
ZU9_UTIL = VITIS_VSYNTH.replace("| Device       : xcvu13p-flga2577-2-e", "| Device       : xczu9egffvb1156-2")


def test_post_synthesis_of_an_unlisted_part_spelled_differently(tmp_path):
    """xczu9eg is not in devices.py: the two spellings of its part must still be one run."""
    xml = tmp_path / "csynth.xml"
    xml.write_text(VITIS_XML.replace("<Part>xcvu13p-flga2577-2-e</Part>", "<Part>xczu9eg-ffvb1156-2-e</Part>"))
    util = tmp_path / "vivado_synth.rpt"
    util.write_text(ZU9_UTIL)
    r = build_report(xml, util)
    assert r.resources["post_synthesis"]["LUT"] == 38412
    assert r.part == "xczu9eg-ffvb1156-2-e"
    util.write_text(ZU9_UTIL.replace("xczu9egffvb1156-2", "xczu7evffvc1156-2"))
    with pytest.raises(
        DataError, match=r"is for part xczu7evffvc1156-2 but .* is for xczu9eg-ffvb1156-2-e; they come from different runs"
    ):
        build_report(xml, util)


# ------------------------------------------------------------------ older hls4ml project.tcl

APP = (
    '<AutoPilot:project xmlns:AutoPilot="com.autoesl.autopilot.project" projectType="C/C++" name="myproject_prj" top="{top}">\n'
    '    <solutions>\n        <solution name="solution1" status=""/>\n    </solutions>\n</AutoPilot:project>\n'
)


def _hls4ml_project(root, tcl: str, top: str = "myproject"):
    report_dir = root / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    (report_dir / f"{top}_csynth.xml").write_text(VITIS_XML.replace(">myproject<", f">{top}<"))
    (root / "myproject_prj" / "vivado_hls.app").write_text(APP.format(top=top))
    (root / "project.tcl").write_text(tcl)
    return report_dir


def test_older_hls4ml_project_tcl(tmp_path):
    """hls4ml before 0.6 wrote 'set myproject', which hls4ml.report cannot read: the readers do."""
    report_dir = _hls4ml_project(tmp_path, 'variable myproject\nset myproject "myproject"\n')
    assert hls4ml_project_name(tmp_path) == ("myproject", "")
    r = parse_path(tmp_path)
    assert r.sources[0]["path"] == str(report_dir / "myproject_csynth.xml")
    assert r.sources[0]["parser"] == "salt_hls.vendor.readers"
    assert (r.top, r.latency_max_cycles) == ("myproject", 14)


def test_the_app_file_names_the_top(tmp_path):
    """project.tcl names the project; the top function is the one in the app file."""
    report_dir = _hls4ml_project(tmp_path, 'set project_name "myproject"\nset backend "vivado"\n', top="tagger_top")
    r = parse_path(tmp_path)
    assert r.sources[0]["path"] == str(report_dir / "tagger_top_csynth.xml")
    assert r.top == "tagger_top"


def test_project_tcl_without_a_name(tmp_path):
    _hls4ml_project(tmp_path, 'set backend "vivado"\n')
    with pytest.raises(
        DataError, match=r"project\.tcl: expected a 'set project_name .*' line as hls4ml writes it \(or 'set myproject"
    ):
        parse_path(tmp_path)


# ------------------------------------------------------------------ Vitis "Synthesis Summary" csynth.rpt

# Vitis HLS 2022.1+ syn/report/csynth.rpt for the same design as VITIS_XML: no clock periods, one
# Modules & Loops table whose '+' first-level row is the top function.
SUMMARY_RPT = """

================================================================
== Synthesis Summary Report of 'myproject'
================================================================
+ General Information:
    * Date:           Tue Jan 16 10:12:41 2024
    * Version:        2023.2 (Build 4023990 on Oct 11 2023)
    * Project:        myproject_prj
    * Solution:       solution1 (Vivado IP Flow Target)
    * Product family: virtexuplus
    * Target device:  xcvu13p-flga2577-2-e


+ Performance & Resource Estimates:

    PS: '+' for module; 'o' for loop; '*' for dataflow
    +-------------------------------+------+------+---------+--------+----------+---------+------+----------+---------+----------+-------------+------------+-----+
    |            Modules            | Issue|      | Latency | Latency| Iteration|         | Trip |          |         |          |             |            |     |
    |            & Loops            | Type | Slack| (cycles)|  (ns)  |  Latency | Interval| Count| Pipelined|   BRAM  |    DSP   |      FF     |     LUT    | URAM|
    +-------------------------------+------+------+---------+--------+----------+---------+------+----------+---------+----------+-------------+------------+-----+
    |+ myproject                    |     -|  0.00|       14|  70.000|         -|        1|     -|       yes|  4 (~0%)|  212 (1%)|  21873 (~0%)|  60317 (3%)|    -|
    | + dense_latency_ap_fixed_s    |     -|  0.12|        3|  15.000|         -|        1|     -|       yes|        -|  212 (1%)|   3120 (~0%)|  9140 (~0%)|    -|
    +-------------------------------+------+------+---------+--------+----------+---------+------+----------+---------+----------+-------------+------------+-----+


================================================================
== HW Interfaces
================================================================
* REGISTER
+-----------+---------+----------+
| Interface | Mode    | Bitwidth |
+-----------+---------+----------+
| input_1   | ap_none | 768      |
+-----------+---------+----------+
"""

SUMMARY_HLS = {"BRAM18": 4, "DSP": 212, "FF": 21873, "LUT": 60317, "URAM": 0}


def test_vitis_synthesis_summary_rpt(tmp_path):
    path = tmp_path / "csynth.rpt"
    path.write_text(SUMMARY_RPT)
    r = parse_path(path)
    assert (r.tool, r.tool_version, r.top, r.part) == ("Vitis HLS", "2023.2", "myproject", "xcvu13p-flga2577-2-e")
    assert r.sources[0]["format"] == "csynth-summary-rpt"
    assert (r.latency_min_cycles, r.latency_max_cycles, r.interval_min_cycles, r.interval_max_cycles) == (14, 14, 1, 1)
    assert r.resources["hls_estimate"] == SUMMARY_HLS
    assert r.clock_target_ns is None and r.report_totals is None  # the summary states neither
    d = r.to_dict()
    assert d["latency"]["max_ns"] == 70.0  # at the report's own 70.000 ns / 14 cycles
    assert (d["timing"]["period_from"], d["timing"]["report_period_ns"], d["timing"]["slack_ns"]) == ("report", 5.0, 0.0)
    assert d["timing"]["met"] is True
    assert any("states no clock periods" in n for n in r.notes)
    assert SynthReport.from_dict(d) == r


def test_synthesis_summary_with_negative_slack_and_a_latency_range(tmp_path):
    path = tmp_path / "csynth.rpt"
    row = "|+ myproject                    |     -|  0.00|       14|  70.000|         -|        1|"
    path.write_text(
        SUMMARY_RPT.replace(row, "|+ myproject*                   |Timing| -0.55|  12 ~ 14|  70.000|         -|        1|")
    )
    r = parse_path(path)
    assert (r.latency_min_cycles, r.latency_max_cycles) == (12, 14)
    assert r.timing_met() is False
    assert r.to_dict()["timing"]["note"] == "timing failed: the report's slack is -0.55 ns"


def test_synthesis_summary_without_the_top_row(tmp_path):
    path = tmp_path / "csynth.rpt"
    path.write_text(SUMMARY_RPT.replace("|+ myproject  ", "| + myproject "))
    with pytest.raises(DataError, match=r"expected the Modules & Loops table with a '\+ myproject' row"):
        parse_path(path)
    path.write_text(SUMMARY_RPT.replace("|+ myproject  ", "|+ other_top  "))
    with pytest.raises(DataError, match=r"is 'other_top', not the top function 'myproject'"):
        parse_path(path)


def test_directory_with_only_rpt_files(tmp_path):
    """Vitis writes csynth.rpt (summary) beside <top>_csynth.rpt (classic, with clock periods) and
    sub-module reports; with no XML and no app file, csynth.rpt names the top."""
    report_dir = tmp_path / "comp" / "hls" / "syn" / "report"
    report_dir.mkdir(parents=True)
    (report_dir / "csynth.rpt").write_text(SUMMARY_RPT)
    r = parse_path(tmp_path)
    assert r.sources[0]["path"] == str(report_dir / "csynth.rpt")
    assert r.resources["hls_estimate"] == SUMMARY_HLS
    (report_dir / "myproject_csynth.rpt").write_text(VITIS_RPT)
    (report_dir / "dense_latency_ap_fixed_s_csynth.rpt").write_text(
        VITIS_RPT.replace("'myproject'", "'dense_latency_ap_fixed_s'")
    )
    r = parse_path(tmp_path)
    assert r.sources[0]["path"] == str(report_dir / "myproject_csynth.rpt")
    assert (r.clock_target_ns, r.clock_estimate_ns) == (5.0, 3.912)


# ------------------------------------------------------------------ timing failure and null latency

FAILING_XML = VITIS_XML.replace("<EstimatedClockPeriod>3.912<", "<EstimatedClockPeriod>5.712<").replace(
    "70.000 ns<", "79.968 ns<"
)


def test_timing_failure_uses_the_estimated_period(tmp_path):
    path = tmp_path / "csynth.xml"
    path.write_text(FAILING_XML)
    r = parse_path(path)
    assert r.latency_ns("max") == pytest.approx(79.968, abs=1e-9)  # 14 x 5.712, as the report's 79.968 ns
    assert r.interval_ns("max") == 5.712
    d = r.to_dict()
    assert d["latency"]["max_ns"] == pytest.approx(79.968, abs=1e-9)
    assert (d["timing"]["met"], d["timing"]["period_ns"], d["timing"]["period_from"]) == (False, 5.712, "estimate")
    note = (
        "timing failed: estimated clock period 5.712 ns exceeds the 5 ns target; latency in ns uses 5.712 ns, as the report does"
    )
    assert d["timing"]["note"] == note and note in r.notes
    assert SynthReport.from_dict(d).to_dict()["timing"] == d["timing"]


@pytest.mark.parametrize("token", ["undef", "?"])
def test_null_latency_says_why(tmp_path, token):
    path = tmp_path / "csynth.xml"
    path.write_text(VITIS_XML.replace("<Worst-caseLatency>14<", f"<Worst-caseLatency>{token}<"))
    r = parse_path(path)
    d = r.to_dict()
    assert d["latency"]["max_ns"] is None and d["latency"]["min_ns"] == 70.0
    assert d["timing"]["undefined"] == {"latency_max": token}
    assert d["timing"]["latency_null"]["max"].startswith(f"the report gives the max latency as {token!r}: HLS could not bound it")
    assert d["timing"]["latency_null"]["min"] is None
    assert any(n.startswith("latency in ns is missing: the report gives the max latency as") for n in r.notes)
    assert SynthReport.from_dict(d) == r


def test_null_latency_without_a_clock():
    r = SynthReport(kind="estimate", method="m", part=None, latency_max_cycles=10)
    assert r.latency_null_reason("max").startswith("the report states no clock period")
    assert r.latency_null_reason("min") == "the report gives no min latency in cycles"


def test_timing_failure_in_the_rpt_form(tmp_path):
    path = tmp_path / "myproject_csynth.rpt"
    path.write_text(VIVADO_2019_RPT.replace("|     4.362|", "|     6.508|"))
    r = parse_path(path)
    assert r.latency_ns("max") == pytest.approx(11 * 6.508, abs=1e-9)
    assert r.timing_met() is False


# ------------------------------------------------------------------ Vitis unified IDE workspace


def _component(ws, name, work=None, xml=VITIS_XML):
    report_dir = ws / name / (work or name) / "hls" / "syn" / "report"
    report_dir.mkdir(parents=True)
    (report_dir / "csynth.xml").write_text(xml)
    return report_dir


def test_unified_workspace_component_work_dir(tmp_path):
    (tmp_path / "_ide" / "logs").mkdir(parents=True)  # the IDE's own folders hold no reports
    report_dir = _component(tmp_path, "tagger")
    (tmp_path / "tagger" / "hls_config.cfg").write_text("part=xcvu13p-flga2577-2-e\n")
    assert parse_path(tmp_path).sources[0]["path"] == str(report_dir / "csynth.xml")
    assert parse_path(tmp_path / "tagger").sources[0]["path"] == str(report_dir / "csynth.xml")


def test_unified_workspace_with_two_components_is_ambiguous(tmp_path):
    _component(tmp_path, "tagger_a")
    b = _component(tmp_path, "tagger_b")
    with pytest.raises(
        DataError, match=r"several HLS components with C-synthesis reports \(tagger_a/tagger_a/hls/syn/report, tagger_b"
    ):
        parse_path(tmp_path)
    assert parse_path(tmp_path / "tagger_b").sources[0]["path"] == str(b / "csynth.xml")


def test_unified_search_is_bounded(tmp_path):
    _component(tmp_path / "deeper", "tagger")  # three levels down: not searched
    with pytest.raises(DataError, match="searched 2 levels deep"):
        parse_path(tmp_path)


# ------------------------------------------------------------------ open-tool synthesis reports

ROOT_BUDGET = __import__("pathlib").Path(__file__).resolve().parents[1] / "synth_reports" / "budgets" / "l1t-default.yaml"


def _open_synthesis(**tool) -> dict:
    """What a Yosys run on the design's Verilog would be written as: post-synthesis cells, no HLS stage."""
    r = SynthReport(
        kind="open-synthesis",
        method="yosys synth_xilinx -family xcup",
        part="xcvu13p-flga2577-2-e",
        tool="Yosys",
        tool_version="0.70",
        top="salt_tagger",
        clock_target_ns=5.0,
        latency_min_cycles=18,
        latency_max_cycles=18,
        interval_min_cycles=1,
        interval_max_cycles=1,
        resources={"post_synthesis": {"LUT": 120_000, "FF": 40_000, "DSP": 0, "BRAM18": 0, "URAM": 0}},
        post_synthesis_state="Synthesized (Yosys)",
    )
    d = r.to_dict()
    d["tool"] |= tool
    return d


def test_open_synthesis_report_loads_and_is_checked(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_open_synthesis()))
    r = load_report(path)
    assert (r.kind, r.tool, r.tool_version) == ("open-synthesis", "Yosys", "0.70")
    assert r.resources["post_synthesis"]["LUT"] == 120_000
    result = evaluate(r, load_budget(ROOT_BUDGET))
    assert [row.figure for row in result.rows if not row.ok] == ["clock estimate"]  # Yosys gives no timing
    res = CliRunner().invoke(check_command, [str(path), "--budget", str(ROOT_BUDGET), "--json"])
    assert res.exit_code != 0, res.output  # does not fit
    out = json.loads(res.output)
    assert out["report"]["kind"] == "open-synthesis" and out["fits"] is False
    res = CliRunner().invoke(report_command, [str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["resources"]["post_synthesis"]["LUT"] == 120_000


@pytest.mark.parametrize("tool", [{"version": None}, {"name": ""}])
def test_open_synthesis_must_name_its_tool(tmp_path, tool):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_open_synthesis(**tool)))
    with pytest.raises(DataError, match=r'report.json: an "open-synthesis" report must name its tool'):
        load_report(path)


def test_evidence_rank():
    assert EVIDENCE == ("vendor", "open-synthesis", "estimate")
    assert [evidence_rank(k) for k in EVIDENCE] == [0, 1, 2]
    with pytest.raises(DataError, match="report kind 'guess' is not one of vendor, open-synthesis, estimate"):
        evidence_rank("guess")
    est = SynthReport(kind="estimate", method="m", part=None)
    yosys = SynthReport.from_dict(_open_synthesis())
    assert strongest([est, yosys]) is yosys
