#ifndef SALT_DYT_H_
#define SALT_DYT_H_

// DynamicTanh: y = tanh(alpha * x + beta), alpha and beta quantized constants.
//   z = alpha * x + beta (exact, z_t);  index = floor((clamp(z, -range, range) + range) * 2^index_bits)
//   y = table[min(index, table_size - 1)], the table holding tanh at each bin centre, already in res_T.
// Python reference: salt_hls.tables.tanh_table; float reference salt_hls.model.formulas.dynamic_tanh.

#include "nnet_common.h"

namespace nnet {

struct dynamic_tanh_config {
    static const unsigned n_in = 256;
    static const unsigned table_size = 1024;
    static const unsigned index_shift = 8; // fractional bits of offset_t minus index_bits
    static const int range = 4;            // the table covers [-range, range)
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1; // element groups, one pipelined function each (salt_hls.hls.structure)
    typedef float weight_t;
    typedef float z_t;
    typedef float offset_t; // z + range, for z in [-range, range): non-negative
};

// Elements [g * per, (g + 1) * per) into y_g; one pipelined instance per group (salt_hls.hls.structure chooses
// n_groups). The table is partitioned completely: every look-up reads its own copy (a LUT-ROM).
template <class data_T, class res_T, typename CONFIG_T>
void dynamic_tanh_group(data_T x[CONFIG_T::n_in], res_T y_g[CONFIG_T::n_in / CONFIG_T::n_groups],
                        typename CONFIG_T::weight_t alpha_beta[2], res_T table[CONFIG_T::table_size], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = table complete
    static const unsigned per = CONFIG_T::n_in / CONFIG_T::n_groups;
Element:
    for (unsigned e = 0; e < per; e++) {
        const unsigned i = g * per + e;
        typename CONFIG_T::z_t z = alpha_beta[0] * x[i] + alpha_beta[1];
        unsigned idx;
        if (z < -CONFIG_T::range) {
            idx = 0;
        } else if (z >= CONFIG_T::range) {
            idx = CONFIG_T::table_size - 1;
        } else {
            typename CONFIG_T::offset_t off = z + CONFIG_T::range;
            ap_uint<CONFIG_T::offset_t::width> raw = off.range();
            ap_uint<CONFIG_T::offset_t::width> shifted = raw >> CONFIG_T::index_shift;
            idx = shifted >= CONFIG_T::table_size ? CONFIG_T::table_size - 1 : (unsigned)shifted;
        }
        y_g[e] = table[idx];
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void dynamic_tanh(data_T x[CONFIG_T::n_in], res_T y[CONFIG_T::n_in], typename CONFIG_T::weight_t alpha_beta[2],
                  res_T table[CONFIG_T::table_size]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = x complete
#pragma HLS ARRAY_PARTITION variable = y complete
    static const unsigned per = CONFIG_T::n_in / CONFIG_T::n_groups;
    res_T y_g[CONFIG_T::n_groups][per];
#pragma HLS ARRAY_PARTITION variable = y_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        dynamic_tanh_group<data_T, res_T, CONFIG_T>(x, y_g[g], alpha_beta, table, g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned e = 0; e < per; e++) {
            y[g * per + e] = y_g[g][e];
        }
    }
}

} // namespace nnet

#endif
