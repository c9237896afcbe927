"""Open RTL evidence: the firmware traced with da4ml, Verilator bit-exact, Yosys on one layer."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from salt_hls.fixed import FixedType

N, D = 4, 4


def _tiny_model(seed=7, partitions=4, **geometry):
    from salt_hls.model.builders import ModelSpec, build_model

    spec = ModelSpec(
        **{
            "n_particles": N,
            "d_model": D,
            "n_heads": 1,
            "n_partitions": partitions,
            "ffn_dim": D,
            "classifier_dim": D,
            "quant": {"qkv.result": "10,2", "attn.result": "10,1"},
            **geometry,
        }
    )
    model = build_model(spec)
    r = np.random.default_rng(seed)
    model.set_weights([w + r.normal(0, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    return model, spec


@pytest.fixture(scope="module")
def tiny():
    from salt_hls.emulate import Reference
    from salt_hls.rtl.trace import Tracer

    model, spec = _tiny_model()
    ref = Reference(model)
    return model, spec, ref, Tracer(ref)


def _adversarial_inputs(n=200, seed=11):
    """Random jets, jets far beyond the input range (saturating), all-padding jets, one-particle jets."""
    r = np.random.default_rng(seed)
    x = r.normal(0, 2.0, (n, N, 3))
    x[: n // 4] *= 60.0  # the input quantizer and later sites saturate
    x[n // 4 : n // 4 + 10] = 0.0  # all padding
    x[n // 4 + 10 : n // 4 + 20, 1:] = 0.0  # one particle
    x[n // 4 + 20 : n // 4 + 30, N // 2 :] = 0.0  # half padding
    return x


def _interpreted(tracer, x):
    from da4ml.trace import comb_trace

    from salt_hls.emulate import round_to

    xv, yv = tracer.full()
    comb = comb_trace(xv._vars.ravel(), yv._vars.ravel())
    xq = round_to(x, tracer.input_type(tracer.input_name))
    return np.asarray(comb.predict(xq.reshape(len(x), -1)))


def _single(fn, t_in: FixedType):
    """Every value of t_in through the traced fn, by da4ml's interpreter."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from salt_hls.rtl.trace import HWCONF, kif

    x = FixedVariableArrayInput((1,), HWConfig(*HWCONF)).quantize(*kif(t_in))
    y = fn(x)
    grid = np.arange(t_in.min, t_in.max + t_in.lsb / 2, t_in.lsb)
    return grid, np.asarray(comb_trace(x._vars.ravel(), y._vars.ravel()).predict(grid[:, None]))[:, 0]


def test_cast_rounds_half_to_even_and_saturates():
    from salt_hls.rtl.trace import cast

    src = FixedType(8, 4)  # lsb 1/16, [-8, 7.9375]
    dst = FixedType.site(4, 2)  # lsb 1/4, [-2, 1.75]
    grid, got = _single(lambda x: cast(x, dst), src)
    np.testing.assert_array_equal(got, dst.cast(grid))
    # ties go to the even neighbour, beyond the range it saturates
    at = {v: got[np.searchsorted(grid, v)] for v in (0.125, 0.375, -0.125, -0.375, 5.0, -7.0)}
    assert at == {0.125: 0.0, 0.375: 0.5, -0.125: 0.0, -0.375: -0.5, 5.0: 1.75, -7.0: -2.0}


def test_table_lookup_holds_the_project_entries():
    from salt_hls.rtl.trace import table_lookup
    from salt_hls.tables import softmax_tables

    t = softmax_tables(4)
    diff = FixedType(12, 5, signed=False)  # differences 0 .. 32 - 2^-7: beyond the table's 8
    grid, got = _single(lambda x: table_lookup(x, t.exp_table, t.exp_index_bits, t.exp_t), diff)
    idx = np.minimum(np.floor(grid * 2.0**t.exp_index_bits), len(t.exp_table) - 1).astype(int)
    np.testing.assert_array_equal(got, t.exp_table[idx])
    assert got[0] == 1.0 and got[-1] == t.exp_table[-1]


def test_traced_firmware_equals_the_reference(tiny):
    """The traced graph, run by da4ml's interpreter, equals the reference on every bit, including
    saturating and all-padding jets."""
    _, _, ref, tracer = tiny
    x = _adversarial_inputs()
    expected = ref.run(x)
    got = _interpreted(tracer, x).reshape(expected.shape)
    np.testing.assert_array_equal(got, expected)
    _, kept = ref.run(x, keep=True)
    t = ref.plan["input_quant"].result
    assert np.any(kept["input_quant"] == t.max) and np.any(kept["input_quant"] == t.min)  # it did saturate


def test_traced_two_partition_firmware_equals_the_reference():
    """p = 2: the softmax traced as the firmware builds it (two tables of |s_0 - s_1|, nnet::pair_softmax)."""
    from salt_hls.emulate import Reference
    from salt_hls.rtl.trace import Tracer

    model, _ = _tiny_model(seed=3, partitions=2)
    ref = Reference(model)
    assert "top_table" in ref.plan["attn_softmax"].arrays
    x = _adversarial_inputs(seed=5)
    expected, kept = ref.run(x, keep=True)
    a = kept["attn_softmax"]
    assert np.any(a[..., 0] > a[..., 1]) and np.any(a[..., 0] < a[..., 1]) and np.any(a[..., 0] == a[..., 1])
    np.testing.assert_array_equal(_interpreted(Tracer(ref), x).reshape(expected.shape), expected)


def test_traced_folded_projections_equal_the_reference():
    """ModelSpec.fold_projections with two heads: K~ and V~ from the partition sums, the heads' A.V~ summed."""
    from salt_hls.emulate import Reference
    from salt_hls.rtl.trace import Tracer

    model, _ = _tiny_model(seed=4, partitions=2, d_model=8, n_heads=2, fold_projections=True)
    ref = Reference(model)
    assert ref.plan["attn_values"].attrs["sum_heads"]
    x = _adversarial_inputs(seed=6)
    expected = ref.run(x)
    np.testing.assert_array_equal(_interpreted(Tracer(ref), x).reshape(expected.shape), expected)


def test_a_wrong_layer_is_named(tiny):
    """A reference that differs in one layer's weights is localized to that layer."""
    import copy

    from salt_hls.emulate import Reference
    from salt_hls.rtl.flow import first_differing_layer

    _, _, ref, tracer = tiny
    plan = copy.deepcopy(ref.plan)
    plan["ffn1"].arrays["weight"] = plan["ffn1"].arrays["weight"] + 1.0
    found = first_differing_layer(tracer, Reference(plan), _adversarial_inputs(8)[-1:])
    assert found["layer"] == "ffn1" and found["n_values_differing"] > 0


def test_latency_cutoff_follows_the_clock():
    from salt_hls.rtl.verilog import latency_cutoff

    assert latency_cutoff(5.0, 0.27) == 4  # 3.65 ns usable / 0.8 ns per 16-bit adder level
    assert latency_cutoff(10.0, 0.125) == 10
    assert latency_cutoff(1.0, 0.5) == 1


def test_yosys_cells_map_to_resources():
    from salt_hls.rtl.synth import resources_from_cells

    res, by_size = resources_from_cells(
        {
            "LUT2": 3,
            "LUT6": 5,
            "FDRE": 7,
            "CARRY8": 2,
            "CARRY4": 3,
            "DSP48E2": 1,
            "RAMB36E2": 1,
            "RAMB18E2": 1,
            "MUXF7": 4,
            "SRL16E": 1,
            "INV": 2,
            "IBUF": 9,
        }
    )
    assert res == {
        "LUT": 8,
        "FF": 7,
        "CARRY8": 4,
        "CARRY4": 3,
        "DSP": 1,
        "BRAM18": 3,
        "URAM": 0,
        "LUTRAM": 0,
        "SRL": 1,
        "MUXF": 4,
        "INV": 2,
    }
    assert by_size == {"LUT2": 3, "LUT6": 5}


@pytest.mark.slow
def test_verilator_bit_exact_on_adversarial_jets(tiny, tmp_path):
    from salt_hls.rtl.flow import simulate
    from salt_hls.rtl.verilog import write_design

    _, _, ref, tracer = tiny
    xv, yv = tracer.full()
    design = write_design(xv, yv, tmp_path / "rtl", "salt_fw", 5.0, 0.27, "xcvu13p-flga2577-2-e")
    assert design.pipeline_depth >= 10 and (tmp_path / "rtl" / "src" / "salt_fw.v").is_file()
    design.compile()
    result = simulate(tracer, ref, design, _adversarial_inputs())
    assert result == {"n_jets": 200, "n_bit_exact": 200, "first_mismatch_jet": None, "first_mismatch_layer": None}


def test_a_verilator_build_is_kept_only_for_byte_identical_sources(tiny, tmp_path):
    """write_design keeps the library found in the folder when the sources it writes are the ones
    that library was built from, byte for byte; one byte changed, or --rebuild, and it is dropped.
    (A stand-in file plays the library: nothing is compiled here; the real reuse is in the flow test.)"""
    from salt_hls.rtl.verilog import build_sources, sources_digest, write_design

    _, _, _, tracer = tiny
    xv, yv = tracer.full()
    out = tmp_path / "rtl"
    args = ("salt_fw", 5.0, 0.27, "xcvu13p-flga2577-2-e")
    first = write_design(xv, yv, out, *args)
    assert first.prebuilt_library is None and first.verilog_sha256 == sources_digest(build_sources(out))
    assert "sim/build_binder.mk" in build_sources(out) and "src/salt_fw.v" in build_sources(out)
    library = out / "sim" / "libsalt_fw_wrapper_0b5e1d2c-1111-4222-8333-444455556666.so"
    library.write_bytes(b"stand-in")

    said = []
    again = write_design(xv, yv, out, *args, log=said.append)
    assert again.verilog_sha256 == first.verilog_sha256 and again.prebuilt_library == library and library.is_file()
    assert said == [] and not list(tmp_path.glob(".rtl-previous-build-*"))

    forced = write_design(xv, yv, out, *args, rebuild=True, log=said.append)
    assert forced.prebuilt_library is None and not library.exists()
    assert said == [f"not reusing the previous Verilator build in {out / 'sim'}: identical Verilog, but --rebuild"]

    library.write_bytes(b"stand-in")
    stage = out / "src" / "salt_fw_stage3.v"
    stage.write_bytes(stage.read_bytes().replace(b";", b" ;", 1))  # one byte more in one file
    assert sources_digest(build_sources(out)) != first.verilog_sha256
    said.clear()
    changed = write_design(xv, yv, out, *args, log=said.append)
    assert changed.prebuilt_library is None and not library.exists()
    assert changed.verilog_sha256 == first.verilog_sha256  # the folder is written afresh
    assert said == [f"not reusing the previous Verilator build in {out / 'sim'}: 1 source files differ (src/salt_fw_stage3.v)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rtl"]  # nothing left beside it


SPLIT = {"seed": 3, "fractions": [0.7, 0.1, 0.2]}  # as `salt-hls train` records it: 60 of tiny_jets' 300 held out


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from salt_hls.model.io import save_model

    model, spec = _tiny_model()
    meta = {
        "spec": spec.to_dict(),
        "sort": "kt",
        "normalization": {"center": [0.0, 0.0, 0.0], "scale": [0.02, 0.02, 0.02], "features": ["pt", "deta", "dphi"]},
        "data": {"split": SPLIT},
    }
    path = tmp_path_factory.mktemp("rtl") / "model"
    save_model(model, path, meta)
    return path


@pytest.fixture(scope="module")
def tiny_project(tiny_model_dir):
    from salt_hls.hls.convert import convert
    from salt_hls.settings import ConvertSettings

    convert(tiny_model_dir, tiny_model_dir.parent / "prj", ConvertSettings())
    return tiny_model_dir.parent / "prj"


def test_cli_writes_verilog_and_manifest(tiny_project, tmp_path):
    from salt_hls.cli import main

    r = CliRunner().invoke(main, ["rtl", str(tiny_project), "--out", str(tmp_path / "rtl"), "--no-synth", "--json"])
    assert r.exit_code == 0, r.output
    line = json.loads(r.output.strip().splitlines()[-1])
    manifest = json.loads((tmp_path / "rtl" / "manifest.json").read_text())
    assert line["pipeline_depth"] == manifest["pipeline_depth"] >= 10
    assert line["n_jets"] is None and "LUT" not in line  # nothing simulated or synthesized
    assert manifest["ports"]["model_inp"]["values"] == N * 3
    precisions = json.loads((tiny_project / "salt_summary.json").read_text())["precisions"]
    assert manifest["ports"]["model_inp"]["type"] == precisions["particles"]["types"]["result"]
    assert manifest["ports"]["model_out"]["values"] == 5
    assert (tmp_path / "rtl" / "rtl" / "src" / "salt_fw.v").is_file()


def test_cli_refuses_a_folder_that_is_not_a_project(tmp_path):
    from salt_hls.cli import main

    r = CliRunner().invoke(main, ["rtl", str(tmp_path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "is not a project written by `salt-hls convert`" in r.output


def test_test_split_is_csims_held_out_part_and_needs_jets(tiny_project, tiny_jets, tmp_path):
    from salt_hls.cli import main
    from salt_hls.data.jets import load_jets
    from salt_hls.data.preprocess import split_indices
    from salt_hls.rtl.flow import _select_jets

    r = CliRunner().invoke(main, ["rtl", str(tiny_project), "--out", str(tmp_path / "o"), "--test-split", "--no-synth"])
    assert r.exit_code == 2 and r.output.strip().splitlines()[-1] == (
        "error: --test-split selects the held-out part of a jets file: give the file with --jets"
    )
    assert not (tmp_path / "o").exists()  # refused before tracing
    held_out = split_indices(300, 3, (0.7, 0.1, 0.2))[2]
    assert len(held_out) == 60
    jets = _select_jets(tiny_project, tiny_jets, 7, test_split=True)
    np.testing.assert_array_equal(jets.features, load_jets(tiny_jets).features[held_out[:7]])


@pytest.mark.slow
def test_flow_rtl_verilator_and_yosys_on_one_layer(tiny_model_dir, tiny_jets, tmp_path):
    """`flow --rtl-no-synth`: convert -> C simulation -> estimate -> Verilator on the same held-out
    jets; then Yosys on one small layer in the report schema, and the budget checked on the
    strongest evidence: each figure from the open synthesis where it has one, else the estimate.
    (Yosys on every layer of even this model takes minutes: `flow --rtl` is run by hand.)"""
    from salt_hls.budget.check import evaluate_strongest, load_budget
    from salt_hls.cli import main
    from salt_hls.flow import DEFAULT_BUDGET
    from salt_hls.rtl.flow import TOP, layer_totals, load_reference, open_synthesis_report, project_clock, synthesize_layers
    from salt_hls.rtl.trace import Tracer
    from salt_hls.vendor.report import load_report

    out = tmp_path / "flow"
    args = ["flow", str(tiny_model_dir), "--jets", str(tiny_jets), "--test-split", "--max-jets", "20", "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "--rtl-no-synth", "--json"])
    s = json.loads(r.stdout)
    assert r.exit_code == (0 if s["budget"]["fits"] else 3), r.output
    v = s["rtl"]
    assert v["jets"] == {"file": str(tiny_jets), "split": "test", "count": 20}
    assert s["csim"]["n_jets"] == s["csim"]["n_bit_exact"] == v["n_jets"] == v["n_bit_exact"] == 20 and s["bit_exact"]
    assert v["synth"] is None and v["report"] is None and not (out / "rtl" / "report.json").exists()
    assert [row["figure"] for row in s["budget"]["rows"]][-5:] == [
        "LUT (estimate)",
        "FF (estimate)",
        "DSP (estimate)",
        "BRAM18 (estimate)",
        "URAM (estimate)",
    ]

    project = out / "project"
    layers = synthesize_layers(
        Tracer(load_reference(project)[0]), project_clock(project), tmp_path / "layers", only=["res1"], log=lambda m: None
    )
    (one,) = layers
    assert one.copies == N and one.resources["LUT"] > 0 and one.resources["CARRY8"] > 0 and one.resources["DSP"] == 0
    totals = layer_totals(layers)
    assert totals["resources"]["LUT"] == N * one.resources["LUT"]
    report = open_synthesis_report(
        totals["resources"], project_clock(project), v["pipeline_depth"], {"yosys": "Yosys 0.70"}, "test", [], []
    )
    path = tmp_path / "report.json"
    path.write_text(report.to_json())
    back = load_report(path)
    assert back.kind == "open-synthesis" and back.top == TOP
    assert back.resources["post_synthesis"]["LUT"] == N * one.resources["LUT"]

    estimate = load_report(out / "estimate.json")
    check = evaluate_strongest([estimate, back], load_budget(DEFAULT_BUDGET))
    rows = {row.figure: row.value for row in check.rows}
    assert list(rows) == [
        "clock target (open synthesis)",
        "clock estimate (estimate)",  # Yosys does no timing: the estimate's figure, named as such
        "interval (II) max (open synthesis)",
        "latency max (open synthesis)",
        "LUT (open synthesis)",
        "FF (open synthesis)",
        "DSP (open synthesis)",
        "BRAM18 (open synthesis)",
        "URAM (open synthesis)",
    ]
    assert rows["latency max (open synthesis)"] == v["latency_ns"] == 5.0 * v["pipeline_depth"]
    assert rows["clock estimate (estimate)"] == estimate.clock_estimate_ns
    assert rows["LUT (open synthesis)"] == round(100 * N * one.resources["LUT"] / 1_728_000, 4)  # VU13P

    # `salt-hls rtl` again into the flow's folder, on the same jets: the Verilog is byte-identical,
    # so the Verilator build the flow made is reused, and still every jet is bit-exact
    first = json.loads((out / "rtl" / "rtl_result.json").read_text())
    assert first["timings"]["verilator_build_reused"] is False and first["timings"]["verilator_build_s"] > 0
    args = ["rtl", str(project), "--out", str(out / "rtl"), "--jets", str(tiny_jets), "--test-split", "--max-jets", "20"]
    r = CliRunner().invoke(main, [*args, "--no-synth", "--json"])
    assert r.exit_code == 0, r.output
    assert f"reusing the Verilator build of identical Verilog (sha256 {first['verilog_sha256'][:16]}...)" in r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["n_bit_exact"] == 20
    again = json.loads((out / "rtl" / "rtl_result.json").read_text())
    assert (
        again["verilog_sha256"]
        == first["verilog_sha256"]
        == json.loads((out / "rtl" / "manifest.json").read_text())["verilog_sha256"]
    )
    assert again["timings"]["verilator_build_reused"] is True and again["timings"]["verilator_build_s"] == 0
    assert again["n_jets"] == again["n_bit_exact"] == 20
    assert len(list((out / "rtl" / "rtl" / "sim").glob("libsalt_fw_wrapper_*.so"))) == 1
