"""The native Level-1 input stage: from the correlator's PUPPI candidate words and the jet word
to the (N, 3) k_T-ordered features the network takes, in native units.

words.py: the CMS Phase-2 word layouts (pack, unpack, quantize from physics values);
sortnet.py: the bitonic sorting network; stage.py: the bit-exact NumPy model of the stage;
fold.py: the input normalization folded into the first layer; writer.py: jets written as words.
The C++ is hls_templates/salt_input_stage.h. This package depends on neither hls4ml nor the
estimator: salt_hls.estimate.input_stage costs the stage, and salt_hls.ip builds the IP top (the
folded network in network.py, the top salt_ip that calls the stage and then the hls4ml network in
top.py, with its ports, g++ testbench and bit-exact reference).

The stage is a function called by our own top beside the hls4ml project, not an hls4ml layer (an
operation record): it takes 64-bit words, not a tensor of features, and runs once per jet
before the network; a wrapper leaves the hls4ml project, its C simulation and its estimate as
they are. What is left: the stage is not in hls4ml's trace (csim --bit-exact traces the network
alone), and its cost has not been compared with a vendor run.
"""
