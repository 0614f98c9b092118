"""The Triton kernel of :mod:`fastmel.ops.fused` (imported only through it, on first use)."""

import triton
import triton.language as tl

__all__ = ["frames_kernel", "mel_kernel", "triton"]


@triton.jit
def frames_kernel(
    y_ptr, w_ptr, out_ptr, n, n_frames, hop, pad, n_fft, MODE: tl.constexpr, BLOCK: tl.constexpr
):
    row = tl.program_id(0).to(tl.int64)  # signal * n_frames + frame
    j = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    inside = j < n_fft
    sig, t = row // n_frames, row % n_frames
    i = t * hop + j - pad  # index into the unpadded signal
    if MODE == 0:  # constant: zeros outside the signal
        valid = inside & (i >= 0) & (i < n)
    else:
        if MODE == 1:  # reflect, without repeating the edge sample
            i = tl.where(i < 0, -i, i)
            i = tl.where(i >= n, 2 * (n - 1) - i, i)
        elif MODE == 3:  # symmetric, repeating it
            i = tl.where(i < 0, -i - 1, i)
            i = tl.where(i >= n, 2 * n - 1 - i, i)
        else:  # edge
            i = tl.minimum(tl.maximum(i, 0), n - 1)
        valid = inside
    x = tl.load(y_ptr + sig * n + i, mask=valid, other=0.0)
    w = tl.load(w_ptr + j, mask=inside, other=0.0)
    tl.store(out_ptr + row * n_fft + j, x * w, mask=inside)


@triton.jit
def mel_kernel(
    x_ptr,
    band_ptr,
    lo_ptr,
    out_ptr,
    n_mels,
    n_bins,
    width,
    eps,
    MAGNITUDE: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_W: tl.constexpr,
):
    # One frame per program: the power |X|^2 of its bins (or the magnitude sqrt(|X|^2 +
    # eps)), weighted by each filter's band (band[m, w] = basis[m, lo[m] + w]) and summed
    # per filter: no multiplication by the basis's zeros.
    r = tl.program_id(0).to(tl.int64)
    m = tl.program_id(1) * BLOCK_M + tl.arange(0, BLOCK_M)
    lo = tl.load(lo_ptr + m, mask=m < n_mels, other=0)
    acc = tl.zeros((BLOCK_M,), dtype=tl.float32)
    for w0 in range(0, width, BLOCK_W):
        w = w0 + tl.arange(0, BLOCK_W)
        f = lo[:, None] + w[None, :]
        valid = (m < n_mels)[:, None] & (w < width)[None, :] & (f < n_bins)
        xp = x_ptr + r * (2 * n_bins) + 2 * f
        re = tl.load(xp, mask=valid, other=0.0)
        im = tl.load(xp + 1, mask=valid, other=0.0)
        p = re * re + im * im
        if MAGNITUDE:
            p = tl.sqrt_rn(p + eps)
        b = tl.load(band_ptr + m[:, None] * width + w[None, :], mask=valid, other=0.0)
        acc += tl.sum(p * b, axis=1)
    tl.store(out_ptr + r * n_mels + m, acc, mask=m < n_mels)
