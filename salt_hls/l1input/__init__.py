"""The native Level-1 input stage: from the correlator's PUPPI candidate words and the jet word
to the (N, 3) k_T-ordered features the network takes, in native units.

words.py: the CMS Phase-2 word layouts (pack, unpack, quantize from physics values);
sortnet.py: the bitonic sorting network; stage.py: the bit-exact NumPy model of the stage;
fold.py: the input normalization folded into the first layer; cost.py: its resource cost.
The C++ is hls_templates/salt_input_stage.h.

Not yet part of the converted hls4ml project. What that takes: an operation record in
salt_hls/operations.py with a Keras layer for the stage (inputs: the unpacked word fields, exact in
float32, or the words), its precision rule, reference kernel (stage.run), hls4ml handler, layer
class and templates calling nnet::salt_input_stage; a builder that puts it before the first
QDense with the folded weights of fold.py (a weight site on 2^-F instead of the trained 8,1, no
input quantizer); and cost.stage_cost as that record's cost rule in the estimator.
"""
