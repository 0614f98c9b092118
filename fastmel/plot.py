"""Mel spectrogram images: ``fastmel mel --plot`` and ``fastmel demo`` (needs matplotlib).

The format follows the extension (PNG, PDF or SVG). A long input is averaged over groups of
consecutive frames down to the image's width before drawing, so that no frame is skipped
(no aliasing) and the drawing's memory does not grow with the input's length.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fastmel.core.errors import ParameterError

__all__ = ["PLOT_FORMATS", "WIDTH", "plot_format", "pool_frames", "require_matplotlib", "save_plot"]

#: Image formats, by extension.
PLOT_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
#: The image's width in pixels (10 inches at 100 dpi), the most frames drawn as columns.
WIDTH = 1000


def plot_format(path: str) -> str:
    """The image format of ``path`` (ParameterError naming the file for another extension)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in PLOT_FORMATS:
        given = f"extension {ext!r}" if ext else "no extension"
        raise ParameterError(f"{path}: {given}; a plot must end in .png, .pdf or .svg")
    return PLOT_FORMATS[ext]


def require_matplotlib() -> Any:
    """``matplotlib.pyplot`` on the Agg backend; ImportError saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'fastmel[plot]'") from None
    return plt


def pool_frames(M: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``M`` ``(bands, frames)`` averaged over groups of consecutive frames, at most
    ``columns`` groups of equal size but the last; returns it and each group's first frame
    (with the frame count appended: the groups' edges in frames)."""
    n_frames = M.shape[1]
    size = max(1, -(-n_frames // columns))
    starts = np.arange(0, n_frames, size)
    edges = np.append(starts, n_frames)
    if size == 1:
        return M, edges
    sums = np.add.reduceat(M, starts, axis=1, dtype=np.float64)
    return (sums / np.diff(edges)).astype(M.dtype, copy=False), edges


def save_plot(
    path: str,
    M_db: np.ndarray,
    *,
    sr: float,
    hop_length: int,
    fmin: float,
    fmax: float,
    htk: bool,
    title: str = "",
    label: str = "dB",
    bank_sr: float | None = None,
    frame_edges: np.ndarray | None = None,
) -> None:
    """Write a mel spectrogram image: time in seconds, mel-spaced frequency axis in Hz.

    Parameters
    ----------
    path : str
        The image file; its extension (.png, .pdf, .svg) sets the format.
    M_db : np.ndarray, shape (n_mels, frames)
        What to draw (decibels, or a preset's features); more frames than :data:`WIDTH` are
        averaged in groups (:func:`pool_frames`).
    sr, hop_length : float, int
        The audio's rate and the hop, for the time axis.
    fmin, fmax, htk : float, float, bool
        The filterbank's band and scale, for the frequency axis.
    title, label : str
        The title, and the name of the colour scale ("dB" draws dB ticks).
    bank_sr : float, optional
        The rate the filterbank was built for (``fmin``/``fmax`` are in its terms), if not
        ``sr`` (StyleTTS 2's 16 kHz bank on 24 kHz audio): the axis is labelled in the
        audio's Hz.
    frame_edges : np.ndarray, optional
        Where ``M_db`` is already averaged over groups of frames: each column's first frame,
        and the frame count after the last (:func:`pool_frames`' edges).
    """
    fmt = plot_format(path)
    plt = require_matplotlib()
    from fastmel.core.filters import hz_to_mel, mel_frequencies, mel_to_hz

    n_mels = M_db.shape[0]
    image, edges = pool_frames(M_db, WIDTH) if frame_edges is None else (M_db, frame_edges)
    t_edges = (edges - 0.5) * hop_length / sr
    f_edges = mel_frequencies(n_mels + 1, fmin=fmin, fmax=fmax, htk=htk)
    fig, ax = plt.subplots(figsize=(WIDTH / 100, 4), layout="constrained")
    # (rasterized: a PDF or SVG holds one image, not a vector quad per cell)
    mesh = ax.pcolormesh(t_edges, f_edges, image, cmap="magma", shading="flat", rasterized=True)
    ax.set_yscale(
        "function", functions=(lambda f: hz_to_mel(f, htk=htk), lambda m: mel_to_hz(m, htk=htk))
    )
    scale = sr / bank_sr if bank_sr else 1.0  # (the audio's Hz per Hz of the bank)
    ticks = [
        f
        for f in (0, 250, 500, 1000, 2000, 4000, 8000, 16000, 24000)
        if fmin * scale <= f <= fmax * scale
    ]
    ax.set_yticks([f / scale for f in ticks], [f"{f:g}" for f in ticks])
    ax.set(xlabel="Time (s)", ylabel="Frequency (Hz, mel scale)", title=title)
    fig.colorbar(mesh, ax=ax, format="%+2.0f dB" if label == "dB" else "%.1f", label=label)
    try:
        fig.savefig(path, format=fmt, dpi=100)
    finally:
        plt.close(fig)
