"""CUDA-graph runners: capture the work of a call once, replay it per call.

Most of a small mel spectrogram's time on a GPU is launch and framework overhead, not
kernels. ``cuda_graph(module, example)`` warms the module up on a side stream (cuFFT plans,
cuBLAS handles, allocator), captures one call in a ``torch.cuda.CUDAGraph`` and returns a
runner that copies each input into the captured input buffer and replays the graph.
``cuda_graph(MelStream(...), example_chunk)`` does the same for a stream pushed in chunks
of one fixed size: the push is rewritten as fixed-shape operations on static buffers (a
sliding window of the last samples), and one graph is captured per phase of the chunk
against the hop, since a fixed chunk does not complete the same number of frames each push.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

import torch

from fastmel.core.arrays import check_signal
from fastmel.core.errors import ParameterError, check_size
from fastmel.ops import fused
from fastmel.runtime.streaming import MelStream, StreamState

__all__ = ["CUDAGraphRunner", "CUDAGraphStream", "cuda_graph"]

Key = TypeVar("Key")


def _check_capture(example: Any, warmup: int) -> None:
    check_size("warmup", warmup)  # (before CUDA: a bad argument is named on any machine)
    if not torch.cuda.is_available():
        raise RuntimeError("fastmel.cuda_graph needs a CUDA device; none is available")
    if not isinstance(example, torch.Tensor) or example.device.type != "cuda":
        raise ParameterError("example must be a CUDA tensor with the inputs' shape and dtype")


def _capture(
    steps: Mapping[Key, Callable[[], torch.Tensor]], device: torch.device, warmup: int
) -> dict[Key, tuple[torch.cuda.CUDAGraph, torch.Tensor]]:
    """Warm each step up on a side stream, then capture each in a graph (one memory pool).

    The warm-up takes the same paths as the capture (the Triton kernels included), so that
    nothing is compiled, planned or first allocated while capturing.

    The graphs share a pool: they are replayed one at a time, never concurrently, and each
    graph's output stays alive (held here), so no capture can reuse another's output memory.
    """
    # torch.cuda.graph captures on a stream of the current device, and Triton launches
    # there too: make it the inputs' device (modules on cuda:1 while cuda:0 is current).
    # Replays need no guard: CUDAGraph.replay switches to its capture device itself.
    with torch.cuda.device(device):
        side = torch.cuda.Stream(device=device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side), torch.no_grad(), fused.as_if_capturing():
            for step in steps.values():
                for _ in range(warmup):
                    step()
        torch.cuda.current_stream(device).wait_stream(side)
        pool = torch.cuda.graph_pool_handle()
        graphs = {}
        for key, step in steps.items():
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=pool), torch.no_grad():
                out = step()
            graphs[key] = (graph, out)
    return graphs


class CUDAGraphRunner:
    """Replays a captured ``module(example)`` for inputs of the example's shape and dtype.

    Parameters
    ----------
    module : torch.nn.Module
        A module whose forward does no host synchronisation (any fastmel module or preset),
        on the example's device.
    example : torch.Tensor
        A CUDA tensor with the shape and dtype of every future input.
    warmup : int >= 1
        Eager calls on a side stream before capture (they plan the FFT, pick the GEMMs and
        allocate, none of which may happen while capturing).

    Notes
    -----
    The returned tensor is the runner's own output buffer: the next call overwrites it.
    ``.clone()`` it to keep it, or consume it before calling again. Inputs are copied into
    the runner's input buffer (a device-to-device copy); the runner never synchronises.
    To skip that copy, write the audio into ``runner.static_input`` and call
    ``runner(runner.static_input)`` (copying a tensor onto itself does nothing).
    """

    def __init__(self, module: torch.nn.Module, example: torch.Tensor, *, warmup: int = 3) -> None:
        _check_capture(example, warmup)
        self.module = module
        with torch.inference_mode(False):
            # Static buffers are written in place on every call. Made under inference_mode
            # they would be inference tensors, which no call outside it may write to.
            self.static_input = example.detach().clone()
        captured = _capture({0: lambda: module(self.static_input)}, example.device, warmup)
        self.graph, self.static_output = captured[0]

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        """Copy ``y`` into the captured input, replay, return the (reused) output buffer."""
        s = self.static_input
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"y must be a torch.Tensor, got {type(y).__name__}")
        if y.shape != s.shape or y.dtype != s.dtype:
            raise ParameterError(
                f"y has shape {tuple(y.shape)} and dtype {y.dtype}; this graph was captured for "
                f"{tuple(s.shape)} {s.dtype} (capture another runner for other shapes)"
            )
        s.copy_(y, non_blocking=True)
        self.graph.replay()
        return self.static_output


def _phases(n_fft: int, hop: int, chunk: int, r: int) -> dict[int, tuple[int, int]]:
    """Every push state reachable from ``r``: ``{r: (frames completed, next r)}``.

    ``r`` is the number of (padded-domain) samples received past the start of the next
    frame to emit. A push of ``chunk`` samples completes ``k`` frames and leaves
    ``r + chunk - k * hop``; the states cycle with period ``hop / gcd(chunk, hop)`` at most.
    """
    plan: dict[int, tuple[int, int]] = {}
    while r not in plan:
        k = max(0, (r + chunk - n_fft) // hop + 1)
        plan[r] = (k, r + chunk - k * hop)
        r = plan[r][1]
    return plan


class _StaticStream:
    """A :class:`MelStream` pushed in fixed-size chunks, as fixed-shape operations on static
    buffers (the part of :class:`CUDAGraphStream` that needs no GPU, tested on CPU).

    The first push (more while a reflect/edge left pad waits for samples) runs eagerly in the
    wrapped stream, which makes the left pad; its state then moves into a static sliding
    window of the last ``chunk + n_fft - 1`` samples. Each later push shifts the window by
    one chunk and transforms the frames the phase ``r`` says are complete, at offsets fixed
    by ``r``. A chunk of any other length, or :meth:`flush`, hands the state back to the
    wrapped stream, which carries on eagerly.
    """

    def __init__(self, stream: MelStream, example: torch.Tensor) -> None:
        if not isinstance(stream, MelStream):
            raise TypeError(f"stream must be a fastmel.MelStream, got {type(stream).__name__}")
        if stream.front_end is not None and stream.front_end.frame_stacker() is not None:
            raise ParameterError(
                f"{type(stream.front_end).__name__} stacks frames into rows, which a static "
                "stream does not: push to the MelStream itself"
            )
        check_signal(example, "example")
        chunk = example.shape[-1]
        if chunk == 0:
            raise ParameterError("example must hold at least one sample (the chunk length)")
        m, c = stream.module, stream.module.config
        self.stream = stream
        self.chunk_shape = tuple(example.shape)
        self._chunk, self._hop, self._pad = chunk, c.hop_length, c.pad
        fe = stream.front_end
        self._preemphasizer = fe if fe is not None and fe.preemphasis else None  # state to carry
        self._width = chunk + max(c.n_fft - 1, stream.edge_samples)
        # pushes until the left pad is made
        self._n_eager = max(1, -(-stream.edge_samples // chunk))
        n = c.pad + self._n_eager * chunk  # padded-domain samples after them
        emitted = max(0, (n - c.n_fft) // c.hop_length + 1)
        self._phases = _phases(c.n_fft, c.hop_length, chunk, n - emitted * c.hop_length)
        w = m.window
        lead = self.chunk_shape[:-1]
        with torch.inference_mode(False):  # (written in place: see CUDAGraphRunner)
            self._input = w.new_zeros(self.chunk_shape)
            self._buf = w.new_zeros(lead + (self._width,))
            self._previous = w.new_zeros(lead + (1,))  # last raw sample (pre-emphasis)
        self._no_frames = w.new_zeros(lead + (c.n_mels, 0))
        self.reset()

    def reset(self) -> None:
        """Start a new stream of the same chunk shape (the captured graphs are kept)."""
        self.stream.reset()
        for t in (self._input, self._buf, self._previous):
            t.zero_()
        self._pushes = 0
        self._n_in = 0
        self._next_frame = 0
        self._r = next(iter(self._phases))
        self._eager = False  # True once the state lives in self.stream for good
        self._finished = False

    @property
    def frames_emitted(self) -> int:
        """Number of frames returned so far."""
        if self._eager or self._pushes < self._n_eager:
            return self.stream.frames_emitted
        return self._next_frame

    def _step(self, r: int) -> torch.Tensor:
        """One push in phase ``r``, reading ``self._input``: fixed shapes, no host sync."""
        k = self._phases[r][0]
        x = self._input
        if self._preemphasizer is not None:
            x = self._preemphasizer.preemphasize(self._input, self._previous)
            self._previous.copy_(self._input[..., -1:])
        window = torch.cat([self._buf[..., self._chunk :], x], dim=-1)
        out = self._no_frames
        if k:
            module = self.stream.module
            n_fft = module.config.n_fft
            start = self._width - self._chunk - r  # where the next frame starts in `window`
            span = window[..., start : start + (k - 1) * self._hop + n_fft]
            out = self.stream.postprocess(module.spectrum(span.unfold(-1, n_fft, self._hop)))
        self._buf.copy_(window)
        return out

    def _run(self, r: int) -> torch.Tensor:
        return self._step(r)

    def _hand_over(self) -> None:
        """Give the static state to the wrapped stream, which goes on eagerly."""
        if self._pushes >= self._n_eager:
            previous = self._previous.clone() if self._preemphasizer is not None else None
            end = self._pad + self._n_in  # padded-domain samples so far
            state = StreamState(
                self._buf.clone(),
                end - self._width,
                self._n_in,
                self._next_frame,
                previous=previous,
            )
            self.stream.resume(state)
        self._eager = True

    def push(self, chunk: torch.Tensor) -> torch.Tensor:
        """Add a chunk; return the frames it completes (see :class:`CUDAGraphStream`)."""
        check_signal(chunk, "chunk")  # tensors only, replayed or eager (unlike MelStream)
        if self._eager:
            return self.stream.push(chunk)
        if self._finished:
            raise ParameterError("push after flush: call reset() to start a new stream")
        if tuple(chunk.shape) != self.chunk_shape:
            self._hand_over()
            return self.stream.push(chunk)
        self._pushes += 1
        if self._pushes <= self._n_eager:
            out = self.stream.push(chunk)
            if self._pushes == self._n_eager:  # the left pad is made: go static
                state = self.stream.state()
                assert state.buf is not None and state.head is None
                n = min(state.buf.shape[-1], self._width)
                self._buf[..., self._width - n :].copy_(state.buf[..., -n:])
                if state.previous is not None:
                    self._previous.copy_(state.previous)
                self._n_in, self._next_frame = state.n_in, state.next_frame
            return out
        self._input.copy_(chunk, non_blocking=True)
        r = self._r
        out = self._run(r)
        k, self._r = self._phases[r]
        self._n_in += self._chunk
        self._next_frame += k
        return out

    def flush(self) -> torch.Tensor:
        """End the stream: the remaining frames, as :meth:`MelStream.flush`."""
        if not self._eager:
            if self._finished:
                raise ParameterError("flush called twice: call reset() to start a new stream")
            self._hand_over()
        self._finished = True
        return self.stream.flush()


class CUDAGraphStream(_StaticStream):
    """A :class:`MelStream` whose push of a fixed-shape chunk replays a captured CUDA graph.

    Parameters
    ----------
    stream : MelStream
        The stream to run (its module or causal preset on a CUDA device); it is reset.
    example : torch.Tensor [shape=(..., chunk)]
        A CUDA tensor with the shape of every chunk: ``...`` independent streams advanced
        together, ``chunk`` samples each.
    warmup : int >= 1
        Eager runs of each captured step on a side stream before capture.

    Notes
    -----
    Outputs equal :class:`MelStream`'s (and so the offline module's) for the same chunks.
    One graph is captured per phase of the chunk against the hop (``hop / gcd(chunk, hop)``
    of them at most; a 640-sample chunk with hop 200 completes 3, 3, 3, 3 then 4 frames and
    needs 5). The first push runs eagerly (it makes the left pad); a chunk of another
    shape, e.g. a file's last partial chunk, hands the state to the eager stream, which
    serves the rest of the stream (``reset()`` returns to graph replay); ``flush`` is eager.

    The tensor a push returns is the runner's own buffer: a later push overwrites it, so
    ``.clone()`` it to keep it. Chunks are copied into a static input buffer on the device
    (pass CUDA tensors: a CPU chunk costs a host-to-device copy); ``push`` never
    synchronises with the device.

    Examples
    --------
    >>> import torch, fastmel
    >>> mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    >>> if torch.cuda.is_available():
    ...     chunk = torch.zeros(64, 640, device="cuda")  # 64 streams, 40 ms each
    ...     run = fastmel.cuda_graph(fastmel.MelStream(mel.cuda()), chunk)
    ...     frames = run.push(torch.randn(64, 640, device="cuda"))  # (64, 80, k), k = 2, 3 or 4
    """

    def __init__(self, stream: MelStream, example: torch.Tensor, *, warmup: int = 2) -> None:
        if isinstance(stream, MelStream) and (stream.channels_last or stream.mono):
            raise ParameterError(
                "a CUDA-graph stream takes (..., n) chunks: build the MelStream without "
                "channels_last or mono and transpose or mix the blocks before pushing"
            )
        _check_capture(example, warmup)
        if isinstance(stream, MelStream) and stream.module.window.device.type != "cuda":
            raise ParameterError(
                f"the stream's module is on {stream.module.window.device}: move it to the GPU "
                "first (.cuda())"
            )
        super().__init__(stream, example)
        steps = {r: functools.partial(self._step, r) for r in self._phases}
        self._graphs = _capture(steps, self._input.device, warmup)
        self.reset()  # the warm-up ran steps on the static buffers

    def _run(self, r: int) -> torch.Tensor:
        graph, out = self._graphs[r]
        graph.replay()
        return out


@overload
def cuda_graph(
    module: MelStream, example: torch.Tensor, *, warmup: int | None = None
) -> CUDAGraphStream: ...
@overload
def cuda_graph(
    module: torch.nn.Module, example: torch.Tensor, *, warmup: int | None = None
) -> CUDAGraphRunner: ...
def cuda_graph(
    module: torch.nn.Module | MelStream, example: torch.Tensor, *, warmup: int | None = None
) -> CUDAGraphRunner | CUDAGraphStream:
    """Capture a module call, or a stream's push of fixed-shape chunks, in CUDA graphs.

    Parameters
    ----------
    module : torch.nn.Module or MelStream
        A module (``MelSpectrogram``, a preset, ``MFCC``...) on a CUDA device, or a
        ``MelStream`` over one.
    example : torch.Tensor
        A CUDA tensor of the shape (and, for modules, dtype) of every future input or chunk.
    warmup : int >= 1 or None
        Eager runs of each step on a side stream before capture (None: 3 for a module,
        2 per phase for a stream).

    Returns
    -------
    CUDAGraphRunner or CUDAGraphStream
        Called like the module (``run(y)``), or pushed like the stream (``run.push(chunk)``,
        ``run.flush()``, ``run.reset()``). Both return their own buffers, overwritten by the
        next call: clone what you keep.

    Raises
    ------
    RuntimeError
        Without CUDA.

    Examples
    --------
    >>> import torch, fastmel
    >>> mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    >>> if torch.cuda.is_available():
    ...     run = fastmel.cuda_graph(mel.cuda(), torch.zeros(16000, device="cuda"))
    ...     out = run(torch.randn(16000, device="cuda"))  # reused buffer: clone to keep
    """
    kwargs = {} if warmup is None else {"warmup": warmup}
    if isinstance(module, MelStream):
        return CUDAGraphStream(module, example, **kwargs)
    return CUDAGraphRunner(module, example, **kwargs)
