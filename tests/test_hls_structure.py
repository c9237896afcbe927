"""Firmware structure (salt_hls.hls.structure) and the static checks of generated projects
(salt_hls.hls.static_check) on the shipped models, without compiling them."""

import json
import re
import shutil
from pathlib import Path

import pytest

from salt_hls.errors import ConfigError
from salt_hls.hls.static_check import check_project, function_body, function_pragmas
from salt_hls.hls.structure import UNROLL_LIMIT, groups_for, requested_ii, salt_groups

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
        "pointwise_latency",
        "pointwise_da",
    ):
        pragmas = function_pragmas(function_body(source, name))
        assert "INLINE off" in pragmas and "PIPELINE II=CONFIG_T::reuse_factor" in pragmas, name
        assert "INLINE" not in pragmas, name
    for name in ("attention_scores_group", "weighted_values_group", "pointwise_latency_group"):
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
    # the per-particle Dense layers: salt_pointwise.h, 16 particles x 16 x 16 products in one group, at the limit
    assert {(rows[n]["function"], rows[n]["groups"], rows[n]["ops"]) for n in PER_PARTICLE_16x16} == {
        ("pointwise_latency", 1, UNROLL_LIMIT)
    }
    assert (rows["embed"]["function"], rows["embed"]["ops"]) == ("pointwise_latency", 16 * 3 * 16)
    assert all(rows[r]["ii"] == 1 for r in rows if rows[r]["ii"] is not None)
    # one LUT-ROM per look-up at II = 1: 4 heads x 16 particles x 4 partitions exp reads, 64 reciprocal reads
    tables = {(t["layer"], t["table"]): (t["lookups"], t["copies"], t["entries"]) for t in report.tables}
    assert tables == {
        ("attn_softmax", "exp_table"): (256, 256, 1024),
        ("attn_softmax", "inv_table"): (64, 64, 1024),
        ("dyt1", "table"): (256, 256, 1024),
        ("dyt2", "table"): (16, 16, 1024),  # after the max pooling: one look-up per feature
    }
    summary = json.loads((n16 / "salt_summary.json").read_text())["structure"]
    assert summary["requested_ii"] == 1 and summary["layers"]["logit_conv"] == {"function": "logit_conv", "ii": 1, "groups": 2}
    assert summary["layers"]["ffn1"] == {"function": "pointwise_latency", "ii": 1, "groups": 1}
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


def test_parallelization_half_of_n_gives_every_per_particle_layer_ii_two_in_a_dataflow_top(n16_half):
    report = check_project(n16_half)
    assert report.findings == []
    assert report.requested_ii == 2 and report.top["style"] == "dataflow"
    rows = _layers(report)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in SALT_CALLS} == {2}
    # salt_pointwise.h at II 2 (hls4ml's conv_1d_latency_cl capped each partition at one particle's multipliers: II 16)
    assert {(rows[n]["function"], rows[n]["ii"], rows[n]["ops"]) for n in PER_PARTICLE_16x16} == {("pointwise_latency", 2, 4096)}
    assert rows["embed"]["ii"] == 2
    assert (rows["head1"]["ii"], rows["logits"]["ii"]) == (1, 1)  # after pooling: one vector per jet, II = ReuseFactor
    # the group function may bind 16 x 256 / 2 multipliers (ffn1 has no zero weight)
    assert "static const unsigned multiplier_limit = 2048;" in (n16_half / "firmware" / "parameters.h").read_text()


def test_the_estimate_gives_every_layer_the_ii_the_summary_records(n16_half):
    from salt_hls.estimate.estimator import estimate_project

    layers = json.loads((n16_half / "salt_summary.json").read_text())["structure"]["layers"]
    report = estimate_project(n16_half)
    estimated = {row["name"]: row["interval_cycles"] for row in report.breakdown["layers"]}
    assert estimated == {name: layers[name]["ii"] for name in estimated} and len(estimated) == len(layers) - 1  # not the input
    assert report.interval_max_cycles == 2


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
    pointwise = broken / "firmware" / "nnet_utils" / "salt_pointwise.h"  # its first PIPELINE: the Latency group function
    pointwise.write_text(pointwise.read_text().replace("#pragma HLS PIPELINE II = CONFIG_T::reuse_factor\n", "", 1))
    cpp = broken / "firmware" / "salt_tagger.cpp"
    cpp.write_text(cpp.read_text().replace("#pragma HLS PIPELINE II=1", "#pragma HLS PIPELINE II=4"))
    summary = json.loads((broken / "salt_summary.json").read_text())
    summary["structure"]["layers"]["dyt1"]["ii"] = 3
    (broken / "salt_summary.json").write_text(json.dumps(summary))
    findings = check_project(broken).findings
    assert [f for f in findings if "pointwise" in f] == [
        f"{n}: pointwise_latency_group has no `#pragma HLS PIPELINE II=CONFIG_T::reuse_factor` of its own"
        for n in ("embed", *PER_PARTICLE_16x16)
    ]
    assert [f for f in findings if "pointwise" not in f] == [
        "top salt_tagger: PIPELINE II=4, requested II 1",
        "attn_softmax: partition_softmax_group lacks `#pragma HLS INLINE off` (inlined, its pipeline and ALLOCATION would "
        "merge into the caller)",
        "attn_softmax: partition_softmax_group is inlined into its caller",
        "attn_softmax: table exp_table is read 256 times per call without `#pragma HLS ARRAY_PARTITION variable=exp_table "
        "complete` (memory ports limit the II)",
        "dyt1: salt_summary.json records II 3, the firmware asks for 1",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("n", [32, 64])
@pytest.mark.parametrize("setting", ["default", "reuse 2", "parallelization N/2"])
def test_larger_models_split_every_per_particle_layer_within_the_limit_at_the_requested_ii(tmp_path_factory, n, setting):
    kwargs = {"default": {}, "reuse 2": {"reuse": 2}, "parallelization N/2": {"parallelization": n // 2}}[setting]
    report = check_project(_convert(tmp_path_factory, f"salt_n{n}", **kwargs))
    assert report.findings == []
    assert report.requested_ii == (1 if setting == "default" else 2)
    rows = _layers(report)
    assert rows["logit_conv"]["groups"] == n // 8 and rows["logit_conv"]["ops"] == 8 * 320
    # 16 particles x 16 x 16 products per group function: N / 16 groups (one 8,192- / 16,384-product function before)
    assert {(rows[r]["groups"], rows[r]["ops"], rows[r]["ii"]) for r in PER_PARTICLE_16x16} == {
        (n // 16, 4096, report.requested_ii)
    }
    assert all(rows[r]["ops"] <= UNROLL_LIMIT for r in rows if rows[r]["ops"] is not None)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in SALT_CALLS} == {report.requested_ii}


def test_distributed_arithmetic_adder_graphs_sit_in_the_group_functions(tmp_path_factory):
    # hls4ml's dense_da_<k> carries `#pragma HLS INLINE`: called from salt_pointwise.h's INLINE off group functions,
    # its adders stay there; only the two Dense layers after pooling (one adder graph each) are inlined into the top
    report = check_project(_convert(tmp_path_factory, "salt_n16", dense_strategy="distributed_arithmetic"))
    assert report.findings == []
    rows = _layers(report)
    assert {r: rows[r]["ops"] for r in rows if rows[r]["inlined_into_top"]} == {"head1": 340, "logits": 125}
    assert report.top["ops"] == 465
    # adders per group: 16 (embed) or 8 particles x one particle's graph (316, 324, 317, 337, 351, 348 adders), each
    # graph at da4ml's minimal depth (--da-hard-dc 0, the default)
    assert {r: (rows[r]["function"], rows[r]["groups"], rows[r]["ops"]) for r in ("embed", *PER_PARTICLE_16x16)} == {
        "embed": ("pointwise_da", 1, 1232),
        "k_proj": ("pointwise_da", 2, 2528),
        "q_proj": ("pointwise_da", 2, 2592),
        "v_proj": ("pointwise_da", 2, 2536),
        "attn_out": ("pointwise_da", 2, 2696),
        "ffn1": ("pointwise_da", 2, 2808),
        "ffn2": ("pointwise_da", 2, 2784),
    }
    assert all(rows[r]["ii"] == 1 for r in rows if rows[r]["function"] in (*SALT_CALLS, "pointwise_da"))


def test_distributed_arithmetic_with_half_the_particles_per_clock_reaches_ii_two(tmp_path_factory):
    report = check_project(_convert(tmp_path_factory, "salt_n16", dense_strategy="distributed_arithmetic", parallelization=8))
    assert report.findings == []
    assert report.requested_ii == 2 and report.top["style"] == "dataflow"
    rows = _layers(report)
    assert {rows[r]["ii"] for r in rows if rows[r]["function"] in (*SALT_CALLS, "pointwise_da")} == {2}
