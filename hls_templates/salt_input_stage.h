// The Level-1 input stage of the SAL-T firmware: PUPPI candidate words + the jet word in,
// (N, 3) k_T-ordered features (pt, deta, dphi) in native units out. Bit-exact model:
// salt_hls/l1input/stage.py (word layout and every choice explained there and in words.py).
#ifndef SALT_INPUT_STAGE_H_
#define SALT_INPUT_STAGE_H_

#include "ap_int.h"

namespace nnet {

// Word fields (CMSSW l1ct::PuppiObj::pack / l1ct::Jet::pack_ap, from bit 0 up).
static const int salt_l1_pt_lo = 0, salt_l1_pt_hi = 13;
static const int salt_l1_eta_lo = 14, salt_l1_eta_hi = 25;
static const int salt_l1_phi_lo = 26, salt_l1_phi_hi = 36;
static const int salt_l1_half_turn = 720; // pi in units of pi/720
static const int salt_l1_delta_min = -512, salt_l1_delta_max = 511;

struct salt_input_stage_config {
    static const unsigned n_in = 32;                         // M candidate words per jet
    static const unsigned n_out = 32;                        // N particles to the network
    static const unsigned sort_in = 32;                      // M rounded up to a power of two
    static const unsigned sort_out = 32;                     // N rounded up to a power of two
    static const unsigned index_bits = 5;                    // log2(sort_in)
    static const int pad_pt = 0, pad_deta = 0, pad_dphi = 0; // output of an empty slot
};

template <unsigned IB> struct salt_l1_particle {
    ap_uint<14> pt;
    ap_int<10> deta;
    ap_int<10> dphi;
    ap_uint<IB> index;
    ap_uint<48> kt2; // pt^2 * (deta^2 + dphi^2): orders exactly as pt * dR
};

// Strict orders with the input index as the last key: no two elements are equal, so the
// network's result is the stable sort's, whatever the network.
struct salt_l1_by_pt {
    template <class T> static bool before(const T &a, const T &b) {
        return a.pt > b.pt || (a.pt == b.pt && a.index < b.index);
    }
};
struct salt_l1_by_kt {
    template <class T> static bool before(const T &a, const T &b) {
        return a.kt2 > b.kt2 || (a.kt2 == b.kt2 && (a.pt > b.pt || (a.pt == b.pt && a.index < b.index)));
    }
};

// Bitonic sort, descending under ORDER: log2(P)(log2(P)+1)/2 stages of P/2 compare-exchanges,
// fully unrolled (the loop bounds are constants).
template <class T, unsigned P, class ORDER> void salt_l1_bitonic_sort(T a[P]) {
#pragma HLS INLINE
#pragma HLS ARRAY_PARTITION variable = a complete
SortK:
    for (unsigned k = 2; k <= P; k <<= 1) {
#pragma HLS UNROLL
    SortJ:
        for (unsigned j = k >> 1; j > 0; j >>= 1) {
#pragma HLS UNROLL
        SortPair:
            for (unsigned i = 0; i < P; i++) {
#pragma HLS UNROLL
                const unsigned l = i ^ j;
                if (l > i) {
                    const bool desc = (i & k) == 0;
                    const unsigned f = desc ? i : l, s = desc ? l : i;
                    if (ORDER::before(a[s], a[f])) {
                        T t = a[f];
                        a[f] = a[s];
                        a[s] = t;
                    }
                }
            }
        }
    }
}

template <class T> T salt_l1_saturate_delta(T d) {
#pragma HLS INLINE
    return d > salt_l1_delta_max ? T(salt_l1_delta_max) : (d < salt_l1_delta_min ? T(salt_l1_delta_min) : d);
}

template <class CONFIG_T, class res_T>
void salt_input_stage(const ap_uint<64> cands[CONFIG_T::n_in], const ap_uint<64> jet, res_T out[CONFIG_T::n_out * 3]) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = cands complete
#pragma HLS ARRAY_PARTITION variable = out complete
    typedef salt_l1_particle<CONFIG_T::index_bits> particle_t;

    const ap_int<12> jet_eta = jet.range(salt_l1_eta_hi, salt_l1_eta_lo);
    const ap_int<11> jet_phi = jet.range(salt_l1_phi_hi, salt_l1_phi_lo);

    particle_t in[CONFIG_T::sort_in];
#pragma HLS ARRAY_PARTITION variable = in complete
Unpack:
    for (unsigned i = 0; i < CONFIG_T::sort_in; i++) {
#pragma HLS UNROLL
        in[i].index = i;
        in[i].kt2 = 0;
        if (i < CONFIG_T::n_in) {
            const ap_uint<64> w = cands[i];
            const ap_int<12> eta = w.range(salt_l1_eta_hi, salt_l1_eta_lo);
            const ap_int<11> phi = w.range(salt_l1_phi_hi, salt_l1_phi_lo);
            in[i].pt = w.range(salt_l1_pt_hi, salt_l1_pt_lo);
            in[i].deta = salt_l1_saturate_delta(ap_int<13>(eta - jet_eta));
            ap_int<12> dphi = phi - jet_phi; // -2047..2047: one add or subtract of a turn wraps it
            if (dphi >= salt_l1_half_turn)
                dphi -= 2 * salt_l1_half_turn;
            else if (dphi < -salt_l1_half_turn)
                dphi += 2 * salt_l1_half_turn;
            in[i].dphi = salt_l1_saturate_delta(dphi);
        } else {
            in[i].pt = 0;
            in[i].deta = 0;
            in[i].dphi = 0;
        }
    }

    // The N hardest by pT (only when more words than N arrive).
    if (CONFIG_T::n_in > CONFIG_T::n_out)
        salt_l1_bitonic_sort<particle_t, CONFIG_T::sort_in, salt_l1_by_pt>(in);

    particle_t sel[CONFIG_T::sort_out];
#pragma HLS ARRAY_PARTITION variable = sel complete
Select:
    for (unsigned i = 0; i < CONFIG_T::sort_out; i++) {
#pragma HLS UNROLL
        if (i < CONFIG_T::n_out) {
            sel[i] = in[i];
        } else {
            sel[i].pt = 0;
            sel[i].deta = 0;
            sel[i].dphi = 0;
            sel[i].index = (1 << CONFIG_T::index_bits) - 1;
        }
        const ap_uint<20> dr2 = sel[i].deta * sel[i].deta + sel[i].dphi * sel[i].dphi;
        const ap_uint<28> pt2 = sel[i].pt * sel[i].pt;
        sel[i].kt2 = pt2 * dr2;
    }

    salt_l1_bitonic_sort<particle_t, CONFIG_T::sort_out, salt_l1_by_kt>(sel);

Emit:
    for (unsigned i = 0; i < CONFIG_T::n_out; i++) {
#pragma HLS UNROLL
        const bool empty = sel[i].pt == 0;
        out[3 * i + 0] = empty ? res_T(CONFIG_T::pad_pt) : res_T(sel[i].pt);
        out[3 * i + 1] = empty ? res_T(CONFIG_T::pad_deta) : res_T(sel[i].deta);
        out[3 * i + 2] = empty ? res_T(CONFIG_T::pad_dphi) : res_T(sel[i].dphi);
    }
}

} // namespace nnet

#endif
