"""Low-frame-rate stacking (FunASR's LFR): ``m`` frames stacked every ``n``, offline and as
frames arrive.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from fastmel.core.errors import ParameterError

__all__ = ["low_frame_rate", "stack_frames", "FrameStacker"]


def low_frame_rate(L: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """Stack ``m`` frames every ``n``, as FunASR's LFR: ``(..., F, T) -> (..., m * F,
    ceil(T / n))``.

    Output frame i holds frames ``i * n - (m - 1) // 2 .. i * n - (m - 1) // 2 + m - 1`` of
    ``L``, frame 0 standing in for those before the start and the last frame for those past
    the end; feature ``j * F + f`` is band f of the j-th of them.
    """
    if m == 1 and n == 1:
        return L
    # (m - 1) // 2 copies of frame 0 before, the rest of m - 1 copies of the last frame after:
    # then exactly ceil(T / n) windows of m every n fit, the last reaching past the end only
    # as far as FunASR repeats the last frame
    lead, left = L.shape[:-1], (m - 1) // 2
    padded = torch.cat(
        [L[..., :1].expand(*lead, left), L, L[..., -1:].expand(*lead, m - 1 - left)], dim=-1
    )
    return stack_frames(padded, m, n)


def stack_frames(frames: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """Every window of ``m`` frames every ``n`` that fits in ``frames`` ``(..., F, T)``, each
    as one column: ``(..., m * F, windows)``."""
    return frames.unfold(-1, m, n).movedim(-1, -3).flatten(-3, -2)  # (from (..., F, w, m))


class FrameStacker:
    """:func:`low_frame_rate` over a stream of frames: each stacked row as soon as the frames
    it holds have arrived, the rows that repeat the last frame at :meth:`flush`.

    Rows are passed through ``rows_done`` (FunASR's CMVN). The state is immutable between
    pushes (new tensors, never written in place), so :meth:`state` snapshots it.
    """

    def __init__(self, m: int, n: int, rows_done: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.m, self.n, self.left, self.rows_done = m, n, (m - 1) // 2, rows_done
        self.resume(None)

    def state(self) -> tuple:
        """``(pending, start, rows)``: the frames from padded-domain index ``start`` that
        rows ``rows`` on may read (the last one kept for the right edge)."""
        return self.pending, self.start, self.rows

    def resume(self, state: tuple | None) -> None:
        """Go on from :meth:`state` (None: a new stream)."""
        self.pending, self.start, self.rows = state if state is not None else (None, 0, 0)

    def _rows(self, frames: torch.Tensor, count: int) -> torch.Tensor:
        """The next ``count`` rows, from ``frames`` starting at the first row's first frame."""
        if count:
            rows = stack_frames(frames.narrow(-1, 0, (count - 1) * self.n + self.m), self.m, self.n)
        else:
            rows = frames.new_empty(frames.shape[:-2] + (self.m * frames.shape[-2], 0))
        self.rows += count
        return self.rows_done(rows)

    def push(self, frames: torch.Tensor) -> torch.Tensor:
        """Frames ``(..., F, k)`` in; the rows ``(..., m * F, r)`` they complete out."""
        if self.pending is None:  # the first frames: frame 0 stands in before the start
            if not frames.shape[-1]:
                return self._rows(frames, 0)
            lead = frames.shape[:-1]
            frames = torch.cat([frames[..., :1].expand(*lead, self.left), frames], dim=-1)
        else:
            frames = torch.cat([self.pending, frames], dim=-1)
        out, end = self._complete_rows(frames)
        # keep from the next row's first frame, and at least the last frame (the right edge)
        keep = min(self.rows * self.n, end - 1)
        self.pending, self.start = frames[..., keep - self.start :], keep
        return out

    def flush(self) -> torch.Tensor:
        """The last rows, the last frame standing in past the end (no frames: no rows)."""
        if self.pending is None:
            raise ParameterError("no frames to stack")
        lead = self.pending.shape[:-1]
        after = self.pending[..., -1:].expand(*lead, self.m - 1 - self.left)
        return self._complete_rows(torch.cat([self.pending, after], dim=-1))[0]

    def _complete_rows(self, frames: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The rows complete in ``frames`` (padded-domain frames from ``start``), and the
        padded-domain index where ``frames`` end."""
        end = self.start + frames.shape[-1]
        count = max(0, (end - self.rows * self.n - self.m) // self.n + 1)
        return self._rows(frames[..., self.rows * self.n - self.start :], count), end
