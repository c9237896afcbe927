"""Vendor tools (Vivado HLS, Vitis HLS): detecting and running them, and reading their reports into
the project's report schema. Nothing here runs at import time."""
