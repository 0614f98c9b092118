"""The Triton kernels of :mod:`fastmel.fused` (imported only through it, on first use)."""

import triton
import triton.language as tl

__all__ = ["frames_kernel", "power_mel_kernel", "triton"]


@triton.jit
def frames_kernel(y_ptr, w_ptr, out_ptr, n, n_frames, hop, pad, n_fft,
                  MODE: tl.constexpr, BLOCK: tl.constexpr):  # fmt: skip
    row = tl.program_id(0).to(tl.int64)  # signal * n_frames + frame
    j = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    inside = j < n_fft
    sig, t = row // n_frames, row % n_frames
    i = t * hop + j - pad  # index into the unpadded signal
    if MODE == 0:
        valid = inside & (i >= 0) & (i < n)
    else:
        if MODE == 1:  # reflect (without repeating the edge sample)
            i = tl.where(i < 0, -i, i)
            i = tl.where(i >= n, 2 * (n - 1) - i, i)
        else:  # edge
            i = tl.minimum(tl.maximum(i, 0), n - 1)
        valid = inside
    x = tl.load(y_ptr + sig * n + i, mask=valid, other=0.0)
    w = tl.load(w_ptr + j, mask=inside, other=0.0)
    tl.store(out_ptr + row * n_fft + j, x * w, mask=inside)


@triton.jit
def power_mel_kernel(x_ptr, b_ptr, lo_ptr, hi_ptr, out_ptr, rows, n_mels, n_bins, eps,
                     MAGNITUDE: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_M: tl.constexpr,
                     BLOCK_F: tl.constexpr):  # fmt: skip
    pid_r, pid_m = tl.program_id(0), tl.program_id(1)
    r = (pid_r * BLOCK_R + tl.arange(0, BLOCK_R)).to(tl.int64)
    m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    lo, hi = tl.load(lo_ptr + pid_m), tl.load(hi_ptr + pid_m)
    acc = tl.zeros((BLOCK_R, BLOCK_M), dtype=tl.float32)
    for f0 in range(lo, hi, BLOCK_F):
        f = f0 + tl.arange(0, BLOCK_F)
        mask = (r < rows)[:, None] & (f < hi)[None, :]
        xp = x_ptr + r[:, None] * (2 * n_bins) + 2 * f[None, :]
        re = tl.load(xp, mask=mask, other=0.0)
        im = tl.load(xp + 1, mask=mask, other=0.0)
        p = re * re + im * im
        if MAGNITUDE:
            p = tl.sqrt_rn(p + eps)
        b = tl.load(
            b_ptr + f[:, None] * n_mels + m[None, :],
            mask=(f < hi)[:, None] & (m < n_mels)[None, :],
            other=0.0,
        )
        acc += tl.dot(p, b, input_precision="ieee")
    out = out_ptr + r[:, None] * n_mels + m[None, :]
    tl.store(out, acc, mask=(r < rows)[:, None] & (m < n_mels)[None, :])
