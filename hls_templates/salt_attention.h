#ifndef SALT_ATTENTION_H_
#define SALT_ATTENTION_H_

// Linear attention against the k projected keys/values: scores S = Q.K~^T / sqrt(d) and O = A.V~.
// Python reference: salt_hls.model.formulas.attention_scores / weighted_values.
// Q, O: (n_particles, width); K~, V~: (k, width); S, A: (n_heads, n_particles, k). Head h owns
// columns h*head_dim .. (h+1)*head_dim-1. Data x data products: these use real multipliers.

#include "nnet_common.h"
#include "nnet_mult.h"
#include "salt_product.h"

namespace nnet {

struct attention_scores_config {
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim;
    static const unsigned scale_shift = 1; // 1/sqrt(head_dim) = 2^-scale_shift (head_dim a power of 4)
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1; // particle groups, one pipelined function each (salt_hls.hls.structure)
    static const unsigned multiplier_limit = n_heads * n_particles * k * head_dim / n_groups; // per group function
    typedef float accum_t; // holds the exact dot product with scale_shift spare fractional bits
    template <class x_T, class y_T> using product = salt_product::automatic<x_T, y_T>;
};

// Particles [g * n_particles / n_groups, (g + 1) * n_particles / n_groups) of every head, into s_g (h, i, j).
// One instance per group (FUNCTION_INSTANTIATE on g), each its own pipeline, so that no function unrolls more
// products than Vivado/Vitis HLS allow (salt_hls.hls.structure chooses n_groups); INLINE off keeps the
// ALLOCATION limit inside this function instead of capping every product of the caller.
template <class q_T, class k_T, class res_T, typename CONFIG_T>
void attention_scores_group(q_T q[CONFIG_T::n_particles * CONFIG_T::width], k_T kt[CONFIG_T::k * CONFIG_T::width],
                            res_T s_g[CONFIG_T::n_heads * (CONFIG_T::n_particles / CONFIG_T::n_groups) * CONFIG_T::k],
                            const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::multiplier_limit
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
Head:
    for (unsigned h = 0; h < CONFIG_T::n_heads; h++) {
    Particle:
        for (unsigned i = 0; i < per; i++) {
            const unsigned n = g * per + i;
        Row:
            for (unsigned j = 0; j < CONFIG_T::k; j++) {
                typename CONFIG_T::accum_t acc = 0;
            Dim:
                for (unsigned d = 0; d < CONFIG_T::head_dim; d++) {
                    const unsigned col = h * CONFIG_T::head_dim + d;
                    acc += CONFIG_T::template product<q_T, k_T>::product(q[n * CONFIG_T::width + col],
                                                                         kt[j * CONFIG_T::width + col]);
                }
                s_g[(h * per + i) * CONFIG_T::k + j] = (res_T)(acc >> CONFIG_T::scale_shift);
            }
        }
    }
}

template <class q_T, class k_T, class res_T, typename CONFIG_T>
void attention_scores(q_T q[CONFIG_T::n_particles * CONFIG_T::width], k_T kt[CONFIG_T::k * CONFIG_T::width],
                      res_T s[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = q complete
#pragma HLS ARRAY_PARTITION variable = kt complete
#pragma HLS ARRAY_PARTITION variable = s complete
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
    res_T s_g[CONFIG_T::n_groups][CONFIG_T::n_heads * per * CONFIG_T::k];
#pragma HLS ARRAY_PARTITION variable = s_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        attention_scores_group<q_T, k_T, res_T, CONFIG_T>(q, kt, s_g[g], g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned h = 0; h < CONFIG_T::n_heads; h++) {
            for (unsigned i = 0; i < per; i++) {
                for (unsigned j = 0; j < CONFIG_T::k; j++) {
                    s[(h * CONFIG_T::n_particles + g * per + i) * CONFIG_T::k + j] = s_g[g][(h * per + i) * CONFIG_T::k + j];
                }
            }
        }
    }
}

struct weighted_values_config {
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim; // of V~
    static const bool sum_heads = false; // O = sum over heads of A_h.V~_h (N, head_dim), not their concatenation
    static const unsigned out_width = sum_heads ? head_dim : width;
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1; // particle groups, one pipelined function each (salt_hls.hls.structure)
    static const unsigned multiplier_limit = n_particles * width * k / n_groups; // per group function
    typedef float accum_t;
    template <class x_T, class y_T> using product = salt_product::automatic<x_T, y_T>;
};

// Particles [g * per, (g + 1) * per) into o_g (i, col); one pipelined instance per group (see attention_scores_group).
template <class a_T, class v_T, class res_T, typename CONFIG_T>
void weighted_values_group(a_T a[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k],
                           v_T vt[CONFIG_T::k * CONFIG_T::width],
                           res_T o_g[(CONFIG_T::n_particles / CONFIG_T::n_groups) * CONFIG_T::out_width], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::multiplier_limit
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
Particle:
    for (unsigned i = 0; i < per; i++) {
        const unsigned n = g * per + i;
    Column:
        for (unsigned col = 0; col < CONFIG_T::out_width; col++) {
            typename CONFIG_T::accum_t acc = 0;
        Head:
            for (unsigned hs = 0; hs < (CONFIG_T::sum_heads ? CONFIG_T::n_heads : 1); hs++) {
                const unsigned h = CONFIG_T::sum_heads ? hs : col / CONFIG_T::head_dim;
                const unsigned vcol = h * CONFIG_T::head_dim + col % CONFIG_T::head_dim;
            Row:
                for (unsigned j = 0; j < CONFIG_T::k; j++) {
                    acc += CONFIG_T::template product<a_T, v_T>::product(
                        a[(h * CONFIG_T::n_particles + n) * CONFIG_T::k + j], vt[j * CONFIG_T::width + vcol]);
                }
            }
            o_g[i * CONFIG_T::out_width + col] = (res_T)acc;
        }
    }
}

template <class a_T, class v_T, class res_T, typename CONFIG_T>
void weighted_values(a_T a[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k], v_T vt[CONFIG_T::k * CONFIG_T::width],
                     res_T o[CONFIG_T::n_particles * CONFIG_T::out_width]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = a complete
#pragma HLS ARRAY_PARTITION variable = vt complete
#pragma HLS ARRAY_PARTITION variable = o complete
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
    res_T o_g[CONFIG_T::n_groups][per * CONFIG_T::out_width];
#pragma HLS ARRAY_PARTITION variable = o_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        weighted_values_group<a_T, v_T, res_T, CONFIG_T>(a, vt, o_g[g], g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned x = 0; x < per * CONFIG_T::out_width; x++) {
            o[g * per * CONFIG_T::out_width + x] = o_g[g][x];
        }
    }
}

} // namespace nnet

#endif
