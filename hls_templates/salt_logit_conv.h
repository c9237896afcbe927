#ifndef SALT_LOGIT_CONV_H_
#define SALT_LOGIT_CONV_H_

// Convolution on the attention logits: one (height x k) kernel, stride 1, 'same' zero padding
// (TensorFlow's: before = (size-1)/2), shared by all heads. The Keras layer's three averaged
// kernels (heights 1, 3, 5) arrive here as their exact single-kernel equivalent.
// Python reference: salt_hls.model.formulas.logit_conv.  s, y: (n_heads, n_particles, k).

#include "nnet_common.h"

namespace nnet {

struct logit_conv_config {
    static const unsigned n_heads = 4;
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned height = 5;
    static const unsigned pad_top = (height - 1) / 2;
    static const unsigned pad_left = (k - 1) / 2;
    static const unsigned reuse_factor = 1;
    static const unsigned n_groups = 1; // particle groups, one pipelined function each (salt_hls.hls.structure)
    typedef float weight_t;
    typedef float bias_t;
    typedef float accum_t;
};

// Particles [g * per, (g + 1) * per) of every head into y_g (h, i, j), reading their neighbours from all of s;
// one pipelined instance per group so that no function unrolls more products than HLS allows
// (salt_hls.hls.structure chooses n_groups).
template <class data_T, class res_T, typename CONFIG_T>
void logit_conv_group(data_T s[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k],
                      res_T y_g[CONFIG_T::n_heads * (CONFIG_T::n_particles / CONFIG_T::n_groups) * CONFIG_T::k],
                      typename CONFIG_T::weight_t w[CONFIG_T::height * CONFIG_T::k], typename CONFIG_T::bias_t b[1],
                      const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
Head:
    for (unsigned h = 0; h < CONFIG_T::n_heads; h++) {
    Particle:
        for (unsigned i = 0; i < per; i++) {
            const unsigned n = g * per + i;
        Column:
            for (unsigned j = 0; j < CONFIG_T::k; j++) {
                typename CONFIG_T::accum_t acc = b[0];
            KernelRow:
                for (unsigned u = 0; u < CONFIG_T::height; u++) {
                KernelCol:
                    for (unsigned v = 0; v < CONFIG_T::k; v++) {
                        const int ii = int(n + u) - int(CONFIG_T::pad_top);
                        const int jj = int(j + v) - int(CONFIG_T::pad_left);
                        if (ii >= 0 && ii < int(CONFIG_T::n_particles) && jj >= 0 && jj < int(CONFIG_T::k)) {
                            acc += w[u * CONFIG_T::k + v] * s[(h * CONFIG_T::n_particles + ii) * CONFIG_T::k + jj];
                        }
                    }
                }
                y_g[(h * per + i) * CONFIG_T::k + j] = (res_T)acc;
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void logit_conv(data_T s[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k],
                res_T y[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k],
                typename CONFIG_T::weight_t w[CONFIG_T::height * CONFIG_T::k], typename CONFIG_T::bias_t b[1]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = s complete
#pragma HLS ARRAY_PARTITION variable = y complete
#pragma HLS ARRAY_PARTITION variable = w complete
    static const unsigned per = CONFIG_T::n_particles / CONFIG_T::n_groups;
    res_T y_g[CONFIG_T::n_groups][CONFIG_T::n_heads * per * CONFIG_T::k];
#pragma HLS ARRAY_PARTITION variable = y_g complete dim = 0
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        logit_conv_group<data_T, res_T, CONFIG_T>(s, y_g[g], w, b, g);
    }
Gather:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
        for (unsigned h = 0; h < CONFIG_T::n_heads; h++) {
            for (unsigned i = 0; i < per; i++) {
                for (unsigned j = 0; j < CONFIG_T::k; j++) {
                    y[(h * CONFIG_T::n_particles + g * per + i) * CONFIG_T::k + j] = y_g[g][(h * per + i) * CONFIG_T::k + j];
                }
            }
        }
    }
}

} // namespace nnet

#endif
