"""Checks every module gets (as diffsptk's ``check_*`` helpers): compiled, differentiated,
pickled and moved, each equal to the module's own eager output."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import torch


def max_abs(a: object, b: object) -> float:
    """max|a - b| over equal shapes, in float64."""
    a = a.detach().cpu().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().cpu().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"shape {a.shape} != reference {b.shape}"
    return float(np.abs(a - b).max(initial=0.0))


def rel_err(ours, ref) -> float:
    """max|ours - ref| / max|ref| (0/0 counts as 0), after moving both to float64 NumPy."""
    ours = ours.detach().cpu().double().numpy() if isinstance(ours, torch.Tensor) else ours
    ref = ref.detach().cpu().double().numpy() if isinstance(ref, torch.Tensor) else ref
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != reference {ref.shape}"
    diff = np.abs(ours - ref).max(initial=0.0)
    peak = np.abs(ref).max(initial=0.0)
    return float(diff / peak) if peak > 0 else float(diff)


def check_compiles(module: torch.nn.Module, y: torch.Tensor, atol: float) -> None:
    """``torch.compile(module, fullgraph=True)`` (no graph breaks) equals the module."""
    torch._dynamo.reset()
    compiled = torch.compile(module, fullgraph=True)
    err = max_abs(compiled(y), module(y))
    assert err <= atol, f"compiled differs from eager by {err:.3g} > {atol}"


def check_differentiable(module: torch.nn.Module, y: torch.Tensor) -> None:
    """Autograd's gradient of the float64 module equals finite differences (gradcheck)."""
    module = copy.deepcopy(module).double()
    x = y.detach().double().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: module(v), (x,), eps=1e-6, atol=1e-5, fast_mode=True)


def check_picklable(module: torch.nn.Module, y: torch.Tensor) -> None:
    """pickle, deepcopy and torch.save/load give modules that compute the same, bit for bit."""
    expected = module(y)
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    copies = {
        "pickle": pickle.loads(pickle.dumps(module)),
        "deepcopy": copy.deepcopy(module),
        "torch.save": torch.load(buffer, weights_only=False),
    }
    for kind, other in copies.items():
        assert torch.equal(other(y), expected), kind


def check_follows_dtype(module: torch.nn.Module, y: torch.Tensor) -> None:
    """``.double()`` computes in float64 and ``.float()`` back in float32, each as a module
    built in that dtype would (constants rebuilt from float64, never round-tripped)."""
    m = copy.deepcopy(module)
    assert m.double()(y.double()).dtype == torch.float64
    assert torch.equal(m.float()(y.float()), module.float()(y.float()))
