"""Compile and run the standalone g++ testbench of hls_templates/salt_input_stage.h.

The Xilinx ap_types headers come from hls4ml's own templates (the same ones hls4ml projects
compile against), so no vendor tool is needed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.l1input.sortnet import next_pow2
from salt_hls.l1input.stage import StageConfig

TEMPLATES = Path(__file__).resolve().parents[2] / "hls_templates"


def ap_types_dir() -> Path:
    import hls4ml

    d = Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"
    if not (d / "ap_int.h").is_file():
        raise ConfigError(f"hls4ml's ap_types headers are missing from {d}; reinstall hls4ml (pinned in requirements.lock)")
    return d


def compile_testbench(cfg: StageConfig, workdir: str | Path) -> Path:
    """Build the testbench for one configuration; returns the executable."""
    gxx = shutil.which("g++")
    if gxx is None:
        raise ConfigError("g++ is not on PATH; install it (Debian: apt-get install g++) to C-simulate the input stage")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    exe = workdir / f"salt_input_stage_m{cfg.n_in}_n{cfg.n_out}"
    defines = {
        "N_IN": cfg.n_in,
        "N_OUT": cfg.n_out,
        "SORT_IN": next_pow2(cfg.n_in),
        "SORT_OUT": next_pow2(cfg.n_out),
        "INDEX_BITS": cfg.index_bits,
        "PAD_PT": cfg.pad[0],
        "PAD_DETA": cfg.pad[1],
        "PAD_DPHI": cfg.pad[2],
    }
    cmd = [
        gxx,
        "-O1",
        "-std=c++14",
        f"-I{TEMPLATES}",
        f"-I{ap_types_dir()}",
        *(f"-D{k}={v}" for k, v in defines.items()),
        str(TEMPLATES / "salt_input_stage_tb.cpp"),
        "-o",
        str(exe),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"g++ could not build the input-stage testbench:\n{done.stderr[-4000:]}")
    return exe


def run_testbench(exe: str | Path, candidates: np.ndarray, jets: np.ndarray, n_out: int) -> np.ndarray:
    """Features (jets, N, 3) int64 that the C++ computes for the words."""
    candidates = np.asarray(candidates, np.uint64)
    rows = [f"{len(jets)}"] + [
        " ".join(map(str, [int(j), *(int(c) for c in cs)])) for j, cs in zip(np.asarray(jets, np.uint64), candidates, strict=True)
    ]
    done = subprocess.run([str(exe)], input="\n".join(rows) + "\n", capture_output=True, text=True, check=True)
    out = np.array([[int(v) for v in line.split()] for line in done.stdout.splitlines()], np.int64)
    return out.reshape(len(jets), n_out, 3)
