"""The vendor scripts of a bundle: C synthesis and `export_design -format ip_catalog` of the IP top.

One script per tool, because they differ: Vitis HLS opens a solution with `-flow_target vivado`
(an IP for the Vivado flow); Vivado HLS (<= 2020.1) has no flow target. The include path is the
sources' own directory: the tool brings its own ap_types, as it does for hls4ml's projects.
"""

from __future__ import annotations

TOOLS = {"vitis_hls": "vitis_hls.tcl", "vivado_hls": "vivado_hls.tcl"}
BACKEND_TOOL = {"Vitis": "vitis_hls", "Vivado": "vivado_hls"}
IP_VENDOR, IP_LIBRARY, IP_VERSION = "salt-hls", "l1t", "1.0"


def script(tool: str, top: str, sources: list[str], part: str, clock_ns: float, uncertainty: str) -> str:
    solution = "open_solution -reset solution1 -flow_target vivado" if tool == "vitis_hls" else "open_solution -reset solution1"
    adds = "\n".join(f'add_files {s} -cflags "-std=c++0x -Ihls/firmware"' for s in sources)  # as hls4ml's build_prj.tcl
    return f"""# {tool}: C synthesis of {top} and its export as a Vivado IP-catalog core (written by salt-hls export).
# Run from the bundle's directory:  {tool} -f {TOOLS[tool]}
open_project -reset {top}_prj
set_top {top}
{adds}
{solution}
set_part {{{part}}}
create_clock -period {clock_ns} -name default
set_clock_uncertainty {uncertainty} default
csynth_design
export_design -format ip_catalog -vendor {IP_VENDOR} -library {IP_LIBRARY} -version {IP_VERSION} -display_name {top}
exit
"""


def command(tool: str) -> str:
    return f"{tool} -f {TOOLS[tool]}"
