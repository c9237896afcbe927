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
    typedef float weight_t;
    typedef float z_t;
    typedef float offset_t; // z + range, for z in [-range, range): non-negative
};

template <class data_T, class res_T, typename CONFIG_T>
void dynamic_tanh(data_T x[CONFIG_T::n_in], res_T y[CONFIG_T::n_in], typename CONFIG_T::weight_t alpha_beta[2],
                  res_T table[CONFIG_T::table_size]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable=x complete
    #pragma HLS ARRAY_PARTITION variable=y complete
Element:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
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
        y[i] = table[idx];
    }
}

} // namespace nnet

#endif
