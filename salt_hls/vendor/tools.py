"""Which vendor HLS tool can build a project, found on PATH; nothing here runs it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

# Executable -> what to install. vitis-run arrived with the unified Vitis 2023.2 command line;
# vitis_hls is the classic Vitis HLS driver; Vivado HLS ended at 2020.1.
PRODUCTS = {
    "vitis-run": "AMD Vitis 2023.2 or newer (vitis-run --mode hls)",
    "vitis_hls": "Vitis HLS 2020.2 or newer (vitis_hls)",
    "vivado_hls": "Vivado HLS 2019.2 or 2020.1 (vivado_hls)",
    "vivado": "Vivado (vivado), the same release as the HLS tool",
}

# hls4ml backend -> executables that can run its build_prj.tcl, preferred first. The Vivado
# backend's script uses Vivado HLS-only options, so Vitis tools are not offered for it.
BACKEND_TOOLS = {
    "vivado": ("vivado_hls",),
    "vivadoaccelerator": ("vivado_hls",),
    "vitis": ("vitis-run", "vitis_hls"),
}


@dataclass(frozen=True)
class Tool:
    executable: str
    path: str

    @property
    def product(self) -> str:
        return PRODUCTS[self.executable]


def candidates(backend: str) -> tuple[str, ...]:
    return BACKEND_TOOLS.get(backend.lower(), BACKEND_TOOLS["vivado"])


def find_tool(backend: str) -> Tool | None:
    for exe in candidates(backend):
        found = shutil.which(exe)  # reads PATH at call time, so tests can clear it
        if found:
            return Tool(exe, found)
    return None


def find_vivado() -> Tool | None:
    """Vivado itself, which hls4ml's build_prj.tcl calls for the post-synthesis step (vsynth)."""
    found = shutil.which("vivado")
    return Tool("vivado", found) if found else None


def missing_tool_message(backend: str) -> str:
    wanted = " or ".join(f"{PRODUCTS[exe]}" for exe in candidates(backend))
    names = ", ".join(f"'{exe}'" for exe in candidates(backend))
    return (
        f"no HLS tool found on PATH for an hls4ml '{backend or 'vivado'}' project: need {wanted}. "
        f"Install it and source its settings64.sh so that {names} is on PATH; nothing was synthesized"
    )


def build_command(tool: Tool, csynth: bool, vsynth: bool, export_ip: bool) -> list[str]:
    """Arguments for hls4ml's build_prj.tcl. The Vivado script reads options from argv; the
    Vitis script sources build_opt.tcl instead (see write_build_options)."""
    if tool.executable == "vivado_hls":
        opts = f"reset=0 csim=0 synth={int(csynth)} cosim=0 validation=0 export={int(export_ip)} vsynth={int(vsynth)} fifo_opt=0"
        return [tool.path, "-f", "build_prj.tcl", opts]
    if tool.executable == "vitis-run":
        return [tool.path, "--mode", "hls", "--tcl", "build_prj.tcl"]
    return [tool.path, "-f", "build_prj.tcl"]


def write_build_options(project: Path, csynth: bool, vsynth: bool, export_ip: bool) -> Path:
    """build_opt.tcl as hls4ml's VitisBackend.build writes it."""
    opts = {"reset": 0, "csim": 0, "synth": int(csynth), "cosim": 0, "validation": 0}
    opts |= {"export": int(export_ip), "vsynth": int(vsynth), "fifo_opt": 0}
    path = Path(project) / "build_opt.tcl"
    path.write_text("array set opt {\n" + "".join(f"    {k:<10} {v}\n" for k, v in opts.items()) + "}\n")
    return path
