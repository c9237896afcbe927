"""The activation width search (salt_hls/model/widths.py): what it keeps, what it refuses, and its
place in training."""

import pytest
from click.testing import CliRunner

from salt_hls.cli import main
from salt_hls.errors import ConfigError
from salt_hls.fixed import Fixed
from salt_hls.model.builders import ModelSpec
from salt_hls.model.widths import ACTIVATION_SITES, WidthSearchSettings, narrower, search_activation_widths, site_values


def test_site_values_of_the_shipped_n32_geometry():
    v = site_values(ModelSpec(n_particles=32))
    assert set(v) == set(ACTIVATION_SITES)
    assert v["qkv.result"] == 3 * 32 * 16 and v["proj.result"] == 2 * 4 * 16 and v["softmax.result"] == 32 * 4 * 4
    assert v["input"] == 96 and v["head.result"] == 5


def test_narrower_drops_integer_then_fractional_bits():
    assert str(narrower(Fixed.parse("16,6"), "integer")) == "15,5"
    assert str(narrower(Fixed.parse("u10,1"), "frac")) == "u9,1"
    assert narrower(Fixed.parse("6,0"), "integer") is None
    assert narrower(Fixed.parse("u3,3"), "frac") is None


def _needs(minimum: dict[str, tuple[int, int]]):
    """An accuracy that is 0.6 while every site keeps at least (integer, fractional) bits, else 0.5."""

    def accuracy_of(spec):
        for site, (i, f) in minimum.items():
            fmt = Fixed.parse(spec.quant[site])
            if fmt.integer < i or fmt.bits - fmt.integer - int(fmt.signed) < f:
                return 0.5
        return 0.6

    return accuracy_of


def test_search_stops_at_each_sites_needs():
    need = {"qkv.result": (2, 5), "softmax.result": (0, 6), "dyt.result": (0, 4)}
    need.update({s: (1, 1) for s in ACTIVATION_SITES if s not in need})
    out = search_activation_widths(ModelSpec(n_particles=8), _needs(need), WidthSearchSettings(tolerance=0.01, tables=False))
    assert out["formats"]["qkv.result"] == "8,2"  # 1 sign + 2 integer + 5 fractional
    assert out["formats"]["softmax.result"] == "u6,0"
    assert out["formats"]["dyt.result"] == "5,0"
    assert out["formats"]["embed.result"] == "u3,1"  # min_bits (3) reached before the needs
    assert out["formats"]["ffn.result"] == "3,1"
    assert out["start_accuracy"] == out["final_accuracy"] == 0.6
    refused = [t for t in out["trials"] if t["site"] == "qkv.result" and not t["kept"]]
    assert [t["format"] for t in refused] == ["11,1", "7,2"]  # integer bits first, then fractional


def test_budget_is_spent_site_by_site():
    # every bit dropped from qkv.result (the first site at N = 8: most values) costs 0.001; the
    # budget after the first of 14 sites is 0.014 * 1/14 = 0.001: one bit, not the whole 0.014
    def accuracy_of(spec):
        return 0.6 - 0.001 * (16 - Fixed.parse(spec.quant["qkv.result"]).bits)

    out = search_activation_widths(
        ModelSpec(n_particles=8), accuracy_of, WidthSearchSettings(tolerance=0.014, sites=("qkv.result", "input"), tables=False)
    )
    # two sites: after the first the budget is 0.007, so seven bits go from qkv.result
    assert out["formats"]["qkv.result"] == "9,0"
    assert out["changed"]["input"] == "3,0"
    assert out["final_accuracy"] == pytest.approx(0.593)


def test_tables_are_searched_first_and_a_table_the_firmware_cannot_index_is_refused():
    # the exp table may shrink to 128 entries (index 2^-4 over [0, 8)); at 64 entries the accuracy
    # falls; conv.result (the softmax's input) keeps >= 4 fractional bits until a trial would make
    # the exp table finer than it, which the accuracy function refuses as the firmware's typing does
    from salt_hls.errors import ConfigError as Refusal

    def accuracy_of(spec):
        conv_frac = Fixed.parse(spec.quant["conv.result"]).bits - Fixed.parse(spec.quant["conv.result"]).integer - 1
        if conv_frac < {1024: 7, 512: 6, 256: 5, 128: 4, 64: 3, 32: 2}[spec.softmax_table_size]:
            raise Refusal("softmax exp table: the table is finer than its input's resolution; use a smaller table")
        return 0.6 if spec.softmax_table_size >= 128 and spec.softmax_table_bits >= 9 and spec.tanh_table_size >= 256 else 0.4

    out = search_activation_widths(
        ModelSpec(n_particles=8), accuracy_of, WidthSearchSettings(tolerance=0.01, sites=("conv.result",), min_bits=4)
    )
    assert out["tables"] == {"softmax_table_size": 128, "softmax_table_bits": 9, "tanh_table_size": 256}
    assert [t["site"] for t in out["trials"][:3]] == ["softmax_table_size"] * 3
    assert out["formats"]["conv.result"] == "5,0"  # 1 sign + 0 integer + 4 fractional
    last = out["trials"][-1]
    assert last["site"] == "conv.result" and last["format"] == "4,0" and not last["kept"]
    assert last["error"].startswith("softmax exp table: the table is finer")
    assert out["changed"]["tanh_table_size"] == 256


def test_settings_refusals():
    with pytest.raises(ConfigError, match=r"width search sites qkv.weight: choose among the activation sites input, "):
        WidthSearchSettings(sites=("qkv.weight",)).validate()
    with pytest.raises(ConfigError, match=r"tolerance must be in \[0, 1\) \(a fraction of accuracy\), got 1.5"):
        WidthSearchSettings(tolerance=1.5).validate()
    with pytest.raises(ConfigError, match="deepsets has no attention sites"):
        search_activation_widths(ModelSpec(architecture="deepsets"), lambda q: 0.5)


def test_cli_refuses_a_search_without_starting_weights(tmp_path, tiny_jets):
    res = CliRunner().invoke(
        main, ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--search-widths", "1"]
    )
    assert res.exit_code == 2 and "--search-widths starts from trained weights: give --init-from" in res.output
    res = CliRunner().invoke(
        main,
        ["train", "--jets", str(tiny_jets), "--particles", "8", "--out", str(tmp_path / "m"), "--search-widths", "150"],
        catch_exceptions=False,
    )
    assert res.exit_code == 2


def test_table_settings_are_checked_and_shape_the_layers():
    with pytest.raises(ConfigError, match="softmax_table_size must be a power of two >= 2, got 100"):
        ModelSpec(softmax_table_size=100)
    with pytest.raises(ConfigError, match=r"softmax_table_bits must be 2\.\.32, got 40"):
        ModelSpec(softmax_table_bits=40)
    from salt_hls.model.builders import build_model

    model = build_model(ModelSpec(n_particles=8, softmax_table_size=256, softmax_table_bits=10, tanh_table_size=128))
    soft = model.get_layer("attn_softmax")
    assert (soft.exp_size, soft.inv_size, soft.table_bits) == (256, 256, 10)
    assert model.get_layer("dyt1").table_size == model.get_layer("dyt2").table_size == 128
    assert len(soft.tables.exp_table) == 256 and soft.tables.exp_t.width == 10
