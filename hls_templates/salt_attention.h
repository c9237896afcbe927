#ifndef SALT_ATTENTION_H_
#define SALT_ATTENTION_H_

// Linear attention against the k projected keys/values: scores S = Q.K~^T / sqrt(d) and O = A.V~.
// Python reference: salt_hls.model.formulas.attention_scores / weighted_values.
// Q, O: (n_particles, width); K~, V~: (k, width); S, A: (n_heads, n_particles, k). Head h owns
// columns h*head_dim .. (h+1)*head_dim-1. Data x data products: these use real multipliers.

#include "nnet_common.h"
#include "nnet_mult.h"

namespace nnet {

struct attention_scores_config {
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim;
    static const unsigned scale_shift = 1; // 1/sqrt(head_dim) = 2^-scale_shift (head_dim a power of 4)
    static const unsigned reuse_factor = 1;
    static const unsigned multiplier_limit = n_heads * n_particles * k * head_dim;
    typedef float accum_t; // holds the exact dot product with scale_shift spare fractional bits
};

template <class q_T, class k_T, class res_T, typename CONFIG_T>
void attention_scores(q_T q[CONFIG_T::n_particles * CONFIG_T::width], k_T kt[CONFIG_T::k * CONFIG_T::width],
                      res_T s[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable=q complete
    #pragma HLS ARRAY_PARTITION variable=kt complete
    #pragma HLS ARRAY_PARTITION variable=s complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
Head:
    for (unsigned h = 0; h < CONFIG_T::n_heads; h++) {
    Particle:
        for (unsigned n = 0; n < CONFIG_T::n_particles; n++) {
        Row:
            for (unsigned j = 0; j < CONFIG_T::k; j++) {
                typename CONFIG_T::accum_t acc = 0;
            Dim:
                for (unsigned d = 0; d < CONFIG_T::head_dim; d++) {
                    const unsigned col = h * CONFIG_T::head_dim + d;
                    acc += q[n * CONFIG_T::width + col] * kt[j * CONFIG_T::width + col];
                }
                s[(h * CONFIG_T::n_particles + n) * CONFIG_T::k + j] = (res_T)(acc >> CONFIG_T::scale_shift);
            }
        }
    }
}

struct weighted_values_config {
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim;
    static const unsigned reuse_factor = 1;
    static const unsigned multiplier_limit = n_particles * width * k;
    typedef float accum_t;
};

template <class a_T, class v_T, class res_T, typename CONFIG_T>
void weighted_values(a_T a[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k], v_T vt[CONFIG_T::k * CONFIG_T::width],
                     res_T o[CONFIG_T::n_particles * CONFIG_T::width]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_PARTITION variable=a complete
    #pragma HLS ARRAY_PARTITION variable=vt complete
    #pragma HLS ARRAY_PARTITION variable=o complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
Particle:
    for (unsigned n = 0; n < CONFIG_T::n_particles; n++) {
    Column:
        for (unsigned col = 0; col < CONFIG_T::width; col++) {
            const unsigned h = col / CONFIG_T::head_dim;
            typename CONFIG_T::accum_t acc = 0;
        Row:
            for (unsigned j = 0; j < CONFIG_T::k; j++) {
                acc += a[(h * CONFIG_T::n_particles + n) * CONFIG_T::k + j] * vt[j * CONFIG_T::width + col];
            }
            o[n * CONFIG_T::width + col] = (res_T)acc;
        }
    }
}

} // namespace nnet

#endif
