#ifndef SALT_POINTWISE_H_
#define SALT_POINTWISE_H_

// A Dense applied to each of N particles (Keras Dense on a sequence; hls4ml's PointwiseConv1D / its
// distributed-arithmetic Conv1D), split into particle groups so that no function unrolls more than the
// 4,096 operations the Vivado backend allows (config_array_partition -maximum_size 4096, XFORM 203-103/504).
// salt_hls.hls.pointwise puts this in place of hls4ml's pointwise_conv_1d_cl / conv1d_cl, which keep all N
// particles in one function (8,192 products at N = 32, 16,384 at N = 64) and, with P < N particles per
// clock, cap every partition at one particle's multipliers (II = N x R instead of N / P x R).
//
// Structure (the same as the SAL-T layers, salt_logit_conv.h): the layer function is INLINE off with
// PIPELINE II = reuse_factor; its Group loop is unrolled into n_groups calls of the group function, each a
// separate instance (FUNCTION_INSTANTIATE on g) that is INLINE off and has its own PIPELINE II =
// reuse_factor. The groups therefore run side by side, every one taking a new jet each reuse_factor clocks:
// the layer's II is reuse_factor (ReuseFactor x N / ParallelizationFactor), not n_groups x reuse_factor as a
// pipelined loop over the groups would give, and no instance unrolls more than N / n_groups particles.
//
// Latency: each product written as hls4ml's dense_latency writes it (product<data_T, weight_t> into accum_t,
// the bias first, the channels summed in order, cast<> to res_T), so the result is bit for bit hls4ml's;
// the ALLOCATION limit (this group's products / reuse_factor) stays inside the INLINE off group function.
// Distributed arithmetic: each particle goes through hls4ml's generated adder graph dense_da_<k>
// (nnet_code_gen.h, INLINE: its adders land in the group function), as hls4ml's conv1d_cl does.

#include "nnet_common.h"
#include "nnet_mult.h"

namespace nnet {

struct pointwise_config {
    static const unsigned in_width = 16; // particles N
    static const unsigned n_chan = 16;
    static const unsigned n_filt = 16;
    static const unsigned filt_width = 1;
    static const unsigned n_partitions = 1;     // N / ParallelizationFactor: clocks over which the N particles arrive
    static const unsigned reuse_factor = 1;     // the layer's II: ReuseFactor x n_partitions
    static const unsigned n_groups = 1;         // particle groups, one pipelined function each (salt_hls.hls.structure)
    static const unsigned multiplier_limit = 1; // per group function (Latency only)
    typedef float accum_t;
    typedef float bias_t;
    typedef float weight_t;
    template <class x_T, class y_T> using product = nnet::product::mult<x_T, y_T>;
};

// Particles [g * per, (g + 1) * per) (x_g: per x n_chan) -> y_g (per x n_filt), constant products.
template <class data_T, class res_T, typename CONFIG_T>
void pointwise_latency_group(data_T x_g[(CONFIG_T::in_width / CONFIG_T::n_groups) * CONFIG_T::n_chan],
                             res_T y_g[(CONFIG_T::in_width / CONFIG_T::n_groups) * CONFIG_T::n_filt],
                             typename CONFIG_T::weight_t w[CONFIG_T::n_chan * CONFIG_T::n_filt],
                             typename CONFIG_T::bias_t b[CONFIG_T::n_filt], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::multiplier_limit
    static const unsigned per = CONFIG_T::in_width / CONFIG_T::n_groups;
Particle:
    for (unsigned i = 0; i < per; i++) {
    Filter:
        for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
            typename CONFIG_T::accum_t acc = (typename CONFIG_T::accum_t)b[o];
        Channel:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                typename CONFIG_T::accum_t m = CONFIG_T::template product<data_T, typename CONFIG_T::weight_t>::product(
                    x_g[i * CONFIG_T::n_chan + c], w[c * CONFIG_T::n_filt + o]);
                acc += m;
            }
            y_g[i * CONFIG_T::n_filt + o] = cast<data_T, res_T, CONFIG_T>(acc);
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void pointwise_latency(data_T data[CONFIG_T::in_width * CONFIG_T::n_chan], res_T res[CONFIG_T::in_width * CONFIG_T::n_filt],
                       typename CONFIG_T::weight_t weights[CONFIG_T::n_chan * CONFIG_T::n_filt],
                       typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
#pragma HLS ARRAY_PARTITION variable = weights complete
#pragma HLS ARRAY_PARTITION variable = biases complete
    static const unsigned per = CONFIG_T::in_width / CONFIG_T::n_groups;
    data_T x_g[CONFIG_T::n_groups][per * CONFIG_T::n_chan];
    res_T y_g[CONFIG_T::n_groups][per * CONFIG_T::n_filt];
#pragma HLS ARRAY_PARTITION variable = x_g complete dim = 0
#pragma HLS ARRAY_PARTITION variable = y_g complete dim = 0
Scatter:
    for (unsigned i = 0; i < CONFIG_T::in_width * CONFIG_T::n_chan; i++) {
        x_g[i / (per * CONFIG_T::n_chan)][i % (per * CONFIG_T::n_chan)] = data[i];
    }
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        pointwise_latency_group<data_T, res_T, CONFIG_T>(x_g[g], y_g[g], weights, biases, g);
    }
Gather:
    for (unsigned i = 0; i < CONFIG_T::in_width * CONFIG_T::n_filt; i++) {
        res[i] = y_g[i / (per * CONFIG_T::n_filt)][i % (per * CONFIG_T::n_filt)];
    }
}

// The same with hls4ml's adder graph CONFIG_T::dense_da (one particle: n_chan -> n_filt) in place of the products.
template <class data_T, class res_T, typename CONFIG_T>
void pointwise_da_group(data_T x_g[(CONFIG_T::in_width / CONFIG_T::n_groups) * CONFIG_T::n_chan],
                        res_T y_g[(CONFIG_T::in_width / CONFIG_T::n_groups) * CONFIG_T::n_filt], const unsigned g) {
#pragma HLS INLINE off
#pragma HLS FUNCTION_INSTANTIATE variable = g
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
    static const unsigned per = CONFIG_T::in_width / CONFIG_T::n_groups;
Particle:
    for (unsigned i = 0; i < per; i++) {
        data_T x[CONFIG_T::n_chan];
        res_T y[CONFIG_T::n_filt];
#pragma HLS ARRAY_PARTITION variable = x complete
#pragma HLS ARRAY_PARTITION variable = y complete
    In:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            x[c] = x_g[i * CONFIG_T::n_chan + c];
        }
        CONFIG_T::dense_da(x, y);
    Out:
        for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
            y_g[i * CONFIG_T::n_filt + o] = y[o];
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void pointwise_da(data_T data[CONFIG_T::in_width * CONFIG_T::n_chan], res_T res[CONFIG_T::in_width * CONFIG_T::n_filt]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = data complete
#pragma HLS ARRAY_PARTITION variable = res complete
    static const unsigned per = CONFIG_T::in_width / CONFIG_T::n_groups;
    data_T x_g[CONFIG_T::n_groups][per * CONFIG_T::n_chan];
    res_T y_g[CONFIG_T::n_groups][per * CONFIG_T::n_filt];
#pragma HLS ARRAY_PARTITION variable = x_g complete dim = 0
#pragma HLS ARRAY_PARTITION variable = y_g complete dim = 0
Scatter:
    for (unsigned i = 0; i < CONFIG_T::in_width * CONFIG_T::n_chan; i++) {
        x_g[i / (per * CONFIG_T::n_chan)][i % (per * CONFIG_T::n_chan)] = data[i];
    }
Group:
    for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
#pragma HLS UNROLL
        pointwise_da_group<data_T, res_T, CONFIG_T>(x_g[g], y_g[g], g);
    }
Gather:
    for (unsigned i = 0; i < CONFIG_T::in_width * CONFIG_T::n_filt; i++) {
        res[i] = y_g[i / (per * CONFIG_T::n_filt)][i % (per * CONFIG_T::n_filt)];
    }
}

} // namespace nnet

#endif
