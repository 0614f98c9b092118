"""Matrix products at float32 precision on CUDA, also where TF32 is enabled.

Many PyTorch programs enable TF32 for CUDA float32 matrix products
(``torch.set_float32_matmul_precision("high")``, as PyTorch Lightning suggests on Ampere
and later GPUs, ``torch.backends.cuda.matmul.fp32_precision = "tf32"`` or the older
``allow_tf32 = True``). TF32 rounds both operands to 10-bit mantissas, a relative error of
up to 2**-11 per operand, and the mel projection sums only non-negative terms, so a band can
move by about 1e-3 of its value: a hundred times the float32 parity tolerance. Where TF32 is
enabled, fastmel computes its CUDA float32 products (the mel projection, the MFCC's DCT) in
float64 from the same float32 operands and rounds the result to float32 once. A float64
product costs more, most on GPUs with little float64 throughput; keep TF32 off
(``torch.set_float32_matmul_precision("highest")``) around fastmel for the fastest calls.

Under ``torch.compile`` and exports the graph is traced once: there the products follow
the global setting, which should then be ``"highest"`` while tracing.
"""

from __future__ import annotations

import torch

from .tracing import is_compiling, is_exporting

__all__ = ["float64_products", "tf32_enabled"]

#: Take the float64 route on CPU tensors too (tests only: TF32 exists on CUDA alone).
ON_CPU = False

# torch >= 2.9 reads the setting from whichever API set it, and never raises; reading the
# older allow_tf32 flag raises once the newer fp32_precision API has been used.
_fp32_precision = getattr(torch._C, "_get_fp32_precision_getter", None)


def tf32_enabled() -> bool:
    """Whether CUDA float32 matrix products may run in TF32 (or another reduced precision)."""
    if _fp32_precision is not None:
        try:
            return _fp32_precision("cuda", "matmul") not in ("ieee", "none")
        except (RuntimeError, TypeError):  # (a signature this code does not know)
            pass
    return bool(torch.backends.cuda.matmul.allow_tf32)


def float64_products(x: torch.Tensor) -> bool:
    """Whether a float32 matrix product with ``x`` takes the float64 route: ``x`` is a
    float32 CUDA tensor, TF32 is enabled, and no graph is being traced."""
    return (
        (x.is_cuda or ON_CPU)
        and x.dtype == torch.float32
        and not is_compiling()
        and not is_exporting()
        and tf32_enabled()
    )
