"""The estimate without vendor tools: hand-checkable counts on a small converted SAL-T, da4ml's
own figures for the constant multiplications, the schedule, the schema through `salt-hls check`,
the reuse factor, and the refusal of a path that is not a project."""

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from salt_hls.cli.synth import check_command, estimate_command
from salt_hls.errors import DataError
from salt_hls.estimate.cost import (
    CostOptions,
    LayerCost,
    LayerCoster,
    Step,
    cast_cost,
    cmvm,
    cmvm_kif,
    multiplier,
    rom_luts,
    two_operand_adder_luts,
)
from salt_hls.estimate.estimator import METHOD, EstimateOptions, estimate_project
from salt_hls.estimate.project import parse_type, read_project
from salt_hls.estimate.schedule import _Clock
from salt_hls.fixed import FixedType
from salt_hls.vendor.report import load_report

ROOT = Path(__file__).resolve().parents[1]
N, HEADS, K, HEAD_DIM, WIDTH = 8, 4, 4, 4, 16  # ModelSpec(n_particles=8) defaults: p = 4, d_model 16, 4 heads


@functools.lru_cache(maxsize=1)
def _model():
    from salt_hls.model.builders import ModelSpec, build_model

    model = build_model(ModelSpec(n_particles=N))
    r = np.random.default_rng(0)
    model.set_weights([w + r.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _convert(path, reuse=1, parallelization=1, **settings):
    """The same small model every time (its weights are fixed once), converted without compiling.
    ParallelizationFactor 1 (one particle per cycle, II = N) unless asked: the what-if tests compare
    it with all particles at once."""
    from salt_hls.hls.convert import ConvertSettings, convert

    x = np.random.default_rng(1).normal(0, 1, (4, N, 3)).astype(np.float32)
    convert(_model(), path, ConvertSettings(reuse=reuse, parallelization=parallelization, **settings), tb_inputs=x)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _convert(tmp_path_factory.mktemp("est") / "prj")


@pytest.fixture(scope="module")
def tiny_report(tiny):
    return estimate_project(tiny)


def _layer(report, name):
    return next(ly for ly in report.breakdown["layers"] if ly["name"] == name)


def test_multiplier_and_table_counts_by_hand(tiny):
    r = estimate_project(tiny, EstimateOptions(table_impl="auto"))  # the block-RAM what-if: table counts by hand
    assert r.kind == "estimate" and r.method == METHOD and r.tool == "salt-hls estimate"
    scores, values, softmax = (_layer(r, n) for n in ("scores", "attn_values", "attn_softmax"))
    # Q.K~^T: heads * N * k outputs of head_dim products; 16-bit x 16-bit signed fits one DSP48E2 (27 x 18)
    assert scores["multipliers"][0]["count"] == HEADS * N * K * HEAD_DIM == 512
    assert scores["multipliers"][0]["impl"] == "dsp" and scores["dsp"] == 512
    # A.V~: N * width outputs of k products; ufixed<10,1> (11 bits signed) x 16 bits: one DSP each
    assert values["multipliers"][0]["count"] == N * WIDTH * K == 512 and values["dsp"] == 512
    # softmax normalization e_j * 1/sum: ufixed<16,1> x ufixed<16,1> (17 x 17 signed), one per row entry
    assert softmax["dsp"] == HEADS * N * K == 128
    assert r.resources["post_synthesis"]["DSP"] == 512 + 512 + 128
    # tables (what-if auto): one port per look-up, 1024 x 16 (or x 12) bits > 4096 bits -> BRAM18 (1K x 18), 2 ports each
    exp, inv = softmax["tables"]
    assert (exp["name"], exp["lookups"], exp["impl"], exp["bram18"]) == ("exp", HEADS * N * K, "bram18", 64)
    assert (inv["name"], inv["lookups"], inv["bram18"]) == ("reciprocal", HEADS * N, 16)
    (tanh,) = _layer(r, "dyt1")["tables"]
    assert (tanh["lookups"], tanh["entries"], tanh["bits"], tanh["bram18"]) == (N * WIDTH, 1024, 12, 64)
    # the last DyT runs after the max pooling (salt_hls.model.firmware.pool_before_dyt): one look-up per feature
    (tanh,) = _layer(r, "dyt2")["tables"]
    assert (tanh["lookups"], tanh["entries"], tanh["bits"], tanh["bram18"]) == (WIDTH, 1024, 12, 8)
    names = [ly["name"] for ly in r.breakdown["layers"]]
    assert names.index("res2") < names.index("pool") < names.index("dyt2") < names.index("head1")
    assert r.resources["post_synthesis"]["BRAM18"] == 64 + 16 + 64 + 8
    # ParallelizationFactor 1: the pointwise layers process one particle per cycle, II = N
    assert r.interval_max_cycles == N and r.breakdown["settings"]["pipeline_style"] == "dataflow"
    assert _layer(r, "k_proj")["instances"] == 1 and _layer(r, "k_proj")["interval_cycles"] == N
    assert sum(ly["lut"] for ly in r.breakdown["layers"]) == r.resources["post_synthesis"]["LUT"]


def test_lut_rom_default_and_full_parallel_what_if(tiny, tiny_report):
    assert tiny_report.resources["post_synthesis"]["BRAM18"] == 0  # LUT-ROMs by default: what the firmware builds
    r = estimate_project(tiny, EstimateOptions(full_parallel=True))
    assert r.resources["post_synthesis"]["BRAM18"] == 0 and r.interval_max_cycles == 1
    p = read_project(tiny)
    (tanh,) = _layer(r, "dyt1")["tables"]
    array = next(c for c in p.calls if c.name == "dyt1").weights[1]
    assert tanh["luts_each"] == rom_luts(p.weight(array, f"{array}_t"), p.types[f"{array}_t"])[0] > 0
    assert tanh["impl"] == "lut-rom" and tanh["luts"] == tanh["luts_each"] * N * WIDTH
    k_proj = _layer(r, "k_proj")
    assert k_proj["instances"] == N and k_proj["interval_cycles"] == 1
    assert k_proj["lut_by_category"]["cmvm"] == round(k_proj["cmvm"][0]["luts_each"] * N)
    assert r.latency_max_cycles < tiny_report.latency_max_cycles


def test_rom_luts_by_hand():
    # 128 entries of v = i // 8 in 4 unsigned integer bits: bits 0-2 vary inside both 64-entry blocks
    # (3 x 2 LUT6), bit 3 is 0 in the first block and 1 in the second (no LUT); no mux above 512 entries
    values = np.arange(128) // 8
    assert rom_luts(values, FixedType(4, 4, signed=False))[0] == 6
    # a constant table costs nothing; 1024 entries of a varying bit: 16 LUT6 + one 4:1 LUT mux
    assert rom_luts(np.zeros(256), FixedType(8, 8, signed=False))[0] == 0
    assert rom_luts(np.arange(1024) % 2, FixedType(1, 1, signed=False))[0] == 17


def test_cmvm_luts_are_da4mls_own(tiny, tiny_report):
    from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

    def direct(kernel, t, bias=None):
        k, i, f = t.kif
        n = kernel.shape[0]
        x = FixedVariableArray.from_kif(
            np.full(n, k),
            np.full(n, i),
            np.full(n, f),
            HWConfig(1, -1, -1),
            solver_options={"hard_dc": 2, "search_all_decompose_dc": True},
        )
        y = x @ kernel
        return comb_trace(x, y if bias is None else y + bias).cost

    kernel = np.array([[0.5, -0.25], [0.75, 1.0], [0.125, 0.0]])
    t = parse_type("ap_fixed<8,3,AP_RND_CONV,AP_SAT,0>")
    assert cmvm(kernel, t).luts == direct(kernel, t) > 0
    # the head's dense layer in the project, from its weight files: the breakdown holds da4ml's figure
    p = read_project(tiny)
    call = next(c for c in p.calls if c.name == "head1")
    cfg = p.config(call)
    w = p.weight(call.weights[0], cfg["weight_t"]).reshape(cfg["n_in"], cfg["n_out"])
    b = p.weight(call.weights[1], cfg["bias_t"])
    assert _layer(tiny_report, "head1")["cmvm"][0]["luts_each"] == direct(w, p.type_of_var(call.inputs[0]), b)


def test_cmvm_with_one_format_per_input():
    kernel = np.array([[0.5, -0.25], [0.75, 1.0], [0.125, 0.375]])
    t = FixedType(8, 3)
    same = np.tile(t.kif, (3, 1))
    assert cmvm_kif(kernel, same) == cmvm(kernel, t)
    # the first input 3 bits narrower (integer bits 2 -> -1): a cheaper graph, costed by da4ml as such
    narrow = same.copy()
    narrow[0, 1] = -1
    assert 0 < cmvm_kif(kernel, narrow).luts < cmvm(kernel, t).luts
    with pytest.raises(ValueError, match=r"one \(k, i, f\) per kernel row: \(2, 3\) for 3 rows"):
        cmvm_kif(kernel, same[:2])


def test_multiplier_rule():
    s16 = FixedType(16, 7)
    assert multiplier(s16, s16) == {"impl": "dsp", "dsp": 1, "luts": 0, "delay_ns": multiplier(s16, s16)["delay_ns"]}
    assert multiplier(FixedType(30, 10), FixedType(30, 10))["dsp"] == 4  # ceil(30/27) x ceil(30/18)
    assert multiplier(FixedType(27, 5), FixedType(18, 5))["dsp"] == 1
    lut = multiplier(FixedType(8, 3), FixedType(16, 7))  # 8 bits signed < 10: a LUT multiplier, min((8+1) x 16, (16+1) x 8) LUTs
    assert lut["impl"] == "lut" and lut["luts"] == 17 * 8 and lut["dsp"] == 0


def test_bound_products_are_costed_where_the_pragma_puts_them(tmp_path):
    # auto: the 16-bit products of the tiny model are on DSPs (1,152); --dsp-min-bits 20 asks what LUTs would cost
    auto = _convert(tmp_path / "auto", parallelization=None)
    assert estimate_project(auto).resources["post_synthesis"]["DSP"] == 512 + 512 + 128
    in_luts = estimate_project(auto, EstimateOptions(dsp_min_bits=20))
    fabric = estimate_project(_convert(tmp_path / "fabric", parallelization=None, products="fabric"))
    assert fabric.resources["post_synthesis"]["DSP"] == 0
    for name in ("scores", "attn_values", "attn_softmax"):
        (m,) = _layer(fabric, name)["multipliers"]
        wa, wb = FixedType.parse(m["a"]).width, FixedType.parse(m["b"]).width
        assert m["impl"] == "lut" and m["luts_each"] == min((wa + 1) * wb, (wb + 1) * wa) > 0
        assert _layer(fabric, name)["lut"] == _layer(in_luts, name)["lut"]
    assert fabric.breakdown["settings"]["products"] == "fabric"
    # dsp: bound, whatever the operand widths; the what-if threshold then has no effect, and says so
    dsp = estimate_project(_convert(tmp_path / "dsp", parallelization=None, products="dsp"), EstimateOptions(dsp_min_bits=20))
    assert dsp.resources["post_synthesis"]["DSP"] == 512 + 512 + 128
    assert "--dsp-min-bits has no effect: the project binds its data x data products (--products dsp)" in dsp.notes


def test_summed_heads_are_costed_as_dot_products_over_heads_and_partitions(tmp_path):
    from salt_hls.hls.convert import ConvertSettings, convert
    from salt_hls.model.builders import ModelSpec, build_model

    model = build_model(ModelSpec(n_particles=N, fold_projections=True))  # d_model 16, 4 heads, p = 4
    convert(model, tmp_path / "prj", ConvertSettings(products="fabric"))
    values = _layer(estimate_project(tmp_path / "prj"), "attn_values")
    (m,) = values["multipliers"]
    # V~ holds 4 heads x 16 columns; each of the N x 16 outputs sums 4 heads x 4 partitions of products
    assert m["count"] == N * HEADS * WIDTH * K == 2048 and m["impl"] == "lut"
    p = read_project(tmp_path / "prj")
    call = next(c for c in p.calls if c.name == "attn_values")
    assert p.config(call)["sum_heads"] == 1 and p.size_of_var(call.output) == N * WIDTH
    acc = p.types[p.config(call)["accum_t"]]
    assert values["lut_by_category"]["add"] == N * WIDTH * (HEADS * K - 1) * acc.width


def test_cast_and_packing_rules_by_hand():
    # fixed<28,12> -> fixed<16,7,RND_CONV,SAT> (k_quant's cast): 7 fraction bits dropped (the increment rides the
    # carry chain: no LUT, an adder's delay) and 5 integer bits (16 select LUTs + 2 x 5 - 1 for the two range
    # comparisons): 25 LUTs, what Yosys maps it to (benchmarks/rtl/rules.md)
    src, dst = parse_type("ap_fixed<28,12>"), parse_type("ap_fixed<16,7,AP_RND_CONV,AP_SAT,0>")
    assert cast_cost(src, dst) == (16 + 2 * 5 - 1, 0.8 + 0.5)
    assert cast_cost(src, dst, rounding=False) == (25, 0.5)  # truncation saves the adder's delay only
    # embed_relu's cast fixed<25,9> -> ufixed<16,6,RND_CONV,SAT>: every source bit below the sign zeroed (24 in Yosys)
    assert cast_cost(parse_type("ap_fixed<25,9>"), parse_type("ap_ufixed<16,6,AP_RND_CONV,AP_SAT,0>"))[0] == 24
    assert cast_cost(src, parse_type("ap_fixed<28,12>")) == (0.0, 0.0)
    coster = LayerCoster(None, CostOptions(dsp_min_bits=1, dsp_packing=True))
    lc = LayerCost("x", "f", "k")
    coster._mults(lc, "8 x 9 bits: two per DSP48E2", FixedType(8, 3), FixedType(8, 1, signed=False), 100, 4)
    assert lc.dsp == 50 and lc.multipliers[0]["impl"] == "dsp-packed"
    coster._mults(lc, "16 x 16 bits: one each", FixedType(16, 7), FixedType(16, 7), 100, 4)
    assert lc.dsp == 150


def test_residual_add_rule_is_what_yosys_maps():
    # salt_n16's res1: ufixed<16,6> + fixed<16,7> -> fixed<18,8>; both operands live at bit weights 2^-9..2^5:
    # 15 LUTs (Yosys 3,840 for 256 elements), not the 18 of the result width
    assert two_operand_adder_luts(FixedType(16, 6, signed=False), FixedType(16, 7)) == 15
    # res2: fixed<12,1> + fixed<16,7> -> fixed<19,8>: the signed operand's extension is live (16, Yosys 4,096 / 256)
    assert two_operand_adder_luts(FixedType(12, 1), FixedType(16, 7)) == 16
    assert two_operand_adder_luts(FixedType(4, 4), FixedType(4, 0, signed=False)) == 0  # no overlap: wires only
    assert two_operand_adder_luts(FixedType(4, 4), FixedType(4, 0)) == 4  # ... unless the sign extends under the other


def test_schedule_cuts_adder_levels_at_the_usable_period():
    clock = _Clock(3.65)  # 5 ns less 27 % uncertainty
    end, ff = clock.run((0, 0.0), Step("six adder levels", 6 * 0.9, bits=100, atom_ns=0.9), bits_before=50)
    assert end == (1, pytest.approx(1.8)) and ff == 100  # four levels in cycle 0, two in cycle 1
    end, ff = clock.run((0, 3.0), Step("BRAM read", 1.2, cycles=1), bits_before=40)
    assert end == (1, 1.2) and ff == 40
    end, ff = clock.run((0, 3.0), Step("DSP", 2.8), bits_before=30)
    assert end == (1, 2.8) and ff == 30  # does not fit what is left: starts the next cycle


def test_reuse_2_halves_the_multipliers(tiny, tiny_report, tmp_path):
    r2 = estimate_project(_convert(tmp_path / "r2", reuse=2))
    assert r2.resources["post_synthesis"]["DSP"] * 2 == tiny_report.resources["post_synthesis"]["DSP"] == 1152
    assert _layer(r2, "scores")["multipliers"][0]["instances"] == 256
    for layer in ("attn_softmax", "dyt1", "dyt2"):  # table copies halved too: R look-ups share one LUT-ROM
        halved = [(t["lookups"], 2 * t["luts"]) for t in _layer(r2, layer)["tables"]]
        assert halved == [(t["lookups"], t["luts"]) for t in _layer(tiny_report, layer)["tables"]]
    assert r2.interval_max_cycles == 2 * N  # one particle per 2 cycles in the pointwise layers
    # the what-if override on the reuse-1 project gives the same figures as converting with reuse 2
    what_if = estimate_project(tiny, EstimateOptions(reuse=2))
    assert what_if.resources == r2.resources and what_if.latency_max_cycles == r2.latency_max_cycles


def test_schema_round_trip_through_check(tiny, tmp_path):
    out = tmp_path / "report.json"
    res = CliRunner().invoke(estimate_command, [str(tiny), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["kind"] == "estimate" and data["schema"] == "salt-hls/synth-report"
    assert data["breakdown"]["layers"][0]["name"] == "embed" and data["resources"]["hls_estimate"] is None
    back = load_report(out)
    assert back.kind == "estimate" and back.resources == data_resources(data) and back.interval_max_cycles == N
    loose = tmp_path / "loose.yaml"
    loose.write_text(
        "part: xcvu13p-flga2577-2-e\nclock_ns: 5\nii_max_cycles: 100\nlatency_max_ns: 100000\n"
        "resource_max_pct: {LUT: 100, FF: 100, DSP: 100, BRAM18: 100, URAM: 100}\n"
    )
    res = CliRunner().invoke(check_command, [str(out), "--budget", str(loose), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["report"]["kind"] == "estimate"
    res = CliRunner().invoke(check_command, [str(out), "--budget", str(ROOT / "synth_reports/budgets/l1t-default.yaml")])
    assert res.exit_code == 3, res.output  # II = 8 > 1: over budget (salt_hls.cli.exit_codes)


def data_resources(data):
    return {k: v for k, v in data["resources"].items() if v is not None}


def test_not_a_project(tmp_path):
    with pytest.raises(DataError, match=r"salt_summary\.json is missing"):
        estimate_project(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        estimate_project(tmp_path / "nowhere")
    (tmp_path / "salt_summary.json").write_text("{}")
    with pytest.raises(DataError, match="not a complete hls4ml project"):
        estimate_project(tmp_path)
    res = CliRunner().invoke(estimate_command, [str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "does not exist" in res.output


DA_SNIPPET = """
template <typename inp_t, typename out_t>
void dense_da_7(inp_t model_inp[2], out_t model_out[2]) { // ap_fixed<8,3> -> ap_fixed<12,5>
    #pragma HLS INLINE

    ap_fixed<8,3> v0 = model_inp[0]; // 0.0
    ap_fixed<8,3> v1 = model_inp[1]; // 0.0
    ap_fixed<10,5> v2 = v0 + bit_shift<2>(v1); // 1.0
    ap_fixed<11,5> v3 = v2 - v1; // 2.0
    ap_fixed<11,5> v4 = v3 - ap_ufixed<1,2>(2.0); // 3.0
    ap_fixed<9,4> v5 = bit_shift<1>(v0); // 0.0

    model_out[0] = ap_fixed<12,5>(v4);
    model_out[1] = ap_fixed<12,5>(v5);
}
"""


def test_da_kernel_is_read_from_the_emitted_code():
    from salt_hls.estimate.project import read_da_kernels

    k = read_da_kernels(DA_SNIPPET)["dense_da_7"]
    # three adders (v2, v3, v4: the constant subtraction is an adder too) of 10 + 11 + 11 bits; v5 is a wire
    assert (k.n_adders, k.adder_bits, k.depth, k.out_width) == (3, 32, 3, 12)


def test_distributed_arithmetic_project_is_costed_as_emitted(tiny, tmp_path):
    # hls4ml's default depth constraint: the one the estimator's own da4ml model (Latency projects) uses
    prj = _convert(tmp_path / "da", parallelization=None, dense_strategy="distributed_arithmetic", da_hard_dc=2)
    rep = estimate_project(prj)
    emitted = read_project(prj).da_kernels
    ffn1 = _layer(rep, "ffn1")
    (entry,) = ffn1["cmvm"]
    assert entry["what"].endswith("(distributed arithmetic, as emitted)")
    assert entry["luts_each"] == emitted[entry["what"].split()[0]].adder_bits
    assert ffn1["lut_by_category"]["cmvm"] == entry["luts_each"] * N  # one adder graph per particle (PF = N)
    assert rep.interval_max_cycles == 1
    # da4ml's own cost model (used for Latency-strategy projects) and the graph hls4ml emitted agree to 25 %
    latency_cmvm = _layer(estimate_project(tiny, EstimateOptions(full_parallel=True)), "ffn1")["lut_by_category"]["cmvm"]
    assert 0.75 < ffn1["lut_by_category"]["cmvm"] / latency_cmvm < 1.25


def test_the_adder_depth_constraint_reaches_hls4ml_s_distributed_arithmetic(tmp_path):
    import os

    deep = read_project(_convert(tmp_path / "dc9", parallelization=None, dense_strategy="distributed_arithmetic", da_hard_dc=9))
    flat = read_project(_convert(tmp_path / "dc0", parallelization=None, dense_strategy="distributed_arithmetic"))
    assert "DA_HARD_DC" not in os.environ  # set for the conversion only
    depth = {name: (k.depth, k.n_adders) for name, k in flat.da_kernels.items()}
    loose = {name: (k.depth, k.n_adders) for name, k in deep.da_kernels.items()}
    assert depth.keys() == loose.keys()
    # minimal depth never deeper; somewhere it is shallower, paid in adders
    assert all(depth[n][0] <= loose[n][0] for n in depth)
    assert any(depth[n][0] < loose[n][0] for n in depth)
    assert sum(a for _, a in depth.values()) >= sum(a for _, a in loose.values())
    assert json.loads((tmp_path / "dc0" / "salt_summary.json").read_text())["settings"]["da_hard_dc"] == 0


def test_distributed_arithmetic_time_multiplexed_like_latency(tiny, tiny_report, tmp_path):
    """ParallelizationFactor 1 with distributed arithmetic: one adder graph fed the particles one after
    another, with the same input multiplexer and II as the Latency project's shared dense unit."""
    rep = estimate_project(_convert(tmp_path / "da1", parallelization=1, dense_strategy="distributed_arithmetic"))
    da, lat = _layer(rep, "ffn1"), _layer(tiny_report, "ffn1")
    assert da["interval_cycles"] == lat["interval_cycles"] == N
    assert da["instances"] == lat["instances"] == 1
    assert da["lut_by_category"]["sharing_mux"] == lat["lut_by_category"]["sharing_mux"] > 0
    assert da["lut_by_category"]["cmvm"] == da["cmvm"][0]["luts_each"]  # one graph, not N
