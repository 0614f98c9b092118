"""Matrix products at float32 precision, also where PyTorch is set to reduce it.

PyTorch can run float32 matrix products in a reduced precision, process-wide:
``torch.set_float32_matmul_precision("high")`` (PyTorch Lightning suggests it on GPUs with
tensor cores) or ``"medium"``, ``torch.backends.cuda.matmul.fp32_precision = "tf32"`` or the
older ``allow_tf32 = True`` on CUDA, and from torch 2.9
``torch.backends.mkldnn.matmul.fp32_precision = "bf16"`` (which ``"medium"`` also sets) on
CPUs with bfloat16 units (x86 AMX or AVX512-BF16). TF32 keeps 10 of float32's 23 mantissa
bits and bfloat16 7, and a mel band is a sum of non-negative products, so it can move by up
to about 1e-3 (TF32) or 1e-2 (bfloat16) of its value, against the 1e-5 parity tolerance.
Where such a setting applies, fastmel computes its float32 products (the mel projection,
the MFCC's DCT) in float64 from the same float32 operands and rounds the result once. A
float64 product costs more, most on GPUs with little float64 throughput: keep the setting
at ``"highest"`` around fastmel for the fastest calls.

Under ``torch.compile`` and exports the graph is traced once: there the products follow
the global setting, which should then be ``"highest"`` while tracing.
"""

from __future__ import annotations

import torch

from fastmel.ops.tracing import is_compiling, is_exporting

__all__ = [
    "CPU_BF16",
    "cpu_bf16_enabled",
    "float64_products",
    "reduced",
    "tf32_enabled",
    "wants_float64_constants",
]

# torch >= 2.9 reads the setting from whichever API set it, and never raises; reading the
# older allow_tf32 flag raises once the newer fp32_precision API has been used.
_fp32_precision = getattr(torch._C, "_get_fp32_precision_getter", None)


def _setting(backend: str) -> str | None:
    """torch's float32 matmul precision for ``backend`` ("cuda", "mkldnn"), if it says."""
    if _fp32_precision is None:
        return None
    try:
        return _fp32_precision(backend, "matmul")
    except (RuntimeError, TypeError):  # (a signature this code does not know)
        return None


def _cpu_has_bf16_units() -> bool:
    for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):  # (torch's probes)
        try:
            if getattr(torch.cpu, name)():
                return True
        except Exception:  # (absent from this torch, or failing: count it as no units)
            continue
    return False


#: Whether this CPU has the bfloat16 units oneDNN reduces float32 products with (read once;
#: elsewhere the bf16 setting changes nothing, and CPU products take no float64 route).
CPU_BF16 = _cpu_has_bf16_units()


def tf32_enabled() -> bool:
    """Whether CUDA float32 matrix products may run in TF32 (or another reduced precision)."""
    setting = _setting("cuda")
    if setting is None:
        return bool(torch.backends.cuda.matmul.allow_tf32)
    return setting not in ("ieee", "none")


def cpu_bf16_enabled() -> bool:
    """Whether CPU float32 matrix products may run in bfloat16 (or TF32) through oneDNN."""
    return CPU_BF16 and _setting("mkldnn") not in (None, "ieee", "none")


def float64_products(x: torch.Tensor) -> bool:
    """Whether a float32 matrix product with ``x`` takes the float64 route: ``x`` is a
    float32 CUDA or CPU tensor whose products the setting reduces, and no graph is being
    traced."""
    if x.dtype != torch.float32 or is_compiling() or is_exporting():
        return False
    return (x.is_cuda or x.is_cpu) and reduced(x.is_cuda)


def reduced(cuda: bool) -> bool:
    """Whether the setting reduces float32 products on CUDA (``cuda``) or the CPU."""
    return tf32_enabled() if cuda else cpu_bf16_enabled()


def wants_float64_constants(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether a module on ``device`` computing in ``dtype`` keeps float64 copies of its
    matrices for the float64 route."""
    on = device.type == "cuda" or (device.type == "cpu" and CPU_BF16)
    return on and dtype == torch.float32
