"""Firmware structure (salt_hls.hls.structure) and the static checks of generated projects
(salt_hls.hls.static_check) on the shipped models, without compiling them."""

import json
import re
import shutil
from pathlib import Path

import pytest

from salt_hls.errors import ConfigError
from salt_hls.hls.static_check import check_project, function_body, function_pragmas
from salt_hls.hls.structure import UNROLL_LIMIT, groups_for, pointwise_latency_ii, requested_ii, salt_groups

SALT_CALLS = ("partition_projection", "attention_scores", "logit_conv", "partition_softmax", "weighted_values", "dynamic_tanh")
ROOT = Path(__file__).resolve().parents[1]
PER_PARTICLE_16x16 = ("k_proj", "q_proj", "v_proj", "attn_out", "ffn1", "ffn2")


def test_groups_keep_every_function_within_the_limit():
    # the logit convolution of the shipped models: 4 heads x 4 columns x a 5 x 4 kernel = 320 products per particle
    assert [groups_for(n, 320) for n in (16, 32, 64)] == [2, 4, 8]
    assert groups_for(64, 64) == 1  # Q.K~^T at N = 64: exactly 4,096 products
    assert groups_for(12, 1000) == 3 and groups_for(10, 1500) == 5  # the fewest that fit, a divisor of N (not 4, not 3)
    cfg = {"n_rows": 4 * 64, "k": 4}
    assert salt_groups("partition_softmax", cfg) == 1
    with pytest.raises(ConfigError, match="unrolls 5000 operations, more than the limit 4096"):
        groups_for(8, 5000)


def test_requested_ii():
    assert requested_ii(1, 32, None) == 1
    assert requested_ii(2, 32, None) == 2
    assert requested_ii(1, 32, 16) == 2
    assert requested_ii(3, 64, 16) == 12


def test_pointwise_latency_ii_follows_hls4ml_allocation():
    assert pointwise_latency_ii(1, 32, 16, 16, 1, 0) == 1  # BatchedDenseForConv1D: all products allowed
    assert pointwise_latency_ii(1, 32, 16, 16, 3, 5) == 3
    assert pointwise_latency_ii(16, 1, 16, 16, 1, 0) == 16  # one particle per clock
    assert pointwise_latency_ii(2, 8, 16, 16, 1, 0) == 16  # 8 particles on one particle's multipliers
    assert pointwise_latency_ii(2, 8, 16, 16, 2, 0) == 32


def test_salt_headers_keep_their_pipelines_and_allocations_inside():
    source = "\n".join(f.read_text() for f in sorted((ROOT / "hls_templates").glob("salt_*.h")))
    for name in (
        "partition_projection",
        "linformer_projection",
        "attention_scores",
        "weighted_values",
        "logit_conv",
        "partition_softmax",
        "dynamic_tanh",
    ):
        pragmas = function_pragmas(function_body(source, name))
        assert "INLINE off" in pragmas and "PIPELINE II=CONFIG_T::reuse_factor" in pragmas, name
        assert "INLINE" not in pragmas, name
    for name in ("attention_scores_group", "weighted_values_group"):
        pragmas = function_pragmas(function_body(source, name))
        assert "INLINE off" in pragmas and any(p.startswith("ALLOCATION operation instances=mul") for p in pragmas)
    assert "ARRAY_PARTITION variable=exp_table complete" in function_pragmas(function_body(source, "partition_softmax_group"))
    assert "ARRAY_PARTITION variable=table complete" in function_pragmas(function_body(source, "dynamic_tanh_group"))


def _convert(tmp_path_factory, model, **settings):
    from salt_hls.hls.convert import convert
    from salt_hls.settings import ConvertSettings

    out = tmp_path_factory.mktemp("structure") / f"{model}_{'_'.join(f'{k}{v}' for k, v in settings.items()) or 'default'}"
    convert(ROOT / "keras_models" / model, out, ConvertSettings(**settings))
    return out


@pytest.fixture(scope="module")
def n16(tmp_path_factory):
    return _convert(tmp_path_factory, "salt_n16")


def _layers(report):
    return {row["layer"]: row for row in report.functions}


def test_n16_default_passes_every_check(n16):
    report = check_project(n16)
    assert report.findings == []
    assert report.top == {"style": "pipeline", "ii": 1, "ops": 0}
    rows = _layers(report)
    assert rows["logit_conv"]["groups"] == 2 and rows["logit_conv"]["ops"] == 2560  # 8 particles x 320
    assert rows["scores"]["ops"] == 16 * 4 * 16 and rows["attn_values"]["ops"] == 16 * 16 * 4
    assert {rows[n]["ops"] for n in PER_PARTICLE_16x16} == {UNROLL_LIMIT}  # 16 particles x 16 x 16: at the limit
    assert all(rows[r]["ii"] == 1 for r in rows if rows[r]["ii"] is not None)
    # one LUT-ROM per look-up at II = 1: 4 heads x 16 particles x 4 partitions exp reads, 64 reciprocal reads
    tables = {(t["layer"], t["table"]): (t["lookups"], t["copies"], t["entries"]) for t in report.tables}
    assert tables == {
        ("attn_softmax", "exp_table"): (256, 256, 1024),
        ("attn_softmax", "inv_table"): (64, 64, 1024),
        ("dyt1", "table"): (256, 256, 1024),
        ("dyt2", "table"): (256, 256, 1024),
    }
    summary = json.loads((n16 / "salt_summary.json").read_text())["structure"]
    assert summary["requested_ii"] == 1 and summary["layers"]["logit_conv"] == {"function": "logit_conv", "ii": 1, "groups": 2}
    assert "#pragma HLS PIPELINE II=1" in (n16 / "firmware" / "salt_tagger.cpp").read_text()


@pytest.fixture(scope="module")
def n16_reuse2(tmp_path_factory):
    return _convert(tmp_path_factory, "salt_n16", reuse=2)


def test_reuse_reaches_the_top_and_every_salt_layer(n16_reuse2):
    report = check_project(n16_reuse2)
    assert report.findings == []
    assert report.requested_ii == 2 and report.top["style"] == "pipeline" and report.top["ii"] == 2
    rows = _layers(report)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in SALT_CALLS} == {2}
    assert {rows[n]["ii"] for n in PER_PARTICLE_16x16} == {2}
    # two look-ups share one ROM copy at II = 2
    assert {(t["layer"], t["table"]): t["copies"] for t in report.tables}[("attn_softmax", "exp_table")] == 128


@pytest.fixture(scope="module")
def n16_half(tmp_path_factory):
    return _convert(tmp_path_factory, "salt_n16", parallelization=8)


def test_parallelization_half_of_n_gives_the_salt_layers_ii_two_in_a_dataflow_top(n16_half):
    report = check_project(n16_half)
    assert report.requested_ii == 2 and report.top["style"] == "dataflow"
    rows = _layers(report)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in SALT_CALLS} == {2}
    assert {rows[n]["ops"] for n in PER_PARTICLE_16x16} == {8 * 16 * 16}
    # hls4ml's conv_1d_latency_cl: 2 partitions of 8 particles, but ALLOCATION allows one particle's multipliers,
    # so 8 clocks per partition: II 16 for every per-particle Dense (recorded as such, flagged against the request)
    assert {rows[n]["ii"] for n in ("embed", *PER_PARTICLE_16x16)} == {16}
    assert report.findings == [
        f"{n}: II 16 exceeds the requested II 2" for n in ("embed", "k_proj", "q_proj", "v_proj", "attn_out", "ffn1", "ffn2")
    ]


def test_static_check_names_a_broken_project(n16, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(n16, broken)
    header = broken / "firmware" / "nnet_utils" / "salt_softmax.h"
    text = header.read_text()
    header.write_text(
        re.sub(r"[ \t]*#pragma HLS ARRAY_PARTITION variable\s*=\s*exp_table complete\n", "", text, count=1).replace(
            "#pragma HLS INLINE off", "#pragma HLS INLINE", 1
        )
    )
    cpp = broken / "firmware" / "salt_tagger.cpp"
    cpp.write_text(cpp.read_text().replace("#pragma HLS PIPELINE II=1", "#pragma HLS PIPELINE II=4"))
    summary = json.loads((broken / "salt_summary.json").read_text())
    summary["structure"]["layers"]["dyt1"]["ii"] = 3
    (broken / "salt_summary.json").write_text(json.dumps(summary))
    findings = check_project(broken).findings
    assert findings == [
        "top salt_tagger: PIPELINE II=4, requested II 1",
        "attn_softmax: partition_softmax_group lacks `#pragma HLS INLINE off` (inlined, its pipeline and ALLOCATION would "
        "merge into the caller)",
        "attn_softmax: partition_softmax_group is inlined into its caller",
        "attn_softmax: table exp_table is read 256 times per call without `#pragma HLS ARRAY_PARTITION variable=exp_table "
        "complete` (memory ports limit the II)",
        "dyt1: salt_summary.json records II 3, the firmware asks for 1",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("model, n", [("salt_n32", 32), ("salt_n64", 64)])
def test_larger_models_split_the_salt_layers_and_name_what_hls4ml_leaves_too_large(tmp_path_factory, model, n):
    report = check_project(_convert(tmp_path_factory, model))
    rows = _layers(report)
    assert rows["logit_conv"]["groups"] == n // 8 and rows["logit_conv"]["ops"] == 8 * 320
    assert all(rows[r]["ops"] <= UNROLL_LIMIT for r in rows if rows[r]["function"] in SALT_CALLS)
    # hls4ml's own per-particle Dense (BatchedDenseForConv1D) keeps every particle in one mult[]: the remaining gap
    assert report.findings == [
        f"{name}: nnet::pointwise_conv_1d_cl unrolls {n * 256} operations in one function instance (limit 4096)"
        for name in ("k_proj", "q_proj", "v_proj", "attn_out", "ffn1", "ffn2")
    ]


def test_distributed_arithmetic_adder_graphs_are_inlined_into_the_top(tmp_path_factory):
    # hls4ml's conv1d_cl and dense_da_<k> carry `#pragma HLS INLINE`: N copies of each adder graph land in the top
    report = check_project(_convert(tmp_path_factory, "salt_n16", dense_strategy="distributed_arithmetic"))
    rows = _layers(report)
    inlined = {r: rows[r]["ops"] for r in rows if rows[r]["inlined_into_top"]}
    assert inlined == {
        "embed": 1168,
        "k_proj": 4848,
        "q_proj": 4784,
        "v_proj": 4768,
        "attn_out": 5104,
        "ffn1": 5248,
        "ffn2": 5216,
        "head1": 321,
        "logits": 115,
    }
    assert report.findings == [
        "top salt_tagger: 31572 operations of inlined layers (nnet::conv1d_cl / dense_da_*) "
        "unrolled in the top function (limit 4096)"
    ]
    assert all(rows[r]["ii"] == 1 for r in rows if rows[r]["function"] in SALT_CALLS)


def test_distributed_arithmetic_with_half_the_particles_per_clock_reaches_ii_two(tmp_path_factory):
    # conv1d_cl's partition loop runs at II = 1 with no ALLOCATION: 2 partitions of 8 particles, II 2
    report = check_project(_convert(tmp_path_factory, "salt_n16", dense_strategy="distributed_arithmetic", parallelization=8))
    assert report.requested_ii == 2 and report.top["style"] == "dataflow"
    rows = _layers(report)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in (*SALT_CALLS, "conv1d_cl")} == {2}
    assert report.findings == [
        "top salt_tagger: 16004 operations of inlined layers (nnet::conv1d_cl / dense_da_*) "
        "unrolled in the top function (limit 4096)"
    ]
