"""The IP core a trigger board takes: the Level-1 input stage (salt_hls.l1input) and the converted
network (salt_hls.hls) in one HLS top function with integration ports, and its bit-exact reference."""
