"""Static-shape CUDA-graph runner: capture a module once, replay it per call.

Most of a small mel spectrogram's time on a GPU is launch and framework overhead, not
kernels. ``cuda_graph(module, example)`` warms the module up on a side stream (cuFFT plans,
allocator), captures one call in a ``torch.cuda.CUDAGraph`` and returns a runner that
copies each input into the captured input buffer and replays the graph.
"""

from __future__ import annotations

from typing import Any

import torch

from .errors import ParameterError

__all__ = ["CUDAGraphRunner", "cuda_graph"]


class CUDAGraphRunner:
    """Replays a captured ``module(example)`` for inputs of the example's shape and dtype.

    Parameters
    ----------
    module : torch.nn.Module
        A module whose forward does no host synchronisation (any fastmel module or preset).
    example : torch.Tensor
        A CUDA tensor with the shape and dtype of every future input.
    warmup : int
        Eager calls on a side stream before capture.

    Notes
    -----
    The returned tensor is the runner's own output buffer: the next call overwrites it.
    ``.clone()`` it to keep it, or consume it before calling again. Inputs are copied into
    the runner's input buffer (a device-to-device copy); the runner never synchronises.
    """

    def __init__(self, module: torch.nn.Module, example: torch.Tensor, *, warmup: int = 3) -> None:
        if not torch.cuda.is_available():
            raise RuntimeError("fastmel.cuda_graph needs a CUDA device; none is available")
        if not isinstance(example, torch.Tensor) or example.device.type != "cuda":
            raise ParameterError("example must be a CUDA tensor with the inputs' shape and dtype")
        self.module = module
        self.static_input = example.detach().clone()
        side = torch.cuda.Stream(device=example.device)
        side.wait_stream(torch.cuda.current_stream(example.device))
        with torch.cuda.stream(side), torch.no_grad():
            for _ in range(max(1, warmup)):
                module(self.static_input)
        torch.cuda.current_stream(example.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph), torch.no_grad():
            self.static_output = module(self.static_input)

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


def cuda_graph(module: torch.nn.Module, example: torch.Tensor, **kwargs: Any) -> CUDAGraphRunner:
    """Capture ``module(example)`` in a CUDA graph; see :class:`CUDAGraphRunner`.

    Examples
    --------
    >>> import torch, fastmel
    >>> mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    >>> if torch.cuda.is_available():
    ...     run = fastmel.cuda_graph(mel.cuda(), torch.zeros(16000, device="cuda"))
    ...     out = run(torch.randn(16000, device="cuda"))  # reused buffer: clone to keep
    """
    return CUDAGraphRunner(module, example, **kwargs)
