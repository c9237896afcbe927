"""`salt-hls write-words`: a jets file as Level-1 PUPPI candidate words and jet words."""

from __future__ import annotations

import json

import click


@click.command("write-words")
@click.option("--jets", "jets_path", required=True, type=click.Path(), help="Jets file in the Pythia layout (the shared jets).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Words file to write (HDF5).")
@click.option("--max-jets", default=None, type=int, help="Only the first jets of the file.")
@click.option(
    "--candidates", "n_candidates", default=None, type=int, help="Words per jet (default: every particle slot of the file)."
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Seed of the jets' phi (the file stores phi relative to the jet)."
)
@click.option("--force", is_flag=True, help="Replace an existing words file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def write_words_command(jets_path, out, max_jets, n_candidates, seed, force, as_json):
    """Write JETS as CMS Phase-2 PUPPI candidate words + jet words, counting every saturated value."""
    from salt_hls.l1input.writer import write_words

    s = write_words(jets_path, out, max_jets=max_jets, n_candidates=n_candidates, seed=seed, force=force)
    if as_json:
        click.echo(json.dumps(s, indent=2))
        return
    c, j = s["candidate_quantization"], s["jet_quantization"]
    click.echo(f"{out}: {s['jets']} jets x {s['candidates_per_jet']} candidate words ({s['real_particles']} real particles)")
    click.echo(
        f"  candidates: pT saturated {c['pt_saturated']}, eta saturated {c['eta_saturated']}, "
        f"pT rounded to 0 (sent as empty) {c['pt_rounded_to_zero']}; not written (beyond --candidates) {s['real_particles_not_written']}"
    )
    click.echo(f"  jets: pT saturated {j['pt_saturated']}, eta saturated {j['eta_saturated']}")
    click.echo(f"  input stage: deta or dphi saturated at +-512 x pi/720 for {s['stage_delta_saturated']} candidates")
