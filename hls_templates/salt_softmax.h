#ifndef SALT_SOFTMAX_H_
#define SALT_SOFTMAX_H_

// Softmax over the k partitions, separately for every (head, particle) row -- not over the
// flattened tensor. Table based, every step exact except the two table look-ups and the final cast:
//   d_j = max(s) - s_j >= 0 (exact);  e_j = exp_table[min(floor(d_j * 2^exp_index_bits), exp_size-1)]
//   sum = sum_j e_j (exact, in [1, k] because the maximum contributes exp(0) = 1)
//   inv = inv_table[min(floor((sum - 1) * 2^inv_index_bits), inv_size-1)];  a_j = (res_T)(e_j * inv)
// Tables are computed in Python (salt_hls.tables) and passed in as constants.
// Python reference: salt_hls.tables.softmax_tables; float reference salt_hls.model.formulas.partition_softmax.

#include "nnet_common.h"
#include "salt_product.h"

namespace nnet {

struct partition_softmax_config {
    static const unsigned n_rows = 64; // n_heads * n_particles
    static const unsigned k = 4;
    static const unsigned exp_size = 1024;
    static const unsigned inv_size = 1024;
    static const unsigned diff_shift = 2; // fractional bits of diff_t minus exp_index_bits
    static const unsigned sum_shift = 9;  // fractional bits of sum_t minus inv_index_bits
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1; // row groups, one pipelined function each (salt_hls.hls.structure)
    typedef float diff_t;
    typedef float exp_t;
    typedef float sum_t;
    typedef float inv_t;
    template <class x_T, class y_T> using product = salt_product::automatic<x_T, y_T>;
};

// Rows [g * per, (g + 1) * per) into a_g; one pipelined instance per group (salt_hls.hls.structure chooses n_groups).
// The tables are partitioned completely: every look-up reads its own copy (a LUT-ROM), so the
// hundreds of data-dependent reads of one clock never compete for memory ports.
template <class data_T, class res_T, typename CONFIG_T>
void partition_softmax_group(data_T s[CONFIG_T::n_rows * CONFIG_T::k],
                             res_T a_g[(CONFIG_T::n_rows / CONFIG_T::n_groups) * CONFIG_T::k],
                             typename CONFIG_T::exp_t exp_table[CONFIG_T::exp_size],
                             typename CONFIG_T::inv_t inv_table[CONFIG_T::inv_size], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = exp_table complete
#pragma HLS ARRAY_PARTITION variable = inv_table complete
    static const unsigned per = CONFIG_T::n_rows / CONFIG_T::n_groups;
Row:
    for (unsigned i = 0; i < per; i++) {
        const unsigned r = g * per + i;
        data_T m = s[r * CONFIG_T::k];
    Max:
        for (unsigned j = 1; j < CONFIG_T::k; j++) {
            if (s[r * CONFIG_T::k + j] > m)
                m = s[r * CONFIG_T::k + j];
        }
        typename CONFIG_T::exp_t e[CONFIG_T::k];
#pragma HLS ARRAY_PARTITION variable = e complete
        typename CONFIG_T::sum_t sum = 0;
    Exp:
        for (unsigned j = 0; j < CONFIG_T::k; j++) {
            typename CONFIG_T::diff_t d = m - s[r * CONFIG_T::k + j];
            ap_uint<CONFIG_T::diff_t::width> raw = d.range();
            ap_uint<CONFIG_T::diff_t::width> idx = raw >> CONFIG_T::diff_shift;
            e[j] = exp_table[idx >= CONFIG_T::exp_size ? CONFIG_T::exp_size - 1 : (unsigned)idx];
            sum += e[j];
        }
        typename CONFIG_T::sum_t excess = sum - 1;
        ap_uint<CONFIG_T::sum_t::width> raw_sum = excess.range();
        ap_uint<CONFIG_T::sum_t::width> sidx = raw_sum >> CONFIG_T::sum_shift;
        typename CONFIG_T::inv_t inv = inv_table[sidx >= CONFIG_T::inv_size ? CONFIG_T::inv_size - 1 : (unsigned)sidx];
    Normalize:
        for (unsigned j = 0; j < CONFIG_T::k; j++) {
            a_g[i * CONFIG_T::k + j] =
                (res_T)(CONFIG_T::template product<typename CONFIG_T::exp_t, typename CONFIG_T::inv_t>::product(e[j], inv));
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void partition_softmax(data_T s[CONFIG_T::n_rows * CONFIG_T::k], res_T a[CONFIG_T::n_rows * CONFIG_T::k],
                       typename CONFIG_T::exp_t exp_table[CONFIG_T::exp_size],
                       typename CONFIG_T::inv_t inv_table[CONFIG_T::inv_size]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = s complete
#pragma HLS ARRAY_PARTITION variable = a complete
    static const unsigned per = CONFIG_T::n_rows / CONFIG_T::n_groups;
    res_T a_g[CONFIG_T::n_groups][per * CONFIG_T::k];
#pragma HLS ARRAY_PARTITION variable = a_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        partition_softmax_group<data_T, res_T, CONFIG_T>(s, a_g[g], exp_table, inv_table, g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned x = 0; x < per * CONFIG_T::k; x++) {
            a[g * per * CONFIG_T::k + x] = a_g[g][x];
        }
    }
}

// k = 2: the same function in fewer steps. With two partitions the maximum's exp entry is exp_table[0], so
// both weights depend on the index of d = |s_0 - s_1| alone; top_table / low_table hold, per index, the
// chain's result for the row maximum and for the other score (salt_hls.tables.SoftmaxTables.pair_tables):
//   second = s_1 > s_0 (as the Max loop above picks it: ties keep s_0);  d = second ? s_1 - s_0 : s_0 - s_1
//   i = min(floor(d * 2^exp_index_bits), table_size - 1);  a_max = top_table[i], a_other = low_table[i]
// Bit for bit what partition_softmax computes, without the sum, the reciprocal look-up, the products and the cast.
struct pair_softmax_config {
    static const unsigned n_rows = 64; // n_heads * n_particles
    static const unsigned table_size = 1024;
    static const unsigned diff_shift = 2; // fractional bits of diff_t minus exp_index_bits
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1;
    typedef float diff_t;
    typedef float table_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void pair_softmax_group(data_T s[CONFIG_T::n_rows * 2], res_T a_g[(CONFIG_T::n_rows / CONFIG_T::n_groups) * 2],
                        typename CONFIG_T::table_t top_table[CONFIG_T::table_size],
                        typename CONFIG_T::table_t low_table[CONFIG_T::table_size], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = top_table complete
#pragma HLS ARRAY_PARTITION variable = low_table complete
    static const unsigned per = CONFIG_T::n_rows / CONFIG_T::n_groups;
Row:
    for (unsigned i = 0; i < per; i++) {
        const unsigned r = g * per + i;
        const data_T s0 = s[2 * r], s1 = s[2 * r + 1];
        const bool second = s1 > s0;
        typename CONFIG_T::diff_t d = second ? (typename CONFIG_T::diff_t)(s1 - s0) : (typename CONFIG_T::diff_t)(s0 - s1);
        ap_uint<CONFIG_T::diff_t::width> raw = d.range();
        ap_uint<CONFIG_T::diff_t::width> idx = raw >> CONFIG_T::diff_shift;
        const unsigned at = idx >= CONFIG_T::table_size ? CONFIG_T::table_size - 1 : (unsigned)idx;
        const res_T hi = top_table[at], lo = low_table[at];
        a_g[2 * i] = second ? lo : hi;
        a_g[2 * i + 1] = second ? hi : lo;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void pair_softmax(data_T s[CONFIG_T::n_rows * 2], res_T a[CONFIG_T::n_rows * 2],
                  typename CONFIG_T::table_t top_table[CONFIG_T::table_size],
                  typename CONFIG_T::table_t low_table[CONFIG_T::table_size]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = s complete
#pragma HLS ARRAY_PARTITION variable = a complete
    static const unsigned per = CONFIG_T::n_rows / CONFIG_T::n_groups;
    res_T a_g[CONFIG_T::n_groups][per * 2];
#pragma HLS ARRAY_PARTITION variable = a_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        pair_softmax_group<data_T, res_T, CONFIG_T>(s, a_g[g], top_table, low_table, g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned x = 0; x < per * 2; x++) {
            a[g * per * 2 + x] = a_g[g][x];
        }
    }
}

} // namespace nnet

#endif
