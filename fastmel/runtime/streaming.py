"""MelStream: chunk-by-chunk mel frames equal to the offline module, each as early as possible.

Vocabulary from kaldi-native-fbank: ``push`` accepts samples and returns the frames they
complete, ``flush`` finishes the input (adds the right-edge padding), ``reset`` starts over.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import torch

from fastmel.core.arrays import StreamKind
from fastmel.core.config import MelConfig
from fastmel.core.errors import ParameterError, check_bool
from fastmel.core.padding import edge_samples, pad_after, pad_before, pad_both
from fastmel.feature.frontend import FrontEnd
from fastmel.feature.spectrogram import MelSpectrogram
from fastmel.ops import native as _native
from fastmel.ops.tracing import is_compiling

__all__ = ["MelStream", "StreamState"]


@dataclass(frozen=True)
class StreamState:
    """A snapshot of a :class:`MelStream` between pushes (see :meth:`MelStream.state`).

    Its tensors are never written in place by the stream, so a snapshot stays valid while
    the stream goes on. ``buf`` holds padded-domain samples from index ``buf_start`` (None
    until the left pad is made), ``n_in`` raw samples have been pushed, ``next_frame`` is
    the next frame to emit, ``head`` the raw samples held until the left pad can be made
    and ``previous`` the last raw sample when pre-emphasis state is carried; ``numpy`` says
    whether the stream is fed NumPy arrays (None before its first push). ``config`` and
    ``front_end`` (the preset's class, "" for a plain module) say which streams it belongs
    to: :meth:`MelStream.resume` refuses it elsewhere. It loads with
    ``torch.load(weights_only=True)``.
    """

    buf: torch.Tensor | None
    buf_start: int
    n_in: int
    next_frame: int
    head: torch.Tensor | None = None
    previous: torch.Tensor | None = None
    numpy: bool | None = None
    stacked: tuple | None = None
    config: MelConfig | None = None
    front_end: str = ""


#: A stream is one sequence of chunks: a push or flush while another runs (from a second
#: thread) raises this rather than interleaving them and losing frames.
CONCURRENT = (
    "MelStream.push or flush called while another is running (from a second thread?): a "
    "stream is one sequence of chunks; serialise the calls or give each thread its own stream"
)


# A saved state loads with torch.load(weights_only=True) (torch >= 2.4 keeps an allowlist).
if hasattr(torch.serialization, "add_safe_globals"):
    torch.serialization.add_safe_globals([StreamState, MelConfig])


# The most channels a (frames, channels) block from an audio device or file is taken to have.
_MAX_CHANNELS = 8


def _refuse_channels_last(chunk: torch.Tensor) -> None:
    """A first chunk shaped like (frames, channels), as sounddevice and soundfile give
    blocks, would read as that many one-sample streams: ask which layout is meant."""
    if chunk.dim() == 2 and 0 < chunk.shape[1] <= _MAX_CHANNELS < chunk.shape[0]:
        n, channels = chunk.shape
        raise ParameterError(
            f"chunk of shape ({n}, {channels}) looks like (frames, channels), as sounddevice "
            f"and soundfile give blocks, which would read as {n} streams of {channels} "
            f"sample(s): pass channels_last=True (a stream per channel) or with mono=True "
            f"(their mean) to MelStream, or channels_last=False if {n} streams are meant"
        )


#: Chunks of at least this many FFT lengths are not copied whole into the buffer.
LONG_CHUNK = 4


class MelStream:
    """Streaming mel spectrogram: the concatenation of all pushes and the flush equals
    ``module(whole_signal)``.

    Parameters
    ----------
    module : MelSpectrogram or FrontEnd, optional
        The configuration, constants, device and dtype to use; a causal preset
        (``fastmel.preset("wav2lip")``, ...) streams with its pre-emphasis state carried
        across chunks and its per-frame post-processing. If omitted, keyword arguments are
        passed to :class:`MelSpectrogram`.
    channels_last : bool, optional
        True: chunks are ``(n, channels)`` blocks, as sounddevice's callbacks and
        soundfile's ``blocks`` give them, streamed one stream per channel (or mixed, with
        ``mono``). False: chunks are ``(..., n)``, whatever their shape. None (default):
        ``(..., n)``, but a first chunk shaped like ``(frames, channels)`` (2-D, at most 8
        columns and more rows) is refused with a ParameterError rather than read as many
        one-sample streams.
    mono : bool
        Average a 2-D chunk's channels (``(channels, n)``, or ``(n, channels)`` with
        ``channels_last``) into one stream, as ``librosa.to_mono`` and :func:`fastmel.load`
        mix a file's channels.
    **kwargs
        ``MelSpectrogram`` keywords when ``module`` is not given.

    Notes
    -----
    Frame ``t`` is returned by the push that completes its window: with ``center=True``
    once ``t * hop + n_fft - pad`` samples have arrived, ``pad = n_fft // 2`` (with
    ``pad_mode="reflect"`` frame 0 also waits for the ``pad + 1`` samples its left
    reflection reads, ``"symmetric"`` for ``pad``, ``"edge"`` and ``"linear_ramp"`` for one);
    with ``center=False`` once ``t * hop + n_fft`` have. The right edge needs the end of
    the signal, so the last frames come from :meth:`flush`.

    State is O(n_fft) samples per stream: each pushed sample is windowed into at most
    ``ceil(n_fft / hop)`` frames, and each frame is transformed once. Chunks ``(..., n)``
    advance all leading-shape streams together with the same kernels. ``push`` never
    synchronises with the device: every branch depends on chunk lengths only. Pushes run
    under ``torch.inference_mode()`` and return ordinary tensors, until a chunk requires
    grad: from then on the stream records autograd, so that frames completed later carry
    the gradient of every sample they read. The stream keeps copies of what it needs, never
    views of a chunk, so a capture buffer refilled in place between pushes is safe to push.
    Once :func:`fastmel.ops.native.build` has built the optional C++ ops, a short push of a
    tensor chunk on a CPU runs as one op, with the same numbers (``module.native = False``
    keeps a stream on the eager ops).
    :meth:`state` and :meth:`resume` snapshot and restore (or fork) a stream between pushes.
    A stream is one sequence of chunks: push and flush from one thread at a time (a call
    while another is running raises RuntimeError rather than losing frames); give each
    thread its own stream, or fork one with :meth:`state`.

    Examples
    --------
    >>> import torch, fastmel
    >>> mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    >>> stream = fastmel.MelStream(mel)
    >>> y = torch.randn(16000)
    >>> parts = [stream.push(c) for c in y.split(640)] + [stream.flush()]
    >>> torch.allclose(torch.cat(parts, -1), mel(y), rtol=1e-4, atol=1e-5)
    True
    """

    def __init__(
        self,
        module: MelSpectrogram | FrontEnd | None = None,
        /,
        *,
        channels_last: bool | None = None,
        mono: bool = False,
        **kwargs: Any,
    ) -> None:
        if channels_last is not None:
            check_bool("channels_last", channels_last)
        check_bool("mono", mono)
        self.channels_last, self.mono = channels_last, bool(mono)
        if module is None:
            module = MelSpectrogram(**kwargs)
        elif kwargs:
            raise TypeError("give either a MelSpectrogram or its keywords, not both")
        self.front_end: FrontEnd | None = None
        if isinstance(module, FrontEnd):
            if not module.causal:
                raise ParameterError(
                    f"{type(module).__name__} cannot stream: {module.whole_input_statistic} "
                    "needs the whole input, which no chunk can know; compute it offline"
                )
            self.front_end, module = module, module.mel
        if not isinstance(module, MelSpectrogram):
            raise TypeError(
                f"module must be a fastmel.MelSpectrogram or a causal preset, got "
                f"{type(module).__name__}"
            )
        self.module = module
        self._lock = threading.Lock()  # (push and flush: one thread at a time, see CONCURRENT)
        self._front_end_name = "" if self.front_end is None else type(self.front_end).__qualname__
        c = module.config
        self._pad = c.pad  # n_fft // 2 when centred as librosa, 0 when not
        self._n_fft, self._hop, self._n_mels = c.n_fft, c.hop_length, c.n_mels
        # Raw samples a pad reads at either edge: the left pad waits for that many, and that
        # many are kept for the right pad at flush.
        self._edge = edge_samples(c.pad_mode, c.pad)
        self.reset()

    def reset(self) -> None:
        """Start a new stream (any leading shape), keeping the module's constants."""
        self._buf: torch.Tensor | None = None  # padded-domain samples from self._buf_start
        self._buf_start = 0  # padded-domain index of self._buf[..., 0]
        self._n_in = 0  # samples pushed so far
        self._next_frame = 0  # index of the next frame to emit
        self._head: torch.Tensor | None = None  # raw samples held until the left pad can be made
        self._lead: tuple[int, ...] | None = None
        self._finished = False
        self._previous: torch.Tensor | None = None  # last sample, for pre-emphasis
        self._kind = StreamKind("chunk", "(..., n)")  # NumPy in, NumPy out
        self._grad = False  # whether a chunk required grad (then no push runs without autograd)
        # post-processed frames -> rows of stacked frames (FunASR's LFR), or None
        self._stacker = None if self.front_end is None else self.front_end.frame_stacker()
        self._settle()

    @property
    def edge_samples(self) -> int:
        """Raw samples the left pad waits for (and the right pad reads): ``pad + 1`` for
        reflect, ``pad`` for symmetric, 1 for edge and linear_ramp, 0 for constant padding or
        ``center=False``."""
        return self._edge

    def state(self) -> StreamState:
        """Snapshot the stream between pushes, to :meth:`resume` it later or elsewhere.

        Returns
        -------
        StreamState
            Valid for any stream over a module of the same configuration, device and dtype
            (a fork: both streams then go on independently).

        Raises
        ------
        ParameterError
            After :meth:`flush`.
        """
        if self._finished:
            raise ParameterError("state after flush: the stream has ended")
        stacked = None if self._stacker is None else self._stacker.state()
        return StreamState(
            self._buf,
            self._buf_start,
            self._n_in,
            self._next_frame,
            self._head,
            self._previous,
            self._kind.numpy,
            stacked,
            self.module.config,
            self._front_end_name,
        )

    def resume(self, state: StreamState) -> None:
        """Go on from ``state``, discarding this stream's own.

        Parameters
        ----------
        state : StreamState
            From :meth:`state` of a stream with the same module configuration (the
            CUDA-graph stream hands its static state back this way).
        """
        if not isinstance(state, StreamState):
            raise TypeError(f"state must be a fastmel.StreamState, got {type(state).__name__}")
        if state.config is not None and (
            state.config != self.module.config or state.front_end != self._front_end_name
        ):
            theirs = state.front_end or "MelSpectrogram"
            ours = self._front_end_name or "MelSpectrogram"
            theirs_c, ours_c = state.config, self.module.config
            fields = [
                f"{f.name}={getattr(theirs_c, f.name)!r}, here {getattr(ours_c, f.name)!r}"
                for f in dataclasses.fields(MelConfig)
                if f.name != "window" and getattr(theirs_c, f.name) != getattr(ours_c, f.name)
            ]
            raise ParameterError(
                f"state is from a stream of another {theirs} configuration than this {ours}'s"
                + (f" ({', '.join(fields[:3])})" if fields else "")
                + ": resume it in a stream over an equal module"
            )
        dtype, device = self.module.dtype, self.module.device
        for t in (state.buf, state.head, state.previous):
            if t is not None and (t.dtype != dtype or t.device != device):
                raise ParameterError(
                    f"state holds {t.dtype} samples on {t.device}; this stream computes in "
                    f"{dtype} on {device}"
                )
        self._buf, self._buf_start, self._n_in = state.buf, state.buf_start, state.n_in
        self._next_frame, self._head, self._previous = state.next_frame, state.head, state.previous
        held = state.buf if state.buf is not None else state.head
        self._grad = any(
            t is not None and t.requires_grad for t in (state.buf, state.head, state.previous)
        )
        self._lead = None if held is None else tuple(held.shape[:-1])
        self._kind.numpy = state.numpy
        if self._stacker is not None:
            self._stacker.resume(state.stacked)
        self._finished = False
        self._settle()

    @property
    def frames_emitted(self) -> int:
        """Number of frames computed so far (for presets that stack frames, such as FunASR's,
        the frames not yet in a returned row included)."""
        return self._next_frame

    def _check_chunk(self, chunk: Any) -> torch.Tensor:
        if self._finished:
            raise ParameterError("push after flush: call reset() to start a new stream")
        kind = self._kind.numpy
        chunk = self._kind.take(chunk)
        try:
            if self.channels_last or self.mono:
                chunk = self._channels(chunk)
            elif self.channels_last is None and self._lead is None:
                _refuse_channels_last(chunk)
        except ParameterError:
            self._kind.numpy = kind  # (a refused chunk leaves the stream as it was)
            raise
        lead = tuple(chunk.shape[:-1])
        if self._lead is None:
            self._lead = lead
        elif lead != self._lead:
            raise ParameterError(
                f"chunk has leading shape {lead}; this stream's is {self._lead} (reset() to change)"
            )
        dtype, device = self.module.dtype, self.module.device
        if chunk.dtype != dtype or chunk.device != device:
            chunk = chunk.to(device=device, dtype=dtype)
        return chunk

    def _channels(self, chunk: torch.Tensor) -> torch.Tensor:
        """A ``(channels, n)`` or, with channels_last, ``(n, channels)`` chunk as the stream
        reads it: ``(channels, n)``, or ``(n,)`` averaged over channels with mono."""
        if chunk.dim() != 2:
            layout = "(n, channels)" if self.channels_last else "(channels, n)"
            option = "channels_last=True" if self.channels_last else "mono=True"
            raise ParameterError(
                f"chunk must have shape {layout} with {option}, got {tuple(chunk.shape)}"
            )
        if self.channels_last:
            chunk = chunk.mT
        if self.mono:  # (as librosa.to_mono: the mean over channels, in the module's dtype)
            chunk = chunk.to(self.module.dtype).mean(dim=-2)
        return chunk

    def _right_pad(self, tail: torch.Tensor) -> torch.Tensor:
        c = self.module.config
        librosa_tail = c.tail_slice(self._n_in)  # (see MelConfig.tail_slice)
        if librosa_tail is not None:
            tail = tail[..., -librosa_tail:]
        return pad_after(tail, self._pad, c.pad_mode, self.module.ramp)

    def _append(self, x: torch.Tensor) -> None:
        # (cat copies; the first append clones, since x may be the caller's chunk)
        self._buf = x.clone() if self._buf is None else torch.cat([self._buf, x], dim=-1)

    def _take(self, x: torch.Tensor) -> torch.Tensor:
        """The frames ``x`` completes after the buffer. A long ``x`` is not copied whole:
        the frames that begin in the buffer read a copy of it and of ``x``'s first
        samples, the others a view of ``x``, and only ``x``'s last samples are kept."""
        buf, n_fft, hop = self._buf, self._n_fft, self._hop
        if x.shape[-1] < LONG_CHUNK * n_fft:  # (one copy, as small as x)
            self._append(x)
            return self._emit()
        if buf is None:  # (the first samples, no pad before them)
            buf = x.new_empty(x.shape[:-1] + (0,))
        buf_end = self._buf_start + buf.shape[-1]
        end, start = buf_end + x.shape[-1], self._next_frame * hop
        k = (end - start - n_fft) // hop + 1  # (> 0: x holds several frames)
        in_buf = min(k, max(0, -(-(buf_end - start) // hop)))  # frames that begin in buf
        parts = []
        if in_buf:
            reads = start + (in_buf - 1) * hop + n_fft - buf_end  # (samples of x they read)
            head = torch.cat([buf[..., start - self._buf_start :], x[..., :reads]], dim=-1)
            parts.append(self.module.spectrum(head.unfold(-1, n_fft, hop)))
        if k > in_buf:
            rest = x[..., start + in_buf * hop - buf_end :].unfold(-1, n_fft, hop)
            parts.append(self.module.spectrum(rest[..., : k - in_buf, :]))
        self._next_frame += k
        keep_from = min(self._next_frame * hop, end - self._edge)
        if keep_from >= buf_end:  # (the stream's own copy of what it keeps)
            self._buf = x[..., keep_from - buf_end :].clone()
        else:
            self._buf = torch.cat([buf[..., keep_from - self._buf_start :], x], dim=-1)
        self._buf_start = keep_from
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def _emit(self) -> torch.Tensor:
        """Frames complete in the buffer, then drop what no future frame or pad needs."""
        buf, n_fft, hop = self._buf, self._n_fft, self._hop
        assert buf is not None
        end = self._buf_start + buf.shape[-1]
        start = self._next_frame * hop  # where the next frame begins
        k = (end - start - n_fft) // hop + 1
        if k > 0:
            # the buffer ends before frame next + k is complete: unfold yields exactly k frames
            first = start - self._buf_start  # (narrow: indexing with ... costs more)
            ready = buf.narrow(-1, first, buf.shape[-1] - first) if first else buf
            out = self.module.spectrum(ready.unfold(-1, n_fft, hop))
            self._next_frame += k
        else:
            out = buf.new_empty(buf.shape[:-1] + (self._n_mels, 0))
        keep_from = min(self._next_frame * hop, end - self._edge)
        if keep_from > self._buf_start:
            # A view: the next push's torch.cat copies it into fresh storage and the old
            # buffer is freed, so memory stays bounded without an extra copy here.
            self._buf = buf.narrow(-1, keep_from - self._buf_start, end - keep_from)
            self._buf_start = keep_from
        return out

    @overload
    def push(self, chunk: torch.Tensor) -> torch.Tensor: ...
    @overload
    def push(self, chunk: np.ndarray) -> np.ndarray: ...
    def push(self, chunk: torch.Tensor | np.ndarray) -> Any:
        """Add samples; return the frames they complete.

        Parameters
        ----------
        chunk : torch.Tensor or np.ndarray [shape=(..., n)]
            Any n >= 0, real floating point. The first chunk fixes, for the life of the
            stream, its leading shape and whether it is fed tensors or NumPy arrays.

        Returns
        -------
        M : torch.Tensor or np.ndarray [shape=(..., n_mels, k)]
            The newly completed frames (k >= 0) in the module's dtype: a tensor on the
            module's device, or a NumPy array for NumPy chunks (as the flush then).
        """
        if not self._lock.acquire(False):  # (never blocks)
            raise RuntimeError(CONCURRENT)
        try:
            if self._settled and type(chunk) is torch.Tensor:  # (the common push in few
                # frames: a call between other work finds its code and data cold, and pays
                # for each check and op; the optional native op checks the chunk itself)
                op = _native.mel_push
                if op is not None and (constants := self.module.push_constants()) is not None:
                    got = op(
                        self._buf,
                        chunk,
                        self._next_frame,
                        self._buf_start,
                        self._n_in,
                        self._edge,
                        self._n_fft,
                        self._hop,
                        LONG_CHUNK * self._n_fft,
                        *constants,
                    )
                    if got[0] is not None:
                        frames, self._buf, self._next_frame, self._buf_start, self._n_in = got
                        return frames
                if self._plain(chunk):
                    self._n_in += chunk.shape[-1]
                    if torch.is_inference_mode_enabled():
                        return self._take(chunk)
                    with torch.inference_mode():  # (as below)
                        frames = self._take(chunk)
                    return frames.clone()
            try:
                chunk = self._check_chunk(chunk)
                self._grad = self._grad or chunk.requires_grad
                if self._grad or torch.is_inference_mode_enabled() or is_compiling():
                    return self._kind.give(self._push(chunk))
                # Autograd's bookkeeping is a fair share of a short push on a CPU (a dozen
                # small ops): skipped under inference_mode. The frames are cloned out of
                # it, since the caller's model may save them for backward or write them in
                # place, which inference tensors refuse; what the stream keeps may stay an
                # inference tensor (see the test that mixes pushes inside and outside
                # inference_mode).
                with torch.inference_mode():
                    frames = self._push(chunk)
                return self._kind.give(frames if self._kind.numpy else frames.clone())
            finally:
                self._settle()
        finally:
            self._lock.release()

    def _settle(self) -> None:
        """Note whether a tensor chunk may skip :meth:`_check_chunk` and :meth:`_push`
        (:meth:`_plain`): a stream of the mel alone whose pad is made, fed tensors, with
        no autograd, not flushed."""
        self._settled = (
            self.front_end is None
            and self._buf is not None
            and not (self._grad or self._finished or self._kind.numpy)
            and not (self.channels_last or self.mono)
        )

    def _plain(self, chunk: torch.Tensor) -> bool:
        """Whether the tensor ``chunk`` of a settled stream needs none of
        :meth:`_check_chunk`'s work: in the module's dtype and on its device, shaped as the
        chunks before it, no autograd."""
        return (
            chunk.dtype == self.module.dtype
            and not chunk.requires_grad
            and chunk.device == self.module.device
            and chunk.shape[:-1] == self._lead
        )

    def _push(self, chunk: torch.Tensor) -> torch.Tensor:
        """The post-processed frames ``chunk`` completes."""
        # What the stream keeps is its own copy, never a view of the caller's chunk: a
        # capture buffer refilled in place between pushes must not change the stream's past.
        self._n_in += chunk.shape[-1]
        fe = self.front_end
        if fe is not None and fe.preemphasis and chunk.shape[-1]:
            chunk, self._previous = fe.preemphasize(chunk, self._previous), chunk[..., -1:].clone()
        if self._pad and self._buf is None:  # the left pad is not made yet
            head = chunk if self._head is None else torch.cat([self._head, chunk], -1)
            if head.shape[-1] < self._edge:
                self._head = head.clone() if head is chunk else head
                return self.postprocess(chunk.new_empty(chunk.shape[:-1] + (self._n_mels, 0)))
            left = pad_before(head, self._pad, self.module.config.pad_mode, self.module.ramp)
            # (the pad starts the buffer, in the padded domain; the samples follow it)
            self._buf, self._buf_start, self._head, chunk = left.clone(), 0, None, head
        return self.postprocess(self._take(chunk))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # (a lock cannot be copied; each copy gets its own)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def postprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """The output rows of newly computed mel frames ``(..., n_mels, k)``: the front
        end's per-frame post-processing and stacking, where the stream runs a preset."""
        if self.front_end is None:
            return frames
        frames = self.front_end.postprocess(frames)
        return frames if self._stacker is None else self._stacker.push(frames)

    def flush(self) -> Any:
        """End the stream: return the remaining frames (the right edge, padded by pad_mode).

        Returns
        -------
        M : torch.Tensor or np.ndarray [shape=(..., n_mels, k)]
            A NumPy array if the stream was fed NumPy arrays (typed ``Any``: the kind is
            the one the pushes fixed, which a type checker cannot follow).

        Raises
        ------
        ParameterError
            If the whole signal is too short for the configuration (as the module would).
        """
        if not self._lock.acquire(False):  # (never blocks)
            raise RuntimeError(CONCURRENT)
        try:
            return self._flush()
        finally:
            self._lock.release()

    def _flush(self) -> Any:
        if self._finished:
            raise ParameterError("flush called twice: call reset() to start a new stream")
        self._finished = True
        self._settled = False
        c = self.module.config
        self.module.check_length(self._n_in)
        if self._head is not None:  # no left pad yet: a signal shorter than what the pad reads
            self._append(pad_both(self._head, self._pad, c.pad_mode, self.module.ramp))
            self._head = None
        elif self._pad:
            assert self._buf is not None
            self._append(self._right_pad(self._buf))
        last = self.postprocess(self._emit())
        if self.front_end is not None:
            last = self.front_end.finish(last, self._next_frame)
        if self._stacker is not None:
            last = torch.cat([last, self._stacker.flush()], dim=-1)
        return self._kind.give(last)
