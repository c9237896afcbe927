"""The native Level-1 input stage: from the correlator's PUPPI candidate words and the jet word
to the (N, 3) k_T-ordered features the network takes, in native units.

words.py: the CMS Phase-2 word layouts (pack, unpack, quantize from physics values);
sortnet.py: the bitonic sorting network; stage.py: the bit-exact NumPy model of the stage;
fold.py: the input normalization folded into the first layer; cost.py: its resource cost.
The C++ is hls_templates/salt_input_stage.h.
"""
