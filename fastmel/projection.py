"""Mel projection that skips the zeros of the filterbank.

A mel basis is banded: each filter is non-zero over a contiguous run of FFT bins, and
librosa-style banks are about 2 % non-zero. A dense ``S @ basis.T`` spends most of its time
multiplying zeros. Splitting the filters into G consecutive groups, each multiplied only
with the bins its filters cover, cuts the work to 11-45 % of dense for G = 2..8 on common
configurations, at the price of one more GEMM call per group; the number of groups is
chosen per call from the (static) number of frames. Skipped terms are exact zeros, so the
result differs from the dense product only by summation order.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["Plan", "band_partitions", "choose_plan"]

MAX_GROUPS = 8
# Cost model for choosing the number of groups on CPU, from timings of float32 GEMMs on
# one core of the development machine: ~0.02 ns per multiply-add and ~6 us of fixed cost
# per extra GEMM call (dispatch, slicing, the final concatenation).
NS_PER_MAC = 0.02
NS_PER_GROUP = 6000.0

# One group: (first column of S, end column of S, projection block (cols, filters)).
Plan = list[tuple[int, int, torch.Tensor]]


def band_partitions(basis: np.ndarray, max_groups: int = MAX_GROUPS) -> list[list[tuple]]:
    """Optimal split of the filters into 1..max_groups consecutive groups.

    Parameters
    ----------
    basis : np.ndarray [shape=(n_mels, n_bins)]

    Returns
    -------
    partitions : list, element g-1 for g groups: ``[(bin_lo, bin_hi, mel_lo, mel_hi), ...]``
        minimising the multiply-adds per frame, ``sum (mel_hi - mel_lo) * (bin_hi - bin_lo)``.
    """
    n_mels, n_bins = basis.shape
    nz = basis != 0
    any_nz = nz.any(axis=1)
    lo = np.where(any_nz, nz.argmax(axis=1), n_bins)  # empty filters cover nothing
    hi = np.where(any_nz, n_bins - nz[:, ::-1].argmax(axis=1), 0)
    # cost[i, j]: multiply-adds per frame of one group holding filters i..j-1
    cost = np.full((n_mels + 1, n_mels + 1), np.inf)
    for j in range(1, n_mels + 1):
        span = np.maximum.accumulate(hi[:j][::-1]) - np.minimum.accumulate(lo[:j][::-1])
        cost[:j, j] = (np.arange(j, 0, -1) * np.maximum(span[::-1], 0)).astype(float)
    best = np.full(n_mels + 1, np.inf)
    best[0] = 0.0
    cuts = []
    partitions = []
    for _ in range(min(max_groups, n_mels)):
        totals = best[:, None] + cost  # [i, j]: best split of 0..i, then one group i..j
        cuts.append(totals.argmin(axis=0))
        best = totals.min(axis=0)
        bounds, j = [n_mels], n_mels
        for c in reversed(cuts):
            j = int(c[j])
            bounds.append(j)
        bounds = bounds[::-1]
        groups = []
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            blo, bhi = int(lo[a:b].min()), int(hi[a:b].max())
            groups.append((blo, max(blo, bhi), a, b))
        partitions.append(groups)
    return partitions


def build_plans(projection: torch.Tensor, basis: np.ndarray, interleaved: bool) -> list[Plan]:
    """Projection blocks for each partition; ``projection`` is ``(F or 2F, n_mels)``."""
    k = 2 if interleaved else 1
    return [
        [
            (k * blo, k * bhi, projection[k * blo : k * bhi, a:b].contiguous())
            for blo, bhi, a, b in groups
        ]
        for groups in band_partitions(basis)
    ]


def choose_plan(plans: list[Plan], rows: int, device_type: str) -> Plan:
    """The plan with the lowest modelled cost for ``rows`` frames (one GEMM on GPUs).

    Plain Python on static sizes, so that it traces under ``torch.compile``.
    """
    if device_type != "cpu" or len(plans) == 1:
        return plans[0]
    best, best_cost = plans[0], float("inf")
    for plan in plans:
        macs = sum((hi - lo) * p.shape[1] for lo, hi, p in plan)
        cost = rows * NS_PER_MAC * macs + NS_PER_GROUP * len(plan)
        if cost < best_cost:
            best, best_cost = plan, cost
    return best


def project(S: torch.Tensor, plan: Plan) -> torch.Tensor:
    """``S @ projection`` computed group by group: ``(..., k, K) -> (..., k, n_mels)``."""
    if len(plan) == 1:
        lo, hi, p = plan[0]
        return torch.matmul(S[..., lo:hi], p)
    return torch.cat([torch.matmul(S[..., lo:hi], p) for lo, hi, p in plan], dim=-1)
