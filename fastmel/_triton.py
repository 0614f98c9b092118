"""The Triton kernel of :mod:`fastmel.fused` (imported only through it, on first use)."""

import triton
import triton.language as tl

__all__ = ["frames_kernel", "triton"]


@triton.jit
def frames_kernel(y_ptr, w_ptr, out_ptr, n, n_frames, hop, pad, n_fft,
                  MODE: tl.constexpr, BLOCK: tl.constexpr):  # fmt: skip
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
