"""Budget loading, validation and checking."""

from pathlib import Path

import pytest
import yaml

from salt_hls.budget.check import check_report, evaluate, load_budget, parse_budget
from salt_hls.errors import ConfigError
from salt_hls.vendor.report import SynthReport, parse_path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"
CMS_L2 = ROOT / "synth_reports" / "budgets" / "cms-phase2-l2.yaml"

GOOD = {
    "part": "xcvu13p-flga2577-2-e",
    "clock_ns": 5.0,
    "ii_max_cycles": 1,
    "latency_max_ns": 100,
    "resource_max_pct": {"LUT": 13, "FF": 13, "DSP": 13, "BRAM18": 13, "URAM": 13},
}


def _report(**kw) -> SynthReport:
    base = dict(
        kind="estimate",
        method="test",
        part="xcvu13p-flga2577-2-e",
        clock_target_ns=5.0,
        clock_estimate_ns=4.2,
        latency_max_cycles=14,
        interval_max_cycles=1,
        resources={"hls_estimate": {"LUT": 200_000, "FF": 100_000, "DSP": 500, "BRAM18": 10, "URAM": 0}},
    )
    return SynthReport(**(base | kw))


def test_default_budget_values():
    b = load_budget(DEFAULT)
    assert b.name == "l1t-default"
    assert b.part == "xcvu13p-flga2577-2-e"
    assert b.clock_ns == 5.0
    assert b.ii_max_cycles == 1
    assert b.latency_max_ns == 100.0
    assert b.resources_from == "auto"
    assert b.resource_max_pct == {"LUT": 13.0, "FF": 13.0, "DSP": 13.0, "BRAM18": 13.0, "URAM": 13.0}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"latency_max": 100}, "unknown budget key 'latency_max'"),
        (
            {"jet_interval_ns": 9.4},
            "unknown budget key 'jet_interval_ns'; accepted keys: schema_version, name, "
            "resources_from, part, clock_ns, latency_max_ns, resource_max_pct, ii_max_cycles, jet_interval_max_ns",
        ),
        ({"jet_interval_max_ns": "9.4 ns"}, "budget key 'jet_interval_max_ns' must be a number"),
        ({"jet_interval_max_ns": 0}, "budget key 'jet_interval_max_ns' must be greater than 0"),
        ({"clock_ns": "5 ns"}, "budget key 'clock_ns' must be a number"),
        ({"clock_ns": True}, "budget key 'clock_ns' must be a number"),
        ({"clock_ns": 0}, "budget key 'clock_ns' must be greater than 0"),
        ({"ii_max_cycles": 1.5}, "budget key 'ii_max_cycles' must be an integer"),
        ({"part": 13}, "budget key 'part' must be a part string"),
        ({"part": "xcku115-flvb2104-2-e"}, "unknown FPGA part 'xcku115-flvb2104-2-e'; known parts: xcvu9p"),
        ({"resource_max_pct": {"LUTS": 13}}, "unknown budget key 'resource_max_pct.LUTS'"),
        ({"resource_max_pct": {"LUT": "13%"}}, "budget key 'resource_max_pct.LUT' must be a number"),
        ({"resource_max_pct": {"LUT": 130}}, "'resource_max_pct.LUT' must be a percent in 0..100"),
        ({"resource_max_pct": [13]}, "budget key 'resource_max_pct' must map resources"),
        ({"resources_from": "route"}, "budget key 'resources_from' must be one of auto, hls_estimate, post_synthesis"),
        ({"schema_version": 2}, "budget key 'schema_version' must be 1"),
    ],
)
def test_bad_budgets(change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_budget(GOOD | change, source="b.yaml")


def test_missing_key_and_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="budget key 'clock_ns' is missing"):
        parse_budget({k: v for k, v in GOOD.items() if k != "clock_ns"})
    path = tmp_path / "b.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match=r"b\.yaml: a budget must be a YAML mapping"):
        load_budget(path)
    path.write_text("part: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_budget(path)
    with pytest.raises(ConfigError, match="cannot read budget file"):
        load_budget(tmp_path / "absent.yaml")


def test_rows_for_a_fitting_report():
    rows = check_report(_report(), parse_budget(GOOD))
    assert [(r.figure, r.unit) for r in rows] == [
        ("clock target", "ns"),
        ("clock estimate", "ns"),
        ("interval (II) max", "cycles"),
        ("latency max", "ns"),
        ("LUT (HLS estimate)", "%"),
        ("FF (HLS estimate)", "%"),
        ("DSP (HLS estimate)", "%"),
        ("BRAM18 (HLS estimate)", "%"),
        ("URAM (HLS estimate)", "%"),
    ]
    assert all(r.ok for r in rows)
    assert rows[3].value == 70.0 and rows[3].limit == 100.0
    assert rows[4].value == pytest.approx(100 * 200_000 / 1_728_000, abs=1e-4)


def test_each_limit_can_fail():
    budget = parse_budget(GOOD)
    over = {
        "clock target": _report(clock_target_ns=5.5),
        "clock estimate": _report(clock_estimate_ns=5.2),
        "interval (II) max": _report(interval_max_cycles=2),
        "latency max": _report(latency_max_cycles=21),  # 105 ns at 5 ns
        "LUT (HLS estimate)": _report(resources={"hls_estimate": {"LUT": 230_000, "FF": 0, "DSP": 0, "BRAM18": 0, "URAM": 0}}),
    }
    for figure, report in over.items():
        failing = [r.figure for r in check_report(report, budget) if not r.ok]
        assert failing == [figure]


def test_missing_figures_do_not_fit():
    result = evaluate(_report(clock_estimate_ns=None), parse_budget(GOOD))
    assert not result.fits
    assert [r.figure for r in result.rows if not r.ok] == ["clock estimate"]
    assert any("clock estimate: missing" in n for n in result.notes)


def test_resources_from_prefers_post_synthesis_and_can_be_forced():
    post = {"LUT": 100, "FF": 100, "DSP": 0, "BRAM18": 0, "URAM": 0}
    report = _report(
        resources={"hls_estimate": {"LUT": 500_000, "FF": 0, "DSP": 0, "BRAM18": 0, "URAM": 0}, "post_synthesis": post}
    )
    assert evaluate(report, parse_budget(GOOD)).fits  # auto: post-synthesis figures
    forced = evaluate(report, parse_budget(GOOD | {"resources_from": "hls_estimate"}))
    assert [r.figure for r in forced.rows if not r.ok] == ["LUT (HLS estimate)"]
    no_post = evaluate(_report(), parse_budget(GOOD | {"resources_from": "post_synthesis"}))
    assert not no_post.fits and any("no estimate resource figures" in n for n in no_post.notes)


def test_resource_rows_name_the_evidence_they_read():
    post = {"post_synthesis": {"LUT": 100, "FF": 100, "DSP": 0, "BRAM18": 0, "URAM": 0}}
    labels = {
        kind: [r.figure for r in evaluate(_report(kind=kind, resources=post, **extra), parse_budget(GOOD)).rows][-5]
        for kind, extra in (
            ("estimate", {}),
            ("open-synthesis", {"tool": "yosys", "tool_version": "0.70"}),
            ("vendor", {"tool": "vivado", "tool_version": "2020.1"}),
        )
    }
    assert labels == {"estimate": "LUT (estimate)", "open-synthesis": "LUT (open synthesis)", "vendor": "LUT (post-synthesis)"}


def test_other_part_is_recomputed_against_the_budget_part(vendor_reports):  # skips without ../shared (conftest.py)
    report = parse_path(vendor_reports)  # xc7z020: 66 DSP post-synthesis = 30 % of that part
    result = evaluate(report, load_budget(DEFAULT))
    dsp = next(r for r in result.rows if r.figure.startswith("DSP"))
    assert dsp.value == pytest.approx(100 * 66 / 12_288, abs=1e-4)  # ... but 0.54 % of a VU13P
    assert dsp.ok
    assert any("differs from budget part" in n for n in result.notes)
    # The fixture's II of 8 does not meet II <= 1.
    assert [r.figure for r in result.rows if not r.ok] == ["interval (II) max"]


def test_default_yaml_is_commented():
    text = DEFAULT.read_text()
    assert yaml.safe_load(text)["part"] == "xcvu13p-flga2577-2-e"
    assert "SLR" in text and "200 MHz" in text


# ------------------------------------------------------------------ throughput as time per jet


def test_interval_as_time_instead_of_cycles():
    budget = parse_budget({k: v for k, v in GOOD.items() if k != "ii_max_cycles"} | {"jet_interval_max_ns": 9.4})
    assert (budget.ii_max_cycles, budget.jet_interval_max_ns) == (None, 9.4)
    rows = check_report(_report(interval_max_cycles=1), budget)
    assert [r.figure for r in rows][:4] == ["clock target", "clock estimate", "jet interval max", "latency max"]
    jet = rows[2]
    assert (jet.value, jet.limit, jet.unit, jet.ok) == (5.0, 9.4, "ns", True)  # II 1 x 5 ns
    jet = check_report(_report(interval_max_cycles=2), budget)[2]
    assert (jet.value, jet.ok) == (10.0, False)


def test_both_interval_forms_are_checked():
    budget = parse_budget(GOOD | {"ii_max_cycles": 2, "jet_interval_max_ns": 9.4})
    rows = {r.figure: r for r in check_report(_report(interval_max_cycles=2), budget)}
    assert rows["interval (II) max"].ok and rows["interval (II) max"].value == 2
    assert not rows["jet interval max"].ok and rows["jet interval max"].value == 10.0


def test_jet_interval_uses_the_period_of_a_failing_timing():
    budget = parse_budget(GOOD | {"jet_interval_max_ns": 9.4})
    jet = next(
        r for r in check_report(_report(interval_max_cycles=1, clock_estimate_ns=5.5), budget) if r.figure == "jet interval max"
    )
    assert jet.value == 5.5  # the report's own period: timing failed at 5.5 ns
    missing = evaluate(_report(interval_max_cycles=None), budget)
    assert any("jet interval max: missing" in n for n in missing.notes)


def test_a_budget_needs_a_throughput():
    with pytest.raises(ConfigError, match=r"sets no throughput; give 'jet_interval_max_ns' .* or 'ii_max_cycles', or both"):
        parse_budget({k: v for k, v in GOOD.items() if k != "ii_max_cycles"}, source="b.yaml")


def test_cms_phase2_l2_budget_values_and_sources():
    b = load_budget(CMS_L2)
    assert (b.name, b.part, b.clock_ns) == ("cms-phase2-l2", "xcvu13p-flga2577-2-e", 2.78)
    assert (b.ii_max_cycles, b.jet_interval_max_ns, b.latency_max_ns) == (None, 9.4, 100.0)
    assert b.resource_max_pct == {"LUT": 13.0, "FF": 13.0, "DSP": 13.0, "BRAM18": 13.0, "URAM": 13.0}
    text = CMS_L2.read_text()
    for source in ("CERN-LHCC-2020-004", "nJets = 16", "150 ns", "360 MHz", "l1t-context.md", "resource-levers.md"):
        assert source in text


def test_a_report_fits_one_budget_and_not_the_other():
    default, l2 = load_budget(DEFAULT), load_budget(CMS_L2)
    small = {"LUT": 150_000, "FF": 100_000, "DSP": 500, "BRAM18": 10, "URAM": 0}
    # 360 MHz, three cycles per jet (8.34 ns), 30 cycles (83.4 ns): layer 2's throughput, not II = 1.
    fast = _report(
        clock_target_ns=2.78,
        clock_estimate_ns=2.6,
        interval_max_cycles=3,
        latency_max_cycles=30,
        resources={"hls_estimate": small},
    )
    assert evaluate(fast, l2).fits
    assert [r.figure for r in evaluate(fast, default).rows if not r.ok] == ["interval (II) max"]
    # 200 MHz with II = 1 fits the default budget, but its 5 ns clock is not layer 2's.
    slow = _report(resources={"hls_estimate": small})
    assert evaluate(slow, default).fits
    assert [r.figure for r in evaluate(slow, l2).rows if not r.ok] == ["clock target", "clock estimate"]
    # II = 4 at 360 MHz is 11.1 ns per jet: too slow for 16 jets in 150 ns.
    four = _report(
        clock_target_ns=2.78,
        clock_estimate_ns=2.6,
        interval_max_cycles=4,
        latency_max_cycles=30,
        resources={"hls_estimate": small},
    )
    assert [r.figure for r in evaluate(four, l2).rows if not r.ok] == ["jet interval max"]
