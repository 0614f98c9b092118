"""Mel projection that skips the zeros of the filterbank.

A mel basis is banded: each filter is non-zero over a contiguous run of FFT bins, and
librosa-style banks are about 2 % non-zero. A dense ``S @ basis.T`` spends most of its time
multiplying zeros. Splitting the filters into G consecutive groups, each multiplied only
with the bins its filters cover, cuts the work to 11-45 % of dense for G = 2..8 on common
configurations, at the price of one more GEMM call per group; the number of groups is
chosen per call from the (static) number of frames. Skipped terms are exact zeros, so the
result differs from the dense product only by summation order.

On CPU the groups are computed transposed, ``block (filters, cols) @ S.T``: the GEMM's
contiguous output dimension is then the frames rather than a group's few filters, which
MKL serves with full vector lanes (several times faster for a group of a few filters),
and the result comes out in the ``(n_mels, frames)`` layout callers return. A few frames
(streaming) take one plain ``S @ P`` instead, which is cheaper there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from fastmel.ops import precision
from fastmel.ops.tracing import is_exporting

__all__ = ["MODES", "BandedProjection", "apply_plan", "band_partitions", "filter_spans"]

#: The ways BandedProjection computes a product (see BandedProjection.mode).
MODES = ("export", "float64", "linear", "matmul", "plan", "full")

MAX_GROUPS = 8
# The optimal split is a dynamic programme over (n_mels + 1)^2 costs: 2 x 34 MB of float64
# for 2048 filters. Beyond that (no common front end has so many) one group is used, so that
# building a module never takes quadratic memory (100 000 filters would need 150 GB).
MAX_SPLIT_MELS = 2048
# CPU cost model (ns), fitted to float32 GEMMs of 1-801 frames on one core (MKL, AVX-512):
# - one product S @ P over r rows: NS_CALL + r * NS_PER_MAC * (multiply-adds per row);
# - a transposed plan of G groups: G * NS_PER_GROUP + R * (NS_PER_MAC_T * (multiply-adds
#   per row) + G * NS_PER_GROUP_ROW), where R is r rounded up to whole ROW_TILEs (the GEMM
#   vectorises the frames in tiles; a partial tile costs about a full one).
NS_CALL = 4400.0
NS_PER_MAC = 0.0228
NS_PER_GROUP = 4850.0
NS_PER_MAC_T = 0.0279
NS_PER_GROUP_ROW = 6.7
ROW_TILE = 16
# Slicing S to the band's columns before the product costs this much more on CPU than
# multiplying the whole of S by the whole projection, zeros included (one op fewer, and a
# contiguous operand).
NS_PER_SLICE = 4000.0

# On CUDA, products with at most this many rows (frames) go through F.linear (the
# projection stored transposed), for which cuBLAS picks a better kernel than for S @ P
# (`python -m bench.gpu_probe gemm`); from a few tens of rows on S @ P is faster.
LINEAR_MAX_ROWS = 16
LINEAR_ON_CPU = False  # (tests set it to run the branch on CPU)


def whole_tiles(rows: Any) -> Any:
    """``rows`` (an int or an array of them) rounded up to whole ROW_TILEs."""
    return -(-rows // ROW_TILE) * ROW_TILE


# One group: (first column of S, end column of S, projection block (filters, cols)).
Plan = list[tuple[int, int, torch.Tensor]]


def filter_spans(basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each filter's run of non-zero bins, ``basis[m, lo[m]:hi[m]]``; an empty filter has
    ``lo = n_bins`` and ``hi = 0`` (it covers nothing).

    Parameters
    ----------
    basis : np.ndarray [shape=(n_mels, n_bins)]

    Returns
    -------
    lo, hi : np.ndarray [shape=(n_mels,)]
    """
    n_bins = basis.shape[1]
    nz = basis != 0
    any_nz = nz.any(axis=1)
    lo = np.where(any_nz, nz.argmax(axis=1), n_bins)
    hi = np.where(any_nz, n_bins - nz[:, ::-1].argmax(axis=1), 0)
    return lo, hi


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
    lo, hi = filter_spans(basis)
    if n_mels > MAX_SPLIT_MELS:
        blo, bhi = int(lo.min()), int(hi.max())
        return [[(blo, max(blo, bhi), 0, n_mels)]]
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


class BandedProjection:
    """``S @ projection``, returned transposed: ``(..., k, K) -> (..., n_mels, k)``.

    Parameters
    ----------
    projection : torch.Tensor [shape=(K, n_mels)]
        K is ``n_bins`` or ``2 * n_bins`` when ``interleaved`` (re/im pairs, see spectrogram).
    basis : np.ndarray [shape=(n_mels, n_bins)]
        The mel basis whose zeros are skipped.
    interleaved : bool
        Whether each bin appears as two consecutive rows of ``projection``.
    """

    def __init__(self, projection: torch.Tensor, basis: np.ndarray, interleaved: bool) -> None:
        k = 2 if interleaved else 1
        self.plans: list[Plan] = [
            [
                (k * blo, k * bhi, projection[k * blo : k * bhi, a:b].T.contiguous())
                for blo, bhi, a, b in groups
            ]
            for groups in band_partitions(basis)
        ]
        # each plan as (blocks, first columns, end columns): the native op's arguments
        self.plan_lists = [
            ([p for _, _, p in plan], [lo for lo, _, _ in plan], [hi for _, hi, _ in plan])
            for plan in self.plans
        ]
        lo, hi, one_t = self.plans[0][0]
        self._lo, self._cols = lo, hi - lo
        self._one_t = one_t  # (filters, cols): F.linear's weight
        self._one = one_t.T.contiguous()  # (cols, filters): S @ P
        # float32 values widened, for products TF32/bf16 would round (fastmel/precision.py)
        wide = precision.wants_float64_constants(one_t.device, one_t.dtype)
        self._one64 = self._one.double() if wide else None
        # Up to this many rows, the one-group product goes faster over all of S's columns
        # on CPU (see NS_PER_SLICE): the zeros it multiplies cost less than the slice.
        n_mels = one_t.shape[0]
        skipped_macs = (projection.shape[0] - (hi - lo)) * n_mels
        self._full = projection
        self._full_max_rows = int(NS_PER_SLICE / (NS_PER_MAC * max(skipped_macs, 1)))
        # Modelled cost of transposed plan g for R rows (whole tiles): R * slope[g] +
        # intercept[g]. Precompute, for increasing R, where the cheapest plan changes.
        macs = np.array([sum((hi - lo) * p.shape[0] for lo, hi, p in plan) for plan in self.plans])
        groups = np.array([len(plan) for plan in self.plans])
        slope = NS_PER_MAC_T * macs + NS_PER_GROUP_ROW * groups
        intercept = NS_PER_GROUP * groups
        self._from_rows: list[int] = [0]
        self._plan_index: list[int] = [0]
        rows, g = 0, 0
        while True:  # from the current best g, the next plan to win at the fewest rows
            nxt = [
                (np.ceil((intercept[h] - intercept[g]) / (slope[g] - slope[h])), h)
                for h in range(len(self.plans))
                if slope[h] < slope[g]
            ]
            if not nxt:
                break
            at, g = min(nxt)
            rows = max(rows, int(at))
            self._from_rows.append(rows)
            self._plan_index.append(g)
        # Up to this many rows one plain product S @ P is modelled cheapest (the last row
        # count where it beats every transposed plan; few rows are streaming's pushes).
        r = np.arange(1, 64 * ROW_TILE + 1)
        plain = NS_CALL + r * NS_PER_MAC * (hi - lo) * n_mels
        grouped = (whole_tiles(r)[:, None] * slope + intercept).min(axis=1)
        wins = np.flatnonzero(plain <= grouped)
        self._plain_max_rows = int(r[wins[-1]]) if wins.size else 0

    def few_rows(self) -> tuple[torch.Tensor, torch.Tensor, int, int, int, int]:
        """How :meth:`mode` computes few rows on CPU: ``(full projection, one-group
        projection (cols, filters), its first column of S, its number of columns, the most
        rows for "full", the most rows for "full" or "matmul")``."""
        return (
            self._full,
            self._one,
            self._lo,
            self._cols,
            self._full_max_rows,
            self._plain_max_rows,
        )

    def plan_for(self, rows: int) -> Plan:
        """The cheapest transposed plan for ``rows`` frames on CPU (modelled). Other devices
        take the one-group product untransposed (see ``__call__``)."""
        return self.plans[self.plan_index(rows)]

    def plan_index(self, rows: int) -> int:
        """The index in :attr:`plans` of :meth:`plan_for`'s plan."""
        tiles = whole_tiles(rows)
        index = 0
        for i, start in enumerate(self._from_rows):
            if tiles >= start:  # a plain loop (<= 8 steps) traces under torch.compile
                index = self._plan_index[i]  # (dynamo < 2.3 cannot trace zip(strict=))
        return index

    def mode(self, rows: int, *, cuda: bool, exporting: bool, float64: bool) -> str:
        """How a product of ``rows`` rows is computed, one of :data:`MODES`:

        - ``"export"``: one graph for every number of frames: the one-group product;
        - ``"float64"``: the one-group product in float64, where TF32/bf16 would round it
          (``float64``: :func:`fastmel.ops.precision.float64_products` of the operand);
        - ``"linear"``: ``F.linear`` with the projection transposed, for few rows on CUDA;
        - ``"matmul"``: the one-group ``S @ P`` (CUDA, more rows; CPU, a few rows);
        - ``"plan"``: the cheapest transposed plan of groups (CPU, modelled);
        - ``"full"``: all of S by the whole projection, zeros included (CPU, fewest rows).
        """
        if exporting:
            return "export"
        if float64 and self._one64 is not None:
            return "float64"
        if cuda or LINEAR_ON_CPU:
            if rows <= LINEAR_MAX_ROWS:
                return "linear"
            if cuda:
                return "matmul"
        if rows > self._plain_max_rows:
            return "plan"
        return "full" if rows <= self._full_max_rows else "matmul"

    def apply(self, S: torch.Tensor, mode: str) -> torch.Tensor:
        """``S @ projection`` ``(..., k, K) -> (..., n_mels, k)`` as ``mode`` says."""
        if mode == "plan":
            return apply_plan(S, self.plan_for(S.numel() // S.shape[-1]))
        if mode == "full":
            return torch.matmul(S, self._full).mT
        if mode == "linear":
            return F.linear(self._band(S), self._one_t).mT
        if mode == "float64":
            assert self._one64 is not None
            return torch.matmul(self._band(S).double(), self._one64).to(S.dtype).mT
        return torch.matmul(self._band(S), self._one).mT  # "matmul", "export"

    def __call__(self, S: torch.Tensor) -> torch.Tensor:
        """``(..., k, K) -> (..., n_mels, k)``, the mode chosen for S."""
        rows = S.numel() // max(S.shape[-1], 1)
        float64 = precision.float64_products(S)
        return self.apply(
            S, self.mode(rows, cuda=S.is_cuda, exporting=is_exporting(), float64=float64)
        )

    def _band(self, S: torch.Tensor) -> torch.Tensor:
        """The columns of S the one-group product reads."""
        return S.narrow(-1, self._lo, self._cols)  # (a cheaper slice than S[..., lo:hi])


def apply_plan(S: torch.Tensor, plan: Plan) -> torch.Tensor:
    """``S @ projection`` computed group by group, transposed: ``(..., k, K) ->
    (..., n_mels, k)``, one product ``block @ S.T`` per group over all of S's rows."""
    flat = S.dim() == 2
    St = (S if flat else S.reshape(-1, S.shape[-1])).t()  # (K, rows): St[lo:hi] is cheap
    parts = [torch.mm(p, St[lo:hi]) for lo, hi, p in plan]
    out = parts[0] if len(parts) == 1 else torch.cat(parts)  # (n_mels, rows)
    return out if flat else out.unflatten(1, S.shape[:-1]).movedim(0, -2)
