"""The banded mel projection: every grouping equals the dense product."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel.ops import projection as proj
from fastmel.ops.projection import apply_plan, band_partitions
from tests.conftest import assert_parity

CONFIGS = [
    dict(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600, power=2.0),
    dict(sr=16000, n_fft=400, n_mels=80, power=1.0),
    dict(sr=8000, n_fft=256, n_mels=128, power=2.0),  # empty filters
    dict(sr=22050, n_fft=1023, n_mels=40, fmin=300, fmax=3000, htk=True, power=1.5),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_every_grouping_equals_the_dense_projection(kw):
    m = fastmel.MelSpectrogram(**kw)
    S = torch.rand(3, 37, m._projection.shape[0])
    dense = (S @ m._projection).mT  # (3, n_mels, 37)
    assert len(m._banded.plans) == min(8, kw["n_mels"])
    for plan in m._banded.plans:
        assert_parity(apply_plan(S, plan), dense, torch.float32, f"{len(plan)} groups")
        # groups are consecutive filters covering every filter once
        assert sum(p.shape[0] for _, _, p in plan) == kw["n_mels"]
    for rows in (1, 3, 37, 200):  # every route of the call, any leading shape
        for shape in ((rows,), (2, rows), (2, 1, rows)):
            S = torch.rand(*shape, m._projection.shape[0])
            dense = (S @ m._projection).mT
            assert_parity(m._banded(S), dense, torch.float32, f"{shape}")


def test_partitions_cover_all_non_zeros_and_shrink_the_work():
    basis = fastmel.mel_filters(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    previous = np.inf
    for groups in band_partitions(basis):
        covered = np.zeros_like(basis, dtype=bool)
        for blo, bhi, a, b in groups:
            covered[a:b, blo:bhi] = True
        assert covered[basis != 0].all()
        macs = sum((b - a) * (bhi - blo) for blo, bhi, a, b in groups)
        assert macs <= previous and macs < basis.size
        previous = macs


def grouped_cost(plan, rows):
    tiles = -(-rows // proj.ROW_TILE) * proj.ROW_TILE  # (not proj.whole_tiles: checks it)
    macs = sum((hi - lo) * p.shape[0] for lo, hi, p in plan)
    g = len(plan)
    return g * proj.NS_PER_GROUP + tiles * (proj.NS_PER_MAC_T * macs + g * proj.NS_PER_GROUP_ROW)


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_plan_choice_follows_the_cost_model(kw, monkeypatch):
    banded = fastmel.MelSpectrogram(**kw)._banded
    for rows in (1, 10, 17, 33, 81, 400, 801, 5000):  # the cheapest modelled plan
        costs = [grouped_cost(plan, rows) for plan in banded.plans]
        assert banded.plan_for(rows) is banded.plans[int(np.argmin(costs))], rows
    # one plain product exactly up to the last row count where it is modelled cheapest
    plain = []
    matmul = torch.matmul
    monkeypatch.setattr(torch, "matmul", lambda a, b: plain.append(1) or matmul(a, b))
    n_mels, cols = banded._one_t.shape
    for rows in range(1, 1025):
        cheaper = proj.NS_CALL + rows * proj.NS_PER_MAC * cols * n_mels <= min(
            grouped_cost(plan, rows) for plan in banded.plans
        )
        if cheaper:
            assert rows <= banded._plain_max_rows
        elif rows in (banded._plain_max_rows + 1, 1024):
            plain.clear()
            banded(torch.rand(rows, banded._full.shape[0]))
            assert not plain, rows
    plain.clear()
    banded(torch.rand(banded._plain_max_rows, banded._full.shape[0]))
    assert plain == [1]


def test_many_frames_take_more_groups():
    banded = fastmel.MelSpectrogram(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)._banded
    assert banded._plain_max_rows >= 4  # a 40 ms push takes one product
    assert len(banded.plan_for(81)) >= 3
    assert len(banded.plan_for(100_000)) == 8


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_few_rows_over_the_whole_projection_equal_the_band_and_librosa(kw, monkeypatch):
    # On CPU, up to _full_max_rows rows multiply all of S by the whole projection (zero
    # rows included) rather than the band's slice of S.
    import librosa

    m = fastmel.MelSpectrogram(**kw)
    banded = m._banded
    assert banded._full_max_rows >= 2  # (these configurations' 2 x 1 frames take it)
    used_full = []
    matmul = torch.matmul
    monkeypatch.setattr(
        torch, "matmul", lambda a, b: used_full.append(b is banded._full) or matmul(a, b)
    )
    y = np.random.default_rng(0).standard_normal((2, kw["n_fft"])).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, hop_length=512, **kw)
    full = m(torch.from_numpy(y))  # 2 x 1 frame (centred)
    monkeypatch.setattr(banded, "_full_max_rows", 1)
    m._routes.clear()  # (the route for this shape was kept)
    sliced = m(torch.from_numpy(y))
    assert used_full == [True, False]
    assert_parity(full, sliced, torch.float32, "whole vs band")
    assert_parity(full, ref, torch.float32, "vs librosa")


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_few_rows_through_linear_equal_librosa(kw, monkeypatch):
    # On CUDA, products of <= LINEAR_MAX_ROWS rows take F.linear with the transposed
    # projection; run that branch on the CPU here (CUDA runs it in tests/test_module.py).
    import librosa

    from fastmel.ops import projection

    monkeypatch.setattr(projection, "LINEAR_ON_CPU", True)
    calls = []
    linear = torch.nn.functional.linear
    monkeypatch.setattr(projection.F, "linear", lambda *a: calls.append(1) or linear(*a))
    m = fastmel.MelSpectrogram(**kw)
    y = np.random.default_rng(0).standard_normal((2, kw["n_fft"] + 300)).astype(np.float32)
    out = m(torch.from_numpy(y))  # 2 x 3 frames
    assert calls, "the F.linear branch was not taken"
    assert_parity(out, librosa.feature.melspectrogram(y=y, hop_length=512, **kw), torch.float32)


def test_more_filters_than_the_split_handles_take_one_group(monkeypatch):
    # The optimal split takes (n_mels + 1)^2 memory; past MAX_SPLIT_MELS filters one group
    # covering every non-zero is used (lowered here so that the test stays small).
    import librosa

    from fastmel.ops import projection

    monkeypatch.setattr(projection, "MAX_SPLIT_MELS", 64)
    kw = dict(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    basis = fastmel.mel_filters(**kw)
    [[(blo, bhi, a, b)]] = band_partitions(basis)
    nz_bins = np.flatnonzero((basis != 0).any(axis=0))
    assert (a, b, blo, bhi) == (0, 80, nz_bins[0], nz_bins[-1] + 1)
    m = fastmel.MelSpectrogram(**kw)
    assert len(m._banded.plans) == 1
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, hop_length=512, **kw)
    assert_parity(m(torch.from_numpy(y)), ref, torch.float32)
