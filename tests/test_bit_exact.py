"""The firmware's C simulation against the bit-exact reference (salt_hls.emulate), bit for bit."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from salt_hls.data.jets import JetSet, load_jets
from salt_hls.data.preprocess import split_indices
from salt_hls.emulate import Reference, round_to
from salt_hls.evaluate import model_inputs
from salt_hls.fixed import FixedType
from salt_hls.hls.convert import ConvertSettings, convert
from salt_hls.model.builders import ModelSpec, build_model
from salt_hls.model.firmware import firmware_model
from salt_hls.model.io import load_model

ROOT = Path(__file__).resolve().parents[1]


def test_round_to_is_convergent_and_saturating():
    t = FixedType.site(6, 3)  # lsb 1/8, range [-4, 3.875]
    x = np.array([0.0625, 0.1875, -0.0625, -0.1875, 3.9, 100.0, -4.01, -100.0, 1.3])
    np.testing.assert_array_equal(round_to(x, t), [0.0, 0.25, 0.0, -0.25, 3.875, 3.875, -4.0, -4.0, 1.25])
    u = FixedType.site(4, 1, signed=False)  # lsb 1/8, range [0, 1.875]
    np.testing.assert_array_equal(round_to(np.array([-0.5, 0.9375, 2.0]), u), [0.0, 1.0, 1.875])


def _random_model(architecture, seed):
    fold = architecture == "salt-folded"  # ModelSpec.fold_projections
    spec = ModelSpec(
        architecture="salt" if fold else architecture,
        n_particles=12,
        quant={"qkv.result": "10,2", "attn.result": "10,1"},
        fold_projections=fold,
    )
    model = build_model(spec)
    r = np.random.default_rng(seed)
    model.set_weights([w + r.normal(0, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["salt", "linformer", "salt-folded"])
def test_reference_equals_csim_layer_by_layer_with_overflow(architecture, tmp_path):
    """Every layer's C-simulated output equals the reference's, on inputs large enough to saturate sites."""
    model = _random_model(architecture, 4)
    x = np.random.default_rng(5).normal(0, 12.0, (200, 12, 3)).astype(np.float32)
    ref = Reference(model)
    _, outs = ref.run(x, keep=True)
    hls_model = convert(model, tmp_path / "prj", ConvertSettings(), trace=True)
    hls_model.compile()
    _, trace = hls_model.trace(np.ascontiguousarray(x))
    saturated = 0
    for name, values in trace.items():
        # hls4ml's trace reads every layer out as float32: wide exact accumulators come back
        # rounded to 24 bits, so compare with the reference's value rounded the same way.
        np.testing.assert_array_equal(np.asarray(values).reshape(outs[name].shape), outs[name].astype(np.float32), err_msg=name)
        t = ref.plan[name].result
        saturated += int(t.is_site and np.any(outs[name] == t.max))
    assert len(trace) >= 20 and saturated >= 3  # the comparison really exercised saturation


def test_reference_equals_qkeras_where_float32_is_exact():
    """On moderate inputs every intermediate fits float32's 24 bits and QKeras agrees exactly;
    on large ones QKeras's float32 accumulators can round where the firmware does not (the
    reference follows the firmware: see the test above)."""
    import tensorflow as tf

    model = _random_model("salt", 6)
    x = np.random.default_rng(7).normal(0, 0.5, (300, 12, 3)).astype(np.float32)
    _, outs = Reference(model).run(x, keep=True)
    fw = firmware_model(model)
    names = [layer.name for layer in fw.layers[1:]]
    keras_outs = tf.keras.Model(fw.inputs, [fw.get_layer(n).output for n in names]).predict(x, verbose=0)
    for name, k in zip(names, keras_outs, strict=True):
        np.testing.assert_array_equal(outs[name], k, err_msg=name)


@pytest.fixture(scope="module", params=[16, 32, 64])
def shipped(request, tmp_path_factory):
    model_dir = ROOT / "keras_models" / f"salt_n{request.param}"
    model, meta = load_model(model_dir)
    hls_model = convert(model_dir, tmp_path_factory.mktemp(f"n{request.param}") / "prj", ConvertSettings())
    hls_model.compile()
    return model, meta, hls_model, Reference(model)


@pytest.mark.slow
def test_shipped_models_bit_exact_on_5000_shared_jets(shipped, shared_jets_path):
    _model, meta, hls_model, ref = shipped
    jets = load_jets(shared_jets_path)
    test = jets.subset(split_indices(len(jets), 0)[2][:5000])
    x = model_inputs(meta, test)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    expected = ref.run(x)
    assert np.all(got == expected, axis=1).sum() == 5000
    assert np.mean(np.argmax(expected, 1) == test.labels) > 0.5  # a working tagger, not a degenerate output


@st.composite
def adversarial_jets(draw):
    """Raw jets: empty, single-particle, duplicated (k_T ties), huge pT and angles (input saturation)."""
    n_jets = draw(st.integers(1, 6))
    m = 24
    n_real = draw(arrays(np.int64, n_jets, elements=st.integers(0, m)))
    pt = draw(arrays(np.float64, (n_jets, m), elements=st.one_of(st.floats(0.01, 2000.0), st.sampled_from([1e4, 5e5]))))
    ang = draw(arrays(np.float64, (n_jets, m, 2), elements=st.one_of(st.floats(-0.8, 0.8), st.sampled_from([0.0, -50.0, 50.0]))))
    if draw(st.booleans()):  # exact duplicates: ties in k_T and in pT
        pt[:, 1::2] = pt[:, ::2][:, : pt[:, 1::2].shape[1]]
        ang[:, 1::2] = ang[:, ::2][:, : ang[:, 1::2].shape[1]]
    mask = np.arange(m)[None, :] < n_real[:, None]
    f = np.concatenate([np.sort(pt, axis=1)[:, ::-1][..., None], ang], axis=-1).astype(np.float32)
    f[~mask] = 0
    return JetSet(f, mask, np.zeros(n_jets, np.int64))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(jets=adversarial_jets())
def test_adversarial_jets_are_bit_exact(shipped_n16, jets):
    _model, meta, hls_model, ref = shipped_n16
    x = model_inputs(meta, jets)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    np.testing.assert_array_equal(got, ref.run(x))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(grid=arrays(np.int64, (3, 16, 3), elements=st.integers(-(2**15) - 40, 2**15 + 40)))
def test_inputs_at_and_beyond_the_input_range(shipped_n16, grid):
    """Model inputs on and past the input type's grid edges (16,5: lsb 2^-10, range [-32, 32)),
    including exact half-lsb ties that must round to even."""
    _model, _meta, hls_model, ref = shipped_n16
    x = (grid / 2**10).astype(np.float32)
    x[0, 0, 0] = 31.99951171875  # max + lsb/2: rounds to 32, saturates to max
    x[0, 1, 0] = 2.5 / 2**10  # a tie: rounds to 2 lsb
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    np.testing.assert_array_equal(got, ref.run(x))


@pytest.fixture(scope="module")
def shipped_n16(tmp_path_factory):
    model_dir = ROOT / "keras_models" / "salt_n16"
    model, meta = load_model(model_dir)
    hls_model = convert(model_dir, tmp_path_factory.mktemp("n16h") / "prj", ConvertSettings())
    hls_model.compile()
    return model, meta, hls_model, Reference(model)


@pytest.mark.slow
def test_layer_by_layer_trace(shared_jets_path, tmp_path):
    model, meta = load_model(ROOT / "keras_models" / "salt_n16")
    x = model_inputs(meta, load_jets(shared_jets_path, max_jets=200))
    hls_model = convert(model, tmp_path / "prj", ConvertSettings(), trace=True)
    hls_model.compile()
    _, trace = hls_model.trace(np.ascontiguousarray(x))
    _, outs = Reference(model).run(x, keep=True)
    compared = 0
    for name, values in trace.items():
        np.testing.assert_array_equal(np.asarray(values).reshape(outs[name].shape), outs[name].astype(np.float32), err_msg=name)
        compared += 1
    assert compared >= 25


@pytest.mark.slow
def test_csim_bit_exact_cli(tmp_path, shared_jets_path):
    res = CliRunner().invoke(
        main_cli(),
        [
            "csim",
            str(ROOT / "keras_models" / "salt_n16"),
            "--jets",
            str(shared_jets_path),
            "--max-jets",
            "300",
            "--bit-exact",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    r = json.loads(res.output.strip().splitlines()[-1])
    assert r["n_jets"] == 300 and r["n_bit_exact"] == 300


@pytest.mark.slow
def test_mismatch_names_first_jet_and_layer(monkeypatch, tmp_path, shared_jets_path):
    """A reference that disagrees at logit_conv for jet 7: csim --bit-exact must name jet 7 and logit_conv."""
    import salt_hls.emulate.reference as reference

    real_run = reference.Reference.run

    def tampered(self, x, keep=False, batch_size=256):
        out, values = real_run(self, x, keep=True, batch_size=batch_size)
        if len(out) > 7:
            out = out.copy()
            out[7, 0] += 1.0
        else:  # the single traced jet
            values["logit_conv"] = values["logit_conv"] + 0.5
        return (out, values) if keep else out

    monkeypatch.setattr(reference.Reference, "run", tampered)
    res = CliRunner().invoke(
        main_cli(),
        ["csim", str(ROOT / "keras_models" / "salt_n16"), "--jets", str(shared_jets_path), "--max-jets", "20", "--bit-exact"],
    )
    assert res.exit_code == 1, res.output
    assert "NOT bit-exact: 1 of 20 jets differ; first jet 7, first layer logit_conv" in res.output


def main_cli():
    from salt_hls.cli import main

    return main
