"""Open RTL evidence: the firmware traced to Verilog with da4ml, simulated in Verilator and
synthesized with Yosys (salt_hls.rtl.trace, .verilog, .synth, .flow)."""
