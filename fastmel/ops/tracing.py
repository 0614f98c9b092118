"""Whether a call is being traced, and by what: the module takes trace-friendly routes then.

- Under any trace (``torch.compile``, ``torch.export``, ``torch.onnx.export``) the power-2
  spectrum is read through ``view_as_real`` rather than a complex-to-real ``view``, and the
  Triton kernel is left out (the compiler fuses by itself).
- Exports trace one graph for every input length, so their routes must not depend on the
  length: no CPU blocks of frames and one projection plan, where eager calls choose both
  from the number of frames.
- ONNX exports compute the DFT as a GEMM (see :mod:`fastmel.dft`).
"""

from __future__ import annotations

import torch

__all__ = ["is_compiling", "is_exporting", "is_onnx_export"]

# torch.compiler.is_compiling from torch 2.3 on, torch._dynamo's before (true under export too)
is_compiling = getattr(torch.compiler, "is_compiling", None) or torch._dynamo.is_compiling


# whether torch.export (or torch.onnx.export) is tracing the call; torch.compiler's is newer
# than 2.3, and without it fastmel takes no export routes
is_exporting = getattr(torch.compiler, "is_exporting", None) or (lambda: False)


def is_onnx_export() -> bool:
    """Whether ``torch.onnx.export`` (its torch.export-based exporter) is tracing the call."""
    # is_in_onnx_export costs far more than the flag: the flag goes first, for eager calls
    return is_exporting() and torch.onnx.is_in_onnx_export()
