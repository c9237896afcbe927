"""Bit-exact NumPy model of the Level-1 input stage (hls_templates/salt_input_stage.h).

Per jet: M candidate words in (M >= N; any M, typically N or 2N), N feature rows out.

1. Unpack pt (0.25 GeV), eta, phi (pi/720); a word with pt = 0 is an empty slot.
2. deta = eta - eta_jet, dphi = phi - phi_jet wrapped into -720..719 (one turn), both saturated
   to ap_int<10> (-512..511, +-2.23 rad: beyond any R = 0.8 jet constituent).
3. If M > N: the N hardest by pT, by a bitonic network on M (padded to a power of two) with the
   key (pt, -index): ties keep the input order, as the software's stable sort does.
4. k_T order by a bitonic network on N (padded to a power of two) with the key
   (pt^2 * (deta^2 + dphi^2), pt, -index). The square of k_T = pT * dR orders exactly as k_T,
   so no square root (and no dR table) is needed: the 48-bit integer key orders the quantized
   particles exactly as pT * dR computed in real numbers, with no ties that rounding a dR table
   would add; ties in k_T keep pT order, ties in both keep input order, as software's stable
   k_T sort of the pT-ordered list does. Empty slots (pt = 0, key 0) sort last.
5. Output (N, 3) raw integers (pt, deta, dphi); an empty slot gives the configured padding
   value, the native point where the folded first layer gives exactly the trained model's
   padding output (fold.py).

The shipped models take pT in GeV (not pT / pT_jet), so the stage needs no division: the
folded first layer's weights absorb the 0.25 GeV unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salt_hls.errors import ConfigError, DataError
from salt_hls.l1input import words as W
from salt_hls.l1input.sortnet import next_pow2, sort_desc

DELTA_BITS = 10
DELTA_MIN, DELTA_MAX = -(1 << (DELTA_BITS - 1)), (1 << (DELTA_BITS - 1)) - 1
KT2_BITS = 2 * W.PT_BITS + (2 * (DELTA_BITS - 1) + 2)  # pt^2 (28) x dR^2 <= 2 * 512^2 = 2^19 (20 bits unsigned)


@dataclass(frozen=True)
class StageConfig:
    n_out: int  # N, particles the network takes
    n_in: int  # M, candidate words delivered per jet
    pad: tuple[int, int, int] = (0, 0, 0)  # (pt, deta, dphi) emitted in an empty slot

    def __post_init__(self):
        if self.n_out < 1:
            raise ConfigError(f"the input stage needs N >= 1 output particles, got {self.n_out}")
        if self.n_in < self.n_out:
            raise ConfigError(
                f"the input stage takes M >= N candidate words (got M = {self.n_in}, N = {self.n_out}); "
                "deliver at least N words per jet, empty ones (pT = 0) included"
            )
        pt, de, dp = self.pad
        if not (0 <= pt <= W.PT_MAX and DELTA_MIN <= de <= DELTA_MAX and DELTA_MIN <= dp <= DELTA_MAX):
            raise ConfigError(
                f"padding value {self.pad} lies outside the stage's output ranges (pt 0..{W.PT_MAX}, deltas {DELTA_MIN}..{DELTA_MAX})"
            )

    @property
    def selects(self) -> bool:
        return self.n_in > self.n_out

    @property
    def index_bits(self) -> int:
        return max(next_pow2(self.n_in).bit_length() - 1, 1)


def deltas(eta, phi, jet_eta, jet_phi) -> tuple[np.ndarray, np.ndarray]:
    deta = np.clip(np.asarray(eta, np.int64) - np.asarray(jet_eta, np.int64)[..., None], DELTA_MIN, DELTA_MAX)
    dphi = np.clip(W.wrap_phi(np.asarray(phi, np.int64) - np.asarray(jet_phi, np.int64)[..., None]), DELTA_MIN, DELTA_MAX)
    return deta, dphi


def kt2(pt, deta, dphi) -> np.ndarray:
    """pt^2 * (deta^2 + dphi^2), exact in int64 (< 2^48)."""
    pt = np.asarray(pt, np.int64)
    return pt * pt * (deta * deta + dphi * dphi)


def _pad_to(a: np.ndarray, p: int, value: int = 0) -> np.ndarray:
    return np.pad(a, ((0, 0), (0, p - a.shape[1])), constant_values=value)


def run(candidates: np.ndarray, jets: np.ndarray, cfg: StageConfig) -> tuple[np.ndarray, np.ndarray]:
    """(features (jets, N, 3) int64: pt, deta, dphi; valid (jets, N) bool) from candidate words
    (jets, M) and jet words (jets,), both uint64."""
    candidates = np.asarray(candidates, np.uint64)
    jets = np.asarray(jets, np.uint64)
    if candidates.ndim != 2 or candidates.shape[1] != cfg.n_in or jets.shape != candidates.shape[:1]:
        raise DataError(
            f"the input stage takes candidate words (jets, {cfg.n_in}) and jet words (jets,); got {candidates.shape} and {jets.shape}"
        )
    pt, eta, phi = W.unpack(candidates)
    jpt, jeta, jphi = W.unpack(jets)
    del jpt  # the shipped models take pT in GeV; the jet's pT is not needed
    deta, dphi = deltas(eta, phi, jeta, jphi)
    index = np.broadcast_to(np.arange(cfg.n_in, dtype=np.int64), pt.shape)
    pt = np.where(pt > 0, pt, 0)
    if cfg.selects:
        p = next_pow2(cfg.n_in)
        sentinel_index = np.broadcast_to(np.arange(p, dtype=np.int64), (len(pt), p))
        flip = (1 << cfg.index_bits) - 1
        (_,), (pt, deta, dphi, index) = sort_desc(
            [(_pad_to(pt, p) << cfg.index_bits) | (flip - sentinel_index)],
            [_pad_to(pt, p), _pad_to(deta, p), _pad_to(dphi, p), sentinel_index],
        )
        pt, deta, dphi, index = (a[:, : cfg.n_out] for a in (pt, deta, dphi, index))
    p = next_pow2(cfg.n_out)
    flip = (1 << cfg.index_bits) - 1
    pt, deta, dphi = _pad_to(pt, p), _pad_to(deta, p), _pad_to(dphi, p)
    index = _pad_to(index, p, flip)  # sentinels: pt 0, the largest index: last
    _, (pt, deta, dphi) = sort_desc([kt2(pt, deta, dphi), (pt << cfg.index_bits) | (flip - index)], [pt, deta, dphi])
    pt, deta, dphi = (a[:, : cfg.n_out] for a in (pt, deta, dphi))
    valid = pt > 0
    out = np.stack([pt, deta, dphi], axis=-1)
    out[~valid] = np.asarray(cfg.pad, np.int64)
    return out, valid


def to_physics(features: np.ndarray) -> np.ndarray:
    """Raw stage output to the software features (pT [GeV], deta [rad], dphi [rad])."""
    return np.asarray(features, np.float64) * np.array([W.PT_LSB_GEV, W.ETAPHI_LSB, W.ETAPHI_LSB])
