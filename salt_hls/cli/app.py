"""The `salt-hls` command line: a thin skin over the Python API."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the terminal

import click

from salt_hls.cli.exit_codes import ExitCode
from salt_hls.cli.formatting import budget_value
from salt_hls.cli.options import given_on_command_line, settings_options
from salt_hls.errors import ConfigError, SaltError
from salt_hls.settings import ConvertSettings

# The converter's settings as options, shared by `convert`, `csim` and `flow`: each command gets one
# validated ConvertSettings.
conversion_options = settings_options(ConvertSettings, "settings")


class SaltGroup(click.Group):
    """Turns SaltError into one clear line and the bad-input exit status, instead of a traceback."""

    def invoke(self, ctx):
        from salt_hls.model.io import quiet_quantizer_serialization

        try:
            with quiet_quantizer_serialization():
                return super().invoke(ctx)
        except SaltError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)


@click.group(cls=SaltGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="salt-hls")
def main():
    """SAL-T jet tagger: QKeras models, training, and hls4ml firmware."""


@main.command()
def doctor():
    """Check that this Python environment can train and convert QKeras models."""
    from salt_hls.env import check_environment

    for k, v in check_environment().items():
        click.echo(f"{k:12s} {v or '-'}")
    click.echo("environment OK")


@main.command("generate-jets")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HDF5 file to write (must not exist).")
@click.option("--per-class", required=True, type=int, help="Jets per class (5 classes: g q W Z t).")
@click.option("--particles", default=128, show_default=True, type=int, help="Particles kept per jet (pT-ordered).")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--underlying-event/--no-underlying-event",
    default=False,
    show_default=True,
    help="Multi-parton interactions (Pythia's underlying event).",
)
def generate_jets_cmd(out, per_class, particles, seed, underlying_event):
    """Generate labelled jets with Pythia 8 + FastJet, in the shared jets' layout."""
    from salt_hls.data.generate import generate_jets

    path = generate_jets(out, per_class, particles=particles, seed=seed, underlying_event=underlying_event)
    click.echo(f"wrote {path}")


@main.command()
@click.option("--jets", "jets_path", required=True, type=click.Path(), help="Jets file (HDF5).")
@click.option("--particles", "n_particles", required=True, type=int, help="N: particles per jet fed to the model.")
@click.option("--model", "architecture", type=click.Choice(["salt", "linformer", "deepsets"]), default="salt", show_default=True)
@click.option("--float", "float_model", is_flag=True, help="Train the float twin (no quantization).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output model directory.")
@click.option("--partitions", default=4, show_default=True, type=int, help="SAL-T p (Linformer k).")
@click.option("--d-model", default=16, show_default=True, type=int)
@click.option("--heads", default=4, show_default=True, type=int)
@click.option("--ffn-dim", default=16, show_default=True, type=int, help="Hidden width of the feed-forward block.")
@click.option("--softmax-table-size", default=1024, show_default=True, type=int, help="Entries of the exp and 1/sum tables.")
@click.option("--softmax-table-bits", default=16, show_default=True, type=int, help="Width of the exp and 1/sum entries.")
@click.option("--tanh-table-size", default=1024, show_default=True, type=int, help="Entries of the DynamicTanh table.")
@click.option(
    "--fold-projections",
    is_flag=True,
    help="SAL-T with K and V.W_O applied to the partition sums instead of every particle (ModelSpec.fold_projections).",
)
@click.option("--head-dim", "head_width", default=16, show_default=True, type=int, help="Hidden width of the classifier head.")
@click.option(
    "--quant",
    "quant_items",
    multiple=True,
    metavar="SITE=FORMAT",
    help="Override a quantization site, e.g. qkv.weight=6,1 or softmax.result=u8,1 (repeatable).",
)
@click.option("--sort", type=click.Choice(["kt", "pt", "dr"]), default="kt", show_default=True)
@click.option("--epochs", default=100, show_default=True, type=int)
@click.option("--patience", default=10, show_default=True, type=int)
@click.option("--batch-size", default=256, show_default=True, type=int)
@click.option("--learning-rate", default=1e-3, show_default=True, type=float)
@click.option(
    "--min-learning-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Floor of the learning rate, which is halved on every validation plateau.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--max-jets", default=None, type=int, help="Use only the first jets of the file.")
@click.option("--init-from", default=None, type=click.Path(), help="Start from this model's weights (e.g. the float twin).")
@click.option(
    "--beta",
    default=None,
    type=float,
    help="Learn one bit width per constant weight (zero bits = pruned) with beta x EBOPs in the loss "
    "(salt_hls/model/hetero.py); e.g. 1e-7 at N = 32.",
)
@click.option("--target-ebops", default=None, type=float, help="Steer beta each epoch towards this EBOPs (implies --beta).")
@click.option("--ramp-epochs", default=0, show_default=True, type=int, help="Ramp beta linearly from 0 over these epochs.")
@click.option(
    "--search-widths",
    "search_points",
    default=None,
    type=float,
    help="Before training, narrow every activation site from the --init-from weights while the validation "
    "accuracy loses at most this many points in all (salt_hls/model/widths.py); e.g. 1.0.",
)
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
def train(
    jets_path,
    n_particles,
    architecture,
    float_model,
    out,
    partitions,
    d_model,
    heads,
    ffn_dim,
    softmax_table_size,
    softmax_table_bits,
    tanh_table_size,
    fold_projections,
    head_width,
    quant_items,
    sort,
    epochs,
    patience,
    batch_size,
    learning_rate,
    min_learning_rate,
    seed,
    max_jets,
    init_from,
    beta,
    target_ebops,
    ramp_epochs,
    search_points,
    force,
):
    """Train a model (quantization-aware unless --float) and save it with its metadata."""
    from salt_hls.model.builders import ModelSpec
    from salt_hls.model.quantize import QuantConfig
    from salt_hls.train import TrainSettings
    from salt_hls.train import train as run_train

    quant = QuantConfig.parse_overrides(list(quant_items)).to_dict() if quant_items else {}
    spec = ModelSpec(
        architecture=architecture,
        n_particles=n_particles,
        n_partitions=partitions,
        d_model=d_model,
        n_heads=heads,
        ffn_dim=ffn_dim,
        classifier_dim=head_width,
        quantized=not float_model,
        quant=quant,
        softmax_table_size=softmax_table_size,
        softmax_table_bits=softmax_table_bits,
        tanh_table_size=tanh_table_size,
        fold_projections=fold_projections,
    )
    if architecture != "deepsets":  # refuse now what the converter would refuse after the training
        from salt_hls.geometry import head_width as attention_head_width
        from salt_hls.geometry import scale_shift

        try:
            scale_shift(attention_head_width(d_model, heads))
        except ConfigError as err:
            raise ConfigError(
                f"--d-model {d_model} --heads {heads}: {err}; `salt-hls convert` could not build this model"
            ) from None
    settings = TrainSettings(
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        learning_rate=learning_rate,
        min_learning_rate=min_learning_rate,
        seed=seed,
        sort=sort,
        max_jets=max_jets,
    )
    hetero = None
    if beta is not None or target_ebops is not None:
        from salt_hls.model.hetero import HeteroSettings

        hetero = HeteroSettings(target_ebops=target_ebops, ramp_epochs=ramp_epochs, **({} if beta is None else {"beta": beta}))
    elif ramp_epochs:
        raise click.UsageError("--ramp-epochs ramps beta: give --beta or --target-ebops with it")
    width_search = None
    if search_points is not None:
        from salt_hls.model.widths import WidthSearchSettings

        if init_from is None:
            raise click.UsageError("--search-widths starts from trained weights: give --init-from (e.g. the float twin)")
        width_search = WidthSearchSettings(tolerance=search_points / 100.0)
        width_search.validate()
    meta = run_train(
        jets_path, spec, out, settings, init_from=init_from, overwrite=force, hetero=hetero, width_search=width_search
    )
    m = meta["test_metrics"]
    click.echo(
        f"saved {out}: test accuracy {100 * m['accuracy']:.2f} %, macro AUC {m['auc']:.4f}, "
        f"{meta['training']['epochs_run']} epochs in {meta['training']['seconds']:.0f} s"
    )


@main.command()
@click.argument("model_path", type=click.Path())
@click.option("--jets", "jets_path", required=True, type=click.Path())
@click.option("--max-jets", default=None, type=int)
@click.option("--test-split", is_flag=True, help="Only the held-out test part (when JETS is the training file).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate(model_path, jets_path, max_jets, test_split, as_json):
    """Accuracy, macro AUC and per-class rejection of a saved model on a jets file."""
    from salt_hls.evaluate import evaluate as run_evaluate

    m = run_evaluate(model_path, jets_path, max_jets=max_jets, test_split=test_split)
    if as_json:
        click.echo(json.dumps(m))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{m['n_jets']} jets: accuracy {100 * m['accuracy']:.2f} %, macro AUC {m['auc']:.4f}")
    t = Table("class", "rejection at 80 % efficiency")
    for c, r in m["rejection_at_80"].items():
        t.add_row(c, f"{r:.2f}")
    console.print(t)


@main.command()
@click.argument("model_path", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Project directory to write.")
@conversion_options
@click.option("--jets", "jets_path", default=None, type=click.Path(), help="Take the testbench vectors from these jets.")
@click.option("--force", is_flag=True, help="Replace an existing salt-hls project in --out (never other files).")
def convert(model_path, out, settings, jets_path, force):
    """Convert a trained QKeras SAL-T into an hls4ml project (firmware, weights, testbench, build script)."""
    from salt_hls.hls.convert import convert as run_convert

    tb = None
    if jets_path:
        from salt_hls.data.jets import load_jets
        from salt_hls.evaluate import model_inputs
        from salt_hls.model.io import load_metadata

        tb = model_inputs(load_metadata(model_path), load_jets(jets_path, max_jets=100))
    run_convert(model_path, out, settings, force=force, tb_inputs=tb)
    click.echo(
        f"wrote {out} ({settings.backend}, {settings.part}, {settings.clock_ns} ns, reuse {settings.reuse}); "
        f"precisions in {out}/salt_summary.json"
    )


@main.command()
@click.argument("target", type=click.Path(exists=True))
@click.option("--jets", "jets_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--max-jets", default=1000, show_default=True, type=int)
@click.option("--test-split", is_flag=True, help="Only the held-out test part (when JETS is the training file).")
@conversion_options
@click.option(
    "--bit-exact",
    is_flag=True,
    help="Compare every output bit with the bit-exact reference; "
    "name the first jet and layer that differ. Exit 1 on any mismatch.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def csim(ctx, target, jets_path, max_jets, test_split, settings, bit_exact, as_json):
    """C-simulate a project (or a model, converted on the fly) and compare it with the QKeras model.

    A project is simulated with the settings it was converted with; the conversion options apply
    when TARGET is a model directory."""
    from salt_hls.hls.csim import run_csim

    r = run_csim(
        target,
        jets_path,
        max_jets=max_jets,
        test_split=test_split,
        bit_exact=bit_exact,
        settings=settings if given_on_command_line(ctx, ConvertSettings) else None,
    )
    mismatch = bit_exact and r["n_bit_exact"] != r["n_jets"]
    status = ExitCode.NOT_BIT_EXACT if mismatch else ExitCode.OK
    if as_json:
        click.echo(json.dumps(r))
        sys.exit(status)
    if mismatch:
        where = r["first_mismatch_layer"]
        click.echo(
            f"NOT bit-exact: {r['n_jets'] - r['n_bit_exact']} of {r['n_jets']} jets differ; first jet "
            f"{r['first_mismatch']}, first layer {where['layer']} ({where['n_values_differing']}/{where['n_values']} values)"
        )
    click.echo(
        f"{r['n_jets']} jets: argmax agreement {100 * r['argmax_agreement']:.2f} %, "
        f"bit-exact outputs {r['n_bit_exact']}/{r['n_jets']}, max |diff| {r['max_abs_diff']:.3g}, "
        f"mean |diff| {r['mean_abs_diff']:.3g}"
    )
    click.echo(
        f"accuracy: QKeras {100 * r['accuracy_keras']:.2f} %, C simulation {100 * r['accuracy_csim']:.2f} %; "
        f"{r['csim_jets_per_second']} jets/s"
    )
    sys.exit(status)


@main.command()
@click.argument("model_path", type=click.Path())
@click.option("--jets", "jets_path", required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for the project, estimate and summary.")
@click.option("--budget", "budget_path", default=None, type=click.Path(), help="Budget YAML (default: the L1T budget).")
@conversion_options
@click.option("--max-jets", default=1000, show_default=True, type=int, help="Jets for the bit-exact C simulation.")
@click.option("--test-split", is_flag=True, help="Simulate the held-out test part (when JETS is the training file).")
@click.option("--force", is_flag=True, help="Replace an existing salt-hls project in OUT/project (never other files).")
@click.option(
    "--rtl",
    is_flag=True,
    help="After the estimate, run `salt-hls rtl` into OUT/rtl: da4ml Verilog, Verilator bit-exact on the C "
    "simulation's jets, Yosys per layer; the budget is checked on the open synthesis where it has a figure.",
)
@click.option("--rtl-no-synth", is_flag=True, help="--rtl without Yosys (Verilator only; the budget stays on the estimate).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def flow(model_path, jets_path, out, budget_path, settings, max_jets, test_split, force, rtl, rtl_no_synth, as_json):
    """The whole flow: convert -> bit-exact C simulation -> estimate -> [--rtl: Verilog, Verilator,
    Yosys] -> budget check, each figure from the strongest evidence (open synthesis > estimate).

    Exit status: 0 bit-exact and within the budget; 1 the C simulation (or, with --rtl, the
    Verilator simulation) is not bit-exact; 3 bit-exact but over the budget (the summary names the
    figures that exceed it); 2 bad input. Each step is announced on stderr as it starts."""
    from salt_hls.flow import DEFAULT_BUDGET, run_flow

    s = run_flow(
        model_path,
        jets_path,
        out,
        settings,
        budget_path or DEFAULT_BUDGET,
        max_jets=max_jets,
        test_split=test_split,
        force=force,
        progress=lambda step: click.echo(f"{step}...", err=True),
        rtl=rtl or rtl_no_synth,
        rtl_synth=not rtl_no_synth,
    )
    if as_json:
        click.echo(json.dumps(s))
    else:
        _print_flow(s)
    sys.exit(flow_status(s))


def flow_status(s: dict) -> ExitCode:
    if not s["bit_exact"]:
        return ExitCode.NOT_BIT_EXACT
    return ExitCode.OK if s["budget"]["fits"] else ExitCode.OVER_BUDGET


def _print_flow(s: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    c, e, cs = s["csim"], s["estimate"], s["settings"]
    t = Table(
        "step",
        "result",
        title=f"salt-hls flow: {s['model']} ({cs['backend']}, {cs['part']}, {cs['clock_ns']} ns, reuse {cs['reuse']})",
    )
    t.add_row("convert", s["project"])
    t.add_row(
        "C simulation",
        f"{c['n_jets']} jets, argmax agreement {100 * c['argmax_agreement']:.2f} %, accuracy {100 * c['accuracy_csim']:.2f} %",
    )
    csim_exact = c["n_bit_exact"] == c["n_jets"]  # s["bit_exact"] covers Verilator too, with --rtl
    t.add_row("bit-exact vs reference", f"{c['n_bit_exact']}/{c['n_jets']} jets" + ("" if csim_exact else "  NOT BIT-EXACT"))
    r = e["resources"] or {}
    used = ", ".join(f"{k} {r[k]:,}" for k in ("LUT", "FF", "DSP", "BRAM18") if r.get(k) is not None)
    t.add_row("estimate", f"latency {e['latency_cycles']} cycles = {e['latency_ns']} ns, II {e['ii_cycles']}; {used}")
    t.add_row("largest LUT users", ", ".join(f"{n} {p} %" for n, _, p in e["dominant_luts"]))
    v = s.get("rtl")
    if v is not None:
        t.add_row("RTL (da4ml)", f"{v['out']}: {v['pipeline_depth']} stages = {v['latency_ns']} ns")
        exact = f"{v['n_bit_exact']}/{v['n_jets']} jets ({v['jets']['split']} of {v['jets']['file']})"
        if v["n_bit_exact"] != v["n_jets"]:
            exact += f"  NOT BIT-EXACT: first jet {v['first_mismatch_jet']}, layer {v['first_mismatch_layer']['layer']}"
        t.add_row("bit-exact in Verilator", exact)
        y = v["synth"]
        t.add_row(
            "open synthesis (Yosys)",
            "skipped (--rtl-no-synth)"
            if y is None
            else ", ".join(f"{k} {y[k]:,}" for k in ("LUT", "FF", "CARRY8", "DSP", "BRAM18")) + f"; {v['report']}",
        )
    for row in s["budget"]["rows"]:
        t.add_row(
            f"budget: {row['figure']}",
            f"{budget_value(row['value'])} / {budget_value(row['limit'])} {row['unit']}  {'ok' if row['ok'] else 'EXCEEDS'}",
        )
    t.add_row("fits the budget", "yes" if s["budget"]["fits"] else "no")
    Console().print(t)
    for note in s["budget"]["notes"]:
        Console().print(f"note: {note}")


# The commands that live in their own modules: (module, function, command name). Their modules are
# imported here, not at use, so `salt-hls --help` lists them all; none of them imports TensorFlow.
_COMMANDS = (
    ("salt_hls.cli.synth", "report_command", "report"),
    ("salt_hls.cli.synth", "check_command", "check"),
    ("salt_hls.cli.synth", "synth_command", "synth"),
    ("salt_hls.cli.synth", "estimate_command", "estimate"),
    ("salt_hls.cli.scan", "scan_command", "scan"),
    ("salt_hls.cli.words", "write_words_command", "write-words"),
    ("salt_hls.cli.rtl", "rtl_command", "rtl"),
    ("salt_hls.cli.export", "ip_command", "ip"),
    ("salt_hls.cli.export", "export_command", "export"),
)


def _attach_commands() -> None:
    import importlib

    for module, function, name in _COMMANDS:
        main.add_command(getattr(importlib.import_module(module), function), name)


_attach_commands()

if __name__ == "__main__":
    main()
