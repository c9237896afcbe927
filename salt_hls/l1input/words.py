"""CMS Phase-2 Level-1 words: the PUPPI candidate and the jet, as the correlator sends them.

Layout from CMSSW `DataFormats/L1TParticleFlow/interface/datatypes.h` and `puppi.h`
(`l1ct::PuppiObj::pack`, fields packed from bit 0 upwards):

| bits  | field | type | unit |
|---|---|---|---|
| 0-13  | hwPt  | pt_t = ap_ufixed<14,12,AP_TRN,AP_SAT> | 0.25 GeV (the raw 14 bits are pT / 0.25 GeV) |
| 14-25 | hwEta | glbeta_t = ap_int<12> | pi/720 rad (Scales::ETAPHI_LSB) |
| 26-36 | hwPhi | glbphi_t = ap_int<11> | pi/720 rad, -720..719 is one turn (INTPHI_PI = 720) |
| 37-39 | hwId  | ParticleID, ap_uint<3> | 0 h0, 1 gamma, 2 h-, 3 h+, 4 e-, 5 e+, 6 mu-, 7 mu+ |
| 40-60 | hwData | charged: z0 ap_int<10> (40-49), dxy ap_uint<8> (50-57), track quality ap_uint<3> (58-60); neutral: PUPPI weight ap_ufixed<9,1> (40-48, 256 = 1.0), EM id ap_uint<6> (49-54) |

PuppiObj::BITWIDTH is 61; the word travels in a 64-bit link word whose bits 61-63 are zero.
A word with hwPt = 0 is an empty slot. The jet word (`l1ct::Jet::pack_ap` in `jets.h`) starts
with the same three fields, pt_t (0-13), glbeta_t (14-25), glbphi_t (26-36); the input stage
reads only those, so jet words here carry just those 37 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salt_hls.errors import DataError

PT_LSB_GEV = 0.25
ETAPHI_LSB = np.pi / 720  # rad
PHI_HALF_TURN = 720  # INTPHI_PI

PT_BITS, ETA_BITS, PHI_BITS, ID_BITS, DATA_BITS = 14, 12, 11, 3, 21
PT_SHIFT, ETA_SHIFT, PHI_SHIFT, ID_SHIFT, DATA_SHIFT = 0, 14, 26, 37, 40
PUPPI_BITS = DATA_SHIFT + DATA_BITS  # 61
PT_MAX = (1 << PT_BITS) - 1
ETA_MIN, ETA_MAX = -(1 << (ETA_BITS - 1)), (1 << (ETA_BITS - 1)) - 1
HADZERO = 0
PUPPIW_ONE = 256  # neutral data bits 0-8: the PUPPI weight 1.0 (generator-level jets have no pile-up)


def _field(words: np.ndarray, shift: int, bits: int, signed: bool) -> np.ndarray:
    v = ((np.asarray(words, np.uint64) >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)
    return np.where(v >= (1 << (bits - 1)), v - (1 << bits), v) if signed else v


def unpack(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pt, eta, phi) raw integers of candidate or jet words: pt in 0.25 GeV, eta and phi in pi/720."""
    return (
        _field(words, PT_SHIFT, PT_BITS, False),
        _field(words, ETA_SHIFT, ETA_BITS, True),
        _field(words, PHI_SHIFT, PHI_BITS, True),
    )


def pack(pt, eta, phi, pid=None, data=None) -> np.ndarray:
    """Words from raw integers; every field must already lie in its range (no silent wrap)."""
    pt, eta, phi = (np.asarray(a, np.int64) for a in (pt, eta, phi))
    pid = np.zeros_like(pt) if pid is None else np.asarray(pid, np.int64)
    data = np.zeros_like(pt) if data is None else np.asarray(data, np.int64)
    for name, v, lo, hi in (
        ("pt", pt, 0, PT_MAX),
        ("eta", eta, ETA_MIN, ETA_MAX),
        ("phi", phi, -(1 << (PHI_BITS - 1)), (1 << (PHI_BITS - 1)) - 1),
        ("id", pid, 0, (1 << ID_BITS) - 1),
        ("data", data, 0, (1 << DATA_BITS) - 1),
    ):
        if v.size and (v.min() < lo or v.max() > hi):
            raise DataError(f"word field {name} out of its range {lo}..{hi} (got {v.min()}..{v.max()}); quantize with to_words()")
    u = lambda v, bits: np.uint64(0) + (v & ((1 << bits) - 1)).astype(np.uint64)  # noqa: E731 (two's complement field)
    return (
        (u(pt, PT_BITS) << np.uint64(PT_SHIFT))
        | (u(eta, ETA_BITS) << np.uint64(ETA_SHIFT))
        | (u(phi, PHI_BITS) << np.uint64(PHI_SHIFT))
        | (u(pid, ID_BITS) << np.uint64(ID_SHIFT))
        | (u(data, DATA_BITS) << np.uint64(DATA_SHIFT))
    )


def wrap_phi(phi_int: np.ndarray) -> np.ndarray:
    """Integer phi into one turn, -720..719."""
    return (np.asarray(phi_int, np.int64) + PHI_HALF_TURN) % (2 * PHI_HALF_TURN) - PHI_HALF_TURN


@dataclass
class Quantized:
    """Raw fields and what quantization did: values clipped to a field's range, real particles lost."""

    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    pt_saturated: int
    eta_saturated: int
    pt_zeroed: int  # real particles whose pT rounds to 0: they arrive as empty slots

    def counts(self) -> dict:
        return {"pt_saturated": self.pt_saturated, "eta_saturated": self.eta_saturated, "pt_rounded_to_zero": self.pt_zeroed}


def quantize(pt_gev, eta, phi, real=None) -> Quantized:
    """Physics values to raw fields as CMSSW's Scales::makePtFromFloat / makeGlbEta / makeGlbPhi do
    (round to nearest), saturating pt and eta at their ranges and wrapping phi; `real` marks the
    particles that exist (the others become empty words: all fields 0)."""
    pt_gev, eta, phi = (np.asarray(a, np.float64) for a in (pt_gev, eta, phi))
    real = np.ones(pt_gev.shape, bool) if real is None else np.asarray(real, bool)
    pt_r = np.round(pt_gev / PT_LSB_GEV)
    eta_r = np.round(eta / ETAPHI_LSB)
    pt_sat = real & (pt_r > PT_MAX)
    eta_sat = real & ((eta_r < ETA_MIN) | (eta_r > ETA_MAX))
    pt_i = np.where(real, np.clip(pt_r, 0, PT_MAX), 0).astype(np.int64)
    eta_i = np.where(real, np.clip(eta_r, ETA_MIN, ETA_MAX), 0).astype(np.int64)
    phi_i = np.where(real, wrap_phi(np.round(phi / ETAPHI_LSB).astype(np.int64)), 0)
    zeroed = real & (pt_i == 0)
    eta_i[zeroed] = 0
    phi_i[zeroed] = 0
    return Quantized(pt_i, eta_i, phi_i, int(pt_sat.sum()), int(eta_sat.sum()), int(zeroed.sum()))


def candidate_words(q: Quantized) -> np.ndarray:
    """Neutral-hadron PUPPI words (hwId 0, weight 1.0) from quantized fields; empty slots all zero."""
    valid = q.pt > 0
    return pack(q.pt, q.eta, q.phi, np.full_like(q.pt, HADZERO), np.where(valid, PUPPIW_ONE, 0))


def jet_words(q: Quantized) -> np.ndarray:
    return pack(q.pt, q.eta, q.phi)
