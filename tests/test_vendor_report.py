"""Report parsing on the real Vivado HLS 2020.1 fixtures, a Vitis HLS 2023.2 layout, and bad input.

Every expected figure below was read by hand off the fixture files; the comment names the line.
"""

import json
import shutil
from pathlib import Path

import pytest

from salt_hls.errors import DataError, SaltError
from salt_hls.vendor.report import SCHEMA, SynthReport, build_report, load_report, parse_files, parse_path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "vendor-reports" / "vivado-hls-2020.1"  # ../shared
XML = FIXTURES / "myproject_csynth.xml"
RPT = FIXTURES / "myproject_csynth.rpt"
VSYNTH = FIXTURES / "vivado_synth.rpt"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared vendor-report fixtures not present")

# ---- hand-read from myproject_csynth.xml (same figures in myproject_csynth.rpt) ----
VERSION = "2020.1"  # xml line 4 <Version>; rpt line 8 "* Version: 2020.1 (Build 2897737 ...)"
PART = "xc7z020-clg400-1"  # xml line 10 <Part>; rpt line 12 "* Target device:"
TOP = "myproject"  # xml line 11 <TopModelName>; rpt line 3 "Vivado HLS Report for 'myproject'"
CLOCK_TARGET = 5.00  # xml line 12 <TargetClockPeriod>; rpt line 23 "|ap_clk | 5.00 ns |"
CLOCK_UNCERTAINTY = 0.62  # xml line 13 <ClockUncertainty>; rpt line 23 "0.62 ns"
CLOCK_ESTIMATE = 4.049  # xml line 20 <EstimatedClockPeriod>; rpt line 23 "4.049 ns"
LATENCY_MIN, LATENCY_MAX = 10, 10  # xml lines 24/26 Best-/Worst-caseLatency; rpt line 32 "| 10| 10|"
LATENCY_NS = 50.0  # xml lines 27/29 "50.000 ns"; rpt line 32 "50.000 ns | 50.000 ns"
II_MIN, II_MAX = 8, 8  # xml lines 31/32 Interval-min/-max; rpt line 32 "|    8|    8| dataflow |"
HLS = {"BRAM18": 0, "DSP": 73, "FF": 7969, "LUT": 2532, "URAM": 0}  # xml lines 38-42; rpt line 65 "|Total |"
AVAILABLE = {"BRAM18": 280, "DSP": 220, "FF": 106400, "LUT": 53200, "URAM": 0}  # xml lines 45-49; rpt line 67
# ---- hand-read from vivado_synth.rpt ----
VSYNTH_VERSION = "2020.1"  # line 3 "| Tool Version : Vivado v.2020.1 (lin64)"
VSYNTH_STATE = "Synthesized"  # line 9 "| Design State : Synthesized"
POST = {
    "LUT": 1526,  # line 33 "| Slice LUTs* | 1526 |"
    "FF": 2428,  # line 38 "| Slice Registers | 2428 |"
    "BRAM18": 0,  # line 72 "| Block RAM Tile | 0 |" (36 Kb tiles; x2 for BRAM18)
    "DSP": 66,  # line 85 "| DSPs | 66 |"
    "URAM": 0,  # no URAM row: a 7-series part has none
}


def _assert_csynth_figures(r: SynthReport):
    assert r.kind == "vendor"
    assert r.tool == "Vivado HLS"
    assert r.tool_version == VERSION
    assert r.part == PART
    assert r.top == TOP
    assert r.clock_target_ns == CLOCK_TARGET
    assert r.clock_estimate_ns == CLOCK_ESTIMATE
    assert r.latency_min_cycles == LATENCY_MIN
    assert r.latency_max_cycles == LATENCY_MAX
    assert r.latency_ns("min") == LATENCY_NS
    assert r.latency_ns("max") == LATENCY_NS
    assert r.interval_min_cycles == II_MIN
    assert r.interval_max_cycles == II_MAX
    assert r.resources["hls_estimate"] == HLS


def test_csynth_xml_figures():
    r = parse_path(XML)
    _assert_csynth_figures(r)
    assert r.clock_uncertainty_ns == CLOCK_UNCERTAINTY
    assert r.report_totals == AVAILABLE
    assert r.method == "vivado-hls-csynth"
    assert "post_synthesis" not in r.resources


def test_csynth_rpt_gives_the_same_figures_as_the_xml():
    from_rpt, from_xml = parse_path(RPT), parse_path(XML)
    _assert_csynth_figures(from_rpt)
    assert from_rpt.clock_uncertainty_ns == CLOCK_UNCERTAINTY
    assert from_rpt.report_totals == AVAILABLE
    assert from_rpt.sources[0]["format"] == "csynth-rpt"
    strip = lambda d: {k: v for k, v in d.items() if k != "sources"}  # noqa: E731
    assert strip(from_rpt.to_dict()) == strip(from_xml.to_dict())


def test_fixture_directory_adds_post_synthesis_figures():
    r = parse_path(FIXTURES)  # picks myproject_csynth.xml via vivado_hls.app's top="myproject"
    _assert_csynth_figures(r)
    assert r.resources["post_synthesis"] == POST
    assert r.post_synthesis_state == VSYNTH_STATE
    assert r.method == "vivado-hls-csynth+vivado-synth"
    assert [s["format"] for s in r.sources] == ["csynth-xml", "vivado-utilization"]
    assert r.sources[1]["version"] == VSYNTH_VERSION


def test_percentages_use_the_device_table():
    d = parse_path(FIXTURES).to_dict()
    assert d["part_totals"]["source"] == "devices.py:xc7z020clg400-1"
    assert {k: d["part_totals"][k] for k in AVAILABLE} == AVAILABLE
    hls, post = d["utilization_pct"]["hls_estimate"], d["utilization_pct"]["post_synthesis"]
    assert hls["LUT"] == pytest.approx(100 * 2532 / 53200, abs=1e-4)
    assert hls["DSP"] == pytest.approx(100 * 73 / 220, abs=1e-4)
    assert hls["FF"] == pytest.approx(100 * 7969 / 106400, abs=1e-4)
    assert post["LUT"] == pytest.approx(2.87, abs=0.005)  # vivado_synth.rpt line 33 Util% 2.87
    assert post["DSP"] == pytest.approx(30.00, abs=0.005)  # vivado_synth.rpt line 85 Util% 30.00
    assert post["URAM"] == 0.0 and hls["BRAM18"] == 0.0
    assert d["notes"] == []


def test_schema_fields_and_json_round_trip(tmp_path):
    r = parse_path(FIXTURES)
    d = r.to_dict()
    assert d["schema"] == SCHEMA and d["schema_version"] == 1
    assert set(d) == {
        "schema",
        "schema_version",
        "kind",
        "method",
        "tool",
        "top",
        "part",
        "sources",
        "clock",
        "latency",
        "interval",
        "timing",
        "resources",
        "post_synthesis_state",
        "report_totals",
        "part_totals",
        "utilization_pct",
        "notes",
    }
    assert d["timing"] == {
        "met": True,
        "slack_ns": None,
        "report_period_ns": None,
        "period_ns": 5.0,
        "period_from": "target",
        "undefined": {},
        "latency_null": {"min": None, "max": None},
        "note": None,
    }
    assert set(d["resources"]) == {"hls_estimate", "post_synthesis"}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(d))
    back = load_report(path)
    assert back == r
    assert back.to_dict() == d


def test_hls4ml_project_is_read_through_hls4ml_report(tmp_path):
    """An hls4ml output dir goes through hls4ml.report.parse_vivado_report and agrees with the loose files."""
    prj = tmp_path / "prj"
    report_dir = prj / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(XML, report_dir)
    shutil.copy(FIXTURES / "vivado_hls.app", prj / "myproject_prj")
    shutil.copy(VSYNTH, prj)
    (prj / "project.tcl").write_text(
        'variable project_name\nset project_name "myproject"\nvariable backend\nset backend "vivado"\n'
    )
    via_hls4ml = parse_path(prj)
    assert via_hls4ml.sources[0]["parser"] == "hls4ml.report.parse_vivado_report"
    assert via_hls4ml.sources[0]["path"] == str(report_dir / "myproject_csynth.xml")
    loose = parse_path(FIXTURES)
    strip = lambda d: {k: v for k, v in d.items() if k != "sources"}  # noqa: E731
    assert strip(via_hls4ml.to_dict()) == strip(loose.to_dict())


def test_loose_files_given_together():
    r = parse_files([VSYNTH, RPT])
    assert r.resources["post_synthesis"] == POST
    assert r.resources["hls_estimate"] == HLS


# ------------------------------------------------------------------ Vitis HLS 2023.2 layout

# Modelled on what Vitis HLS 2023.x writes to <prj>/solution1/syn/report/csynth.xml (and
# <top>_csynth.xml): an XML declaration, DSP instead of DSP48E, FlowTarget, PipelineInitiationInterval.
VITIS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion>
    <Version>2023.2</Version>
  </ReportVersion>
  <UserAssignments>
    <unit>ns</unit>
    <ProductFamily>virtexuplus</ProductFamily>
    <Part>xcvu13p-flga2577-2-e</Part>
    <TopModelName>myproject</TopModelName>
    <TargetClockPeriod>5.00</TargetClockPeriod>
    <ClockUncertainty>1.35</ClockUncertainty>
    <FlowTarget>vivado</FlowTarget>
  </UserAssignments>
  <PerformanceEstimates>
    <PipelineType>yes</PipelineType>
    <SummaryOfTimingAnalysis>
      <unit>ns</unit>
      <EstimatedClockPeriod>3.912</EstimatedClockPeriod>
    </SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency>
      <unit>clock cycles</unit>
      <Best-caseLatency>14</Best-caseLatency>
      <Average-caseLatency>14</Average-caseLatency>
      <Worst-caseLatency>14</Worst-caseLatency>
      <Best-caseRealTimeLatency>70.000 ns</Best-caseRealTimeLatency>
      <Average-caseRealTimeLatency>70.000 ns</Average-caseRealTimeLatency>
      <Worst-caseRealTimeLatency>70.000 ns</Worst-caseRealTimeLatency>
      <PipelineInitiationInterval>1</PipelineInitiationInterval>
      <PipelineDepth>14</PipelineDepth>
      <Interval-min>1</Interval-min>
      <Interval-max>1</Interval-max>
    </SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources>
      <BRAM_18K>4</BRAM_18K>
      <DSP>212</DSP>
      <FF>21873</FF>
      <LUT>60317</LUT>
      <URAM>0</URAM>
    </Resources>
    <AvailableResources>
      <BRAM_18K>5376</BRAM_18K>
      <DSP>12288</DSP>
      <FF>3456000</FF>
      <LUT>1728000</LUT>
      <URAM>1280</URAM>
    </AvailableResources>
  </AreaEstimates>
  <InterfaceSummary>
    <RtlPorts>
      <name>input_1</name>
      <Object>input_1</Object>
      <Type>pointer</Type>
      <Scope/>
      <IOProtocol>ap_none</IOProtocol>
      <IOConfig/>
      <Dir>in</Dir>
      <Bits>768</Bits>
      <Attribute>data</Attribute>
      <CType>int</CType>
    </RtlPorts>
  </InterfaceSummary>
</profile>
"""

VITIS_RPT = """

================================================================
== Vitis HLS Report for 'myproject'
================================================================
* Date:           Tue Jan 16 10:12:41 2024

* Version:        2023.2 (Build 4023990 on Oct 11 2023)
* Project:        myproject_prj
* Solution:       solution1 (Vivado IP Flow Target)
* Product family: virtexuplus
* Target device:  xcvu13p-flga2577-2-e


================================================================
== Performance Estimates
================================================================
+ Timing:
    * Summary:
    +--------+---------+----------+------------+
    |  Clock |  Target | Estimated| Uncertainty|
    +--------+---------+----------+------------+
    |ap_clk  |  5.00 ns|  3.912 ns|     1.35 ns|
    +--------+---------+----------+------------+

+ Latency:
    * Summary:
    +---------+---------+-----------+-----------+-----+-----+---------+
    |  Latency (cycles) |   Latency (absolute)  |  Interval | Pipeline|
    |   min   |   max   |    min    |    max    | min | max |   Type  |
    +---------+---------+-----------+-----------+-----+-----+---------+
    |       14|       14|  70.000 ns|  70.000 ns|    1|    1|      yes|
    +---------+---------+-----------+-----------+-----+-----+---------+

    + Detail:
        * Instance:
        N/A

        * Loop:
        N/A



================================================================
== Utilization Estimates
================================================================
* Summary:
+-----------------+---------+------+---------+---------+-----+
|       Name      | BRAM_18K|  DSP |    FF   |   LUT   | URAM|
+-----------------+---------+------+---------+---------+-----+
|DSP              |        -|     -|        -|        -|    -|
|Expression       |        -|     -|        0|    31542|    -|
|FIFO             |        -|     -|        -|        -|    -|
|Instance         |        4|   212|     9120|    27511|    0|
|Memory           |        -|     -|        -|        -|    -|
|Multiplexer      |        -|     -|        -|        -|    -|
|Register         |        -|     -|    12753|     1264|    -|
+-----------------+---------+------+---------+---------+-----+
|Total            |        4|   212|    21873|    60317|    0|
+-----------------+---------+------+---------+---------+-----+
|Available SLR    |     1344|  3072|   864000|   432000|  320|
+-----------------+---------+------+---------+---------+-----+
|Utilization SLR (%)|      ~0|     6|        2|       13|    0|
+-----------------+---------+------+---------+---------+-----+
|Available        |     5376| 12288|  3456000|  1728000| 1280|
+-----------------+---------+------+---------+---------+-----+
|Utilization (%)  |      ~0|     1|       ~0|        3|    0|
+-----------------+---------+------+---------+---------+-----+

+ Detail:
    * Instance:
    N/A

================================================================
== Interface
================================================================
* Summary:
+----------+-----+-----+------------+--------------+--------------+
| RTL Ports| Dir | Bits|  Protocol  | Source Object|    C Type    |
+----------+-----+-----+------------+--------------+--------------+
|ap_clk    |   in|    1|  ap_ctrl_hs|     myproject|  return value|
|ap_rst    |   in|    1|  ap_ctrl_hs|     myproject|  return value|
+----------+-----+-----+------------+--------------+--------------+
"""

# Vivado 2023.2 report_utilization on UltraScale+: CLB rows, a Prohibited column, a URAM row and a
# half-used Block RAM tile (one RAMB36 + one RAMB18 = 1.5 tiles = 3 BRAM18).
VITIS_VSYNTH = """Copyright 1986-2022 Xilinx, Inc. All Rights Reserved. Copyright 2022-2023 Advanced Micro Devices, Inc. All Rights Reserved.
---------------------------------------------------------------------------------------------------------------------------------------------
| Tool Version : Vivado v.2023.2 (lin64) Build 4029153 Fri Oct 13 20:13:54 MDT 2023
| Date         : Tue Jan 16 10:31:07 2024
| Host         : build01 running 64-bit AlmaLinux release 9.3
| Command      : report_utilization -file vivado_synth.rpt
| Design       : myproject
| Device       : xcvu13p-flga2577-2-e
| Speed File   : -2
| Design State : Synthesized
---------------------------------------------------------------------------------------------------------------------------------------------

Utilization Design Information

Table of Contents
-----------------
1. CLB Logic
1.1 Summary of Registers by Type
2. BLOCKRAM
3. ARITHMETIC

1. CLB Logic
------------

+----------------------------+-------+-------+------------+-----------+-------+
|          Site Type         |  Used | Fixed | Prohibited | Available | Util% |
+----------------------------+-------+-------+------------+-----------+-------+
| CLB LUTs*                  | 38412 |     0 |          0 |   1728000 |  2.22 |
|   LUT as Logic             | 38176 |     0 |          0 |   1728000 |  2.21 |
|   LUT as Memory            |   236 |     0 |          0 |    791040 |  0.03 |
| CLB Registers              | 15120 |     0 |          0 |   3456000 |  0.44 |
|   Register as Flip Flop    | 15120 |     0 |          0 |   3456000 |  0.44 |
| CARRY8                     |  2511 |     0 |          0 |    216000 |  1.16 |
+----------------------------+-------+-------+------------+-----------+-------+


2. BLOCKRAM
-----------

+-------------------+------+-------+------------+-----------+-------+
|     Site Type     | Used | Fixed | Prohibited | Available | Util% |
+-------------------+------+-------+------------+-----------+-------+
| Block RAM Tile    |  1.5 |     0 |          0 |      2688 |  0.06 |
|   RAMB36/FIFO*    |    1 |     0 |          0 |      2688 |  0.04 |
|     RAMB36E2 only |    1 |       |            |           |       |
|   RAMB18          |    1 |     0 |          0 |      5376 |  0.02 |
|     RAMB18E2 only |    1 |       |            |           |       |
| URAM              |    0 |     0 |          0 |      1280 |  0.00 |
+-------------------+------+-------+------------+-----------+-------+


3. ARITHMETIC
-------------

+----------------+------+-------+------------+-----------+-------+
|    Site Type   | Used | Fixed | Prohibited | Available | Util% |
+----------------+------+-------+------------+-----------+-------+
| DSPs           |  198 |     0 |          0 |     12288 |  1.61 |
|   DSP48E2 only |  198 |       |            |           |       |
+----------------+------+-------+------------+-----------+-------+
"""

VITIS_HLS = {"BRAM18": 4, "DSP": 212, "FF": 21873, "LUT": 60317, "URAM": 0}
VITIS_POST = {"LUT": 38412, "FF": 15120, "DSP": 198, "BRAM18": 3, "URAM": 0}


def _assert_vitis(r: SynthReport):
    assert r.tool == "Vitis HLS"
    assert r.tool_version == "2023.2"
    assert r.part == "xcvu13p-flga2577-2-e"
    assert r.top == "myproject"
    assert (r.clock_target_ns, r.clock_estimate_ns, r.clock_uncertainty_ns) == (5.0, 3.912, 1.35)
    assert (r.latency_min_cycles, r.latency_max_cycles) == (14, 14)
    assert r.latency_ns("max") == 70.0
    assert (r.interval_min_cycles, r.interval_max_cycles) == (1, 1)
    assert r.resources["hls_estimate"] == VITIS_HLS
    assert r.report_totals == {"BRAM18": 5376, "DSP": 12288, "FF": 3456000, "LUT": 1728000, "URAM": 1280}


@pytest.mark.parametrize("name,text", [("csynth.xml", VITIS_XML), ("csynth.rpt", VITIS_RPT)])
def test_vitis_2023_reports(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    r = parse_path(path)
    _assert_vitis(r)
    assert r.method == "vitis-hls-csynth"
    pct = r.to_dict()["utilization_pct"]["hls_estimate"]
    assert pct["LUT"] == pytest.approx(100 * 60317 / 1728000, abs=1e-4)


def test_vitis_unified_component_layout_with_vivado_synth(tmp_path):
    """vitis-run / v++ --mode hls write <component>/hls/syn/report/; vivado_synth.rpt beside the component."""
    report_dir = tmp_path / "myproject_comp" / "hls" / "syn" / "report"
    report_dir.mkdir(parents=True)
    (report_dir / "csynth.xml").write_text(VITIS_XML)
    (report_dir / "csynth.rpt").write_text(VITIS_RPT)
    (tmp_path / "vivado_synth.rpt").write_text(VITIS_VSYNTH)
    r = parse_path(tmp_path)
    _assert_vitis(r)
    assert r.sources[0]["path"] == str(report_dir / "csynth.xml")
    assert r.resources["post_synthesis"] == VITIS_POST
    assert r.sources[1]["version"] == "2023.2"
    assert r.to_dict()["part_totals"]["source"] == "devices.py:xcvu13p-flga2577-2-e"


def test_hls4ml_vitis_project(tmp_path):
    """hls4ml's Vitis backend keeps the <name>_prj/solution1 layout and writes hls.app (namespaced)."""
    report_dir = tmp_path / "myproject_prj" / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    (report_dir / "myproject_csynth.xml").write_text(VITIS_XML)
    (tmp_path / "myproject_prj" / "hls.app").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="com.autoesl.autopilot.project" name="myproject_prj" top="myproject" projectType="C/C++">\n'
        '  <solutions xmlns="">\n    <solution name="solution1" status="active"/>\n  </solutions>\n</project>\n'
    )
    (tmp_path / "project.tcl").write_text('set project_name "myproject"\nset backend "vitis"\n')
    r = parse_path(tmp_path)
    _assert_vitis(r)
    assert r.sources[0]["parser"] == "hls4ml.report.parse_vivado_report"


def test_undefined_latency_is_missing_not_zero(tmp_path):
    path = tmp_path / "csynth.xml"
    path.write_text(
        VITIS_XML.replace("<Worst-caseLatency>14<", "<Worst-caseLatency>undef<").replace(
            "<Interval-max>1<", "<Interval-max>undef<"
        )
    )
    r = parse_path(path)
    assert r.latency_max_cycles is None and r.latency_ns("max") is None
    assert r.interval_max_cycles is None
    assert r.latency_min_cycles == 14


# ------------------------------------------------------------------ bad input


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        parse_path(tmp_path / "nope")


def test_directory_without_reports(tmp_path):
    with pytest.raises(DataError, match=r"no C-synthesis report found.*_csynth\.xml") as err:
        parse_path(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_truncated_xml_names_the_file(tmp_path):
    path = tmp_path / "myproject_csynth.xml"
    path.write_text(XML.read_text()[:900])
    with pytest.raises(DataError, match=r"not a well-formed csynth\.xml") as err:
        parse_path(path)
    assert str(path) in str(err.value)


def test_xml_without_area_estimates(tmp_path):
    path = tmp_path / "csynth.xml"
    start, end = VITIS_XML.index("  <AreaEstimates>"), VITIS_XML.index("  <InterfaceSummary>")
    path.write_text(VITIS_XML[:start] + VITIS_XML[end:])
    with pytest.raises(DataError, match=r"expected <Resources> at profile/AreaEstimates/Resources"):
        parse_path(path)


def test_xml_with_a_non_number(tmp_path):
    path = tmp_path / "csynth.xml"
    path.write_text(VITIS_XML.replace("<LUT>60317<", "<LUT>lots<"))
    with pytest.raises(DataError, match="LUT should be a whole number, found 'lots'"):
        parse_path(path)


def test_rpt_without_utilization_section(tmp_path):
    path = tmp_path / "csynth.rpt"
    path.write_text(VITIS_RPT[: VITIS_RPT.index("== Utilization Estimates")])
    with pytest.raises(DataError, match="Utilization Estimates"):
        parse_path(path)


def test_unrelated_file(tmp_path):
    path = tmp_path / "notes.rpt"
    path.write_text("hello\n")
    with pytest.raises(SaltError, match=r"notes\.rpt: not a report salt-hls reads; expected an HLS csynth"):
        parse_path(path)


def test_post_synthesis_for_another_part_is_refused(tmp_path):
    (tmp_path / "vivado_synth.rpt").write_text(VITIS_VSYNTH)
    with pytest.raises(DataError, match=r"is for part xcvu13p-flga2577-2-e but .* is for xc7z020-clg400-1"):
        build_report(XML, tmp_path / "vivado_synth.rpt")


def test_utilization_without_lut_row(tmp_path):
    path = tmp_path / "vivado_synth.rpt"
    path.write_text(VITIS_VSYNTH.replace("CLB LUTs*", "Something"))
    with pytest.raises(DataError, match="lacks the rows Slice/CLB LUTs"):
        parse_files([RPT, path])


def test_two_csynth_files_are_refused():
    with pytest.raises(DataError, match="expected one C-synthesis report"):
        parse_files([XML, RPT])


def test_json_with_wrong_schema(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema": "other"}))
    with pytest.raises(DataError, match=r'r\.json: expected a JSON object with "schema"'):
        load_report(path)
    good = parse_path(FIXTURES).to_dict()
    good["latency"]["max_cycles"] = "ten"
    path.write_text(json.dumps(good))
    with pytest.raises(DataError, match=r"latency\.max_cycles must be an integer"):
        load_report(path)


def test_estimate_kind_uses_the_same_schema():
    r = SynthReport(
        kind="estimate",
        method="da4ml",
        part="xcvu13p-flga2577-2-e",
        clock_target_ns=5.0,
        latency_max_cycles=12,
        interval_max_cycles=1,
        resources={"post_synthesis": {"LUT": 45000, "FF": 20000, "DSP": 0, "BRAM18": 0, "URAM": 0}},
    )
    d = r.to_dict()
    assert d["kind"] == "estimate" and d["method"] == "da4ml"
    assert d["latency"]["max_ns"] == 60.0
    assert d["utilization_pct"]["post_synthesis"]["LUT"] == pytest.approx(100 * 45000 / 1728000, abs=1e-4)
    assert d["utilization_pct"]["hls_estimate"] is None
    assert SynthReport.from_dict(d) == r


# ------------------------------------------------------------------ where reports are found


def _vivado_hls_project(root: Path) -> Path:
    """A plain Vivado HLS project (no hls4ml project.tcl), with a sub-module report beside the top's."""
    prj = root / "myproject_prj"
    report_dir = prj / "solution1" / "syn" / "report"
    report_dir.mkdir(parents=True)
    shutil.copy(XML, report_dir)
    (report_dir / "relu_array_csynth.xml").write_text(XML.read_text().replace(">myproject<", ">relu_array<"))
    shutil.copy(FIXTURES / "vivado_hls.app", prj)
    return prj


@pytest.mark.parametrize("which", ["parent", "prj", "solution"])
def test_plain_hls_project_directories(tmp_path, which):
    prj = _vivado_hls_project(tmp_path)
    start = {"parent": tmp_path, "prj": prj, "solution": prj / "solution1"}[which]
    r = parse_path(start)
    assert r.sources[0]["path"] == str(prj / "solution1" / "syn" / "report" / "myproject_csynth.xml")
    assert r.sources[0]["parser"] == "salt_hls.vendor.readers"
    assert r.top == TOP and r.resources["hls_estimate"] == HLS


def test_several_reports_and_no_top_is_refused(tmp_path):
    prj = _vivado_hls_project(tmp_path)
    report_dir = prj / "solution1" / "syn" / "report"
    with pytest.raises(DataError, match=r"several C-synthesis reports .* pass the report file itself"):
        parse_path(report_dir)
