#ifndef SALT_PRODUCT_H_
#define SALT_PRODUCT_H_

// Where the data x data products of the attention are built (convert --products, salt_hls.settings.PRODUCT_IMPLS):
//   automatic: the HLS tool chooses (it puts a product on a DSP48 from about 10-bit operands);
//   dsp / fabric: bound to DSP48 slices / to LUTs by pragma -- Vitis HLS's BIND_OP, Vivado HLS's RESOURCE core.
// At the Level-1 trigger LUTs bind first and the attention's DSPs are mostly idle, so the budget, not the
// operand width, should decide. All three compute the same exact product (C simulation cannot tell them apart).
// The layer's config names one: template <class x_T, class y_T> using product = nnet::salt_product::dsp<x_T, y_T>;

namespace nnet {
namespace salt_product {

template <class a_T, class b_T> struct automatic {
    static auto product(a_T a, b_T b) -> decltype(a * b) {
#pragma HLS INLINE
        return a * b;
    }
};

template <class a_T, class b_T> struct dsp {
    static auto product(a_T a, b_T b) -> decltype(a * b) {
#pragma HLS INLINE
        decltype(a * b) p = a * b;
#ifdef __VITIS_HLS__
#pragma HLS BIND_OP variable = p op = mul impl = dsp
#else
#pragma HLS RESOURCE variable = p core = DSP48
#endif
        return p;
    }
};

template <class a_T, class b_T> struct fabric {
    static auto product(a_T a, b_T b) -> decltype(a * b) {
#pragma HLS INLINE
        decltype(a * b) p = a * b;
#ifdef __VITIS_HLS__
#pragma HLS BIND_OP variable = p op = mul impl = fabric
#else
#pragma HLS RESOURCE variable = p core = Mul_LUT
#endif
        return p;
    }
};

} // namespace salt_product
} // namespace nnet

#endif
