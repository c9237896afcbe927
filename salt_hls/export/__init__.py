"""`salt-hls export`: an IP project (salt-hls ip) as a bundle an integrator drops into a firmware build.

bundle.py writes it (sources, vendor TCL, manifest.json, testbench vectors from the bit-exact
reference); tcl.py holds the Vivado HLS / Vitis HLS scripts that synthesize and export the IP.
"""

from salt_hls.export.bundle import MANIFEST, export_project

__all__ = ["MANIFEST", "export_project"]
