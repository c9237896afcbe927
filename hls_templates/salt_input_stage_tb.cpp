// Standalone g++ testbench of salt_input_stage.h (salt_hls/l1input/csim.py compiles and drives it).
// stdin: the number of jets, then per jet the jet word and N_IN candidate words (decimal uint64).
// stdout: per jet one line of N_OUT * 3 integers (pt, deta, dphi per slot).
#include <cstdio>
#include <iostream>

#include "salt_input_stage.h"

struct config : nnet::salt_input_stage_config {
    static const unsigned n_in = N_IN, n_out = N_OUT, sort_in = SORT_IN, sort_out = SORT_OUT, index_bits = INDEX_BITS;
    static const int pad_pt = PAD_PT, pad_deta = PAD_DETA, pad_dphi = PAD_DPHI;
};

int main() {
    unsigned long long n_jets;
    if (!(std::cin >> n_jets))
        return 2;
    for (unsigned long long j = 0; j < n_jets; j++) {
        unsigned long long v;
        ap_uint<64> jet, cands[N_IN];
        if (!(std::cin >> v))
            return 2;
        jet = v;
        for (unsigned i = 0; i < N_IN; i++) {
            if (!(std::cin >> v))
                return 2;
            cands[i] = v;
        }
        ap_int<15> out[N_OUT * 3];
        nnet::salt_input_stage<config, ap_int<15>>(cands, jet, out);
        for (unsigned i = 0; i < N_OUT * 3; i++)
            std::printf(i ? " %d" : "%d", out[i].to_int());
        std::printf("\n");
    }
    return 0;
}
