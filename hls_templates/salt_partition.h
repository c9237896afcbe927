#ifndef SALT_PARTITION_H_
#define SALT_PARTITION_H_

// Low-rank key/value projections of SAL-T (per-partition sums) and Linformer (dense E/F).
// Python reference: salt_hls.model.formulas.partition_projection / linformer_projection.
// Layout: x is (n_particles, width) row-major, head h owns columns h*head_dim .. (h+1)*head_dim-1;
// y is (n_rows, width). Weights are constants, so every product is a constant multiplication.

#include "nnet_common.h"

namespace nnet {

struct partition_projection_config {
    static const unsigned n_particles = 16;
    static const unsigned n_partitions = 4;
    static const unsigned chunk = 4; // ceil(n_particles / n_partitions); salt_hls.geometry
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim;
    static const unsigned reuse_factor = 1;
    typedef float weight_t;
    typedef float accum_t;
};

// y[j, col] = sum_l w[h, j, l] * x[j*chunk + l, col], h = col / head_dim; slots past n_particles are padding (zero).
template <class data_T, class res_T, typename CONFIG_T>
void partition_projection(data_T x[CONFIG_T::n_particles * CONFIG_T::width],
                          res_T y[CONFIG_T::n_partitions * CONFIG_T::width],
                          typename CONFIG_T::weight_t w[CONFIG_T::n_heads * CONFIG_T::n_partitions * CONFIG_T::chunk]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = x complete
#pragma HLS ARRAY_PARTITION variable = y complete
#pragma HLS ARRAY_PARTITION variable = w complete
Partition:
    for (unsigned j = 0; j < CONFIG_T::n_partitions; j++) {
    Column:
        for (unsigned col = 0; col < CONFIG_T::width; col++) {
            const unsigned h = col / CONFIG_T::head_dim;
            typename CONFIG_T::accum_t acc = 0;
        Member:
            for (unsigned l = 0; l < CONFIG_T::chunk; l++) {
                const unsigned i = j * CONFIG_T::chunk + l;
                if (i < CONFIG_T::n_particles) {
                    acc += w[(h * CONFIG_T::n_partitions + j) * CONFIG_T::chunk + l] * x[i * CONFIG_T::width + col];
                }
            }
            y[j * CONFIG_T::width + col] = (res_T)acc;
        }
    }
}

struct linformer_projection_config {
    static const unsigned n_particles = 16;
    static const unsigned k = 4;
    static const unsigned n_heads = 4;
    static const unsigned head_dim = 4;
    static const unsigned width = n_heads * head_dim;
    static const unsigned reuse_factor = 1;
    typedef float weight_t;
    typedef float accum_t;
};

// y[j, col] = sum_n e[h, n, j] * x[n, col], h = col / head_dim.
template <class data_T, class res_T, typename CONFIG_T>
void linformer_projection(data_T x[CONFIG_T::n_particles * CONFIG_T::width], res_T y[CONFIG_T::k * CONFIG_T::width],
                          typename CONFIG_T::weight_t e[CONFIG_T::n_heads * CONFIG_T::n_particles * CONFIG_T::k]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = x complete
#pragma HLS ARRAY_PARTITION variable = y complete
#pragma HLS ARRAY_PARTITION variable = e complete
Row:
    for (unsigned j = 0; j < CONFIG_T::k; j++) {
    Column:
        for (unsigned col = 0; col < CONFIG_T::width; col++) {
            const unsigned h = col / CONFIG_T::head_dim;
            typename CONFIG_T::accum_t acc = 0;
        Particle:
            for (unsigned n = 0; n < CONFIG_T::n_particles; n++) {
                acc += e[(h * CONFIG_T::n_particles + n) * CONFIG_T::k + j] * x[n * CONFIG_T::width + col];
            }
            y[j * CONFIG_T::width + col] = (res_T)acc;
        }
    }
}

} // namespace nnet

#endif
