"""NumPy in, NumPy out: the array types fastmel accepts, their conversion to tensors, and the
checks of a signal's type and compute dtype.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch

from fastmel.core.errors import ParameterError

__all__ = ["as_tensor", "check_signal", "like", "torch_dtype", "Array", "NumpyInOut", "StreamKind"]

# What the functions take and give back in kind: NumPy in, NumPy out; tensor in, tensor out.
Array = TypeVar("Array", np.ndarray, torch.Tensor)


def as_tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """``x`` as a tensor, sharing memory where it can (one copy at most)."""
    if isinstance(x, torch.Tensor):
        return x
    # torch.from_numpy refuses non-native byte order (a '>f4' array from a file or a socket)
    # and warns on read-only memory (np.frombuffer, np.load(mmap_mode="r")); librosa takes
    # both. One copy at most, and none for a writable native contiguous array.
    if not (x.flags.c_contiguous and x.flags.writeable and x.dtype.isnative):
        x = np.require(x, dtype=x.dtype.newbyteorder("="), requirements=["C", "W"])
    return torch.from_numpy(x)


def like(out: torch.Tensor, x: Array) -> Array:
    """``out`` in the kind of the input ``x``: a NumPy array (sharing memory) for an array
    ``x``, whose computation ran on the host, else the tensor itself."""
    return out.numpy() if isinstance(x, np.ndarray) else out  # pyright: ignore[reportReturnType]


class NumpyInOut:
    """For torch modules: called on a NumPy array, the module computes on its own device
    and returns a NumPy array, as the functions do; tensors pass straight through.

    The module names its device in a ``device`` property. Other NumPy arguments (a batch's
    ``lengths``) become tensors on that device too.
    """

    if TYPE_CHECKING:

        @property
        def device(self) -> torch.device: ...

    def __call__(self, y: Any, *args: Any, **kwargs: Any) -> Any:
        call = super().__call__  # type: ignore[misc]  # (torch.nn.Module's)
        if not isinstance(y, np.ndarray):
            return call(y, *args, **kwargs)
        device = self.device

        def tensor(x: Any) -> Any:
            return as_tensor(x).to(device) if isinstance(x, np.ndarray) else x

        args = tuple(map(tensor, args))
        kwargs = {k: tensor(v) for k, v in kwargs.items()}
        return call(tensor(y), *args, **kwargs).numpy(force=True)


class StreamKind:
    """What a stream is fed, NumPy arrays or tensors: fixed by its first input (as its
    leading shape is), so that :meth:`give` answers each push and the flush in that kind.

    Parameters
    ----------
    name : str
        The input's name in error messages (``"chunk"``, ``"frames"``).
    shape : str
        Its shape in error messages; it names the dimensions required (``"(..., n)"``: at
        least one).
    """

    def __init__(self, name: str, shape: str) -> None:
        self.name, self.shape = name, shape
        self.min_ndim = shape.count(",")  # "(..., n)": 1, "(..., n_mels, k)": 2
        self.numpy: bool | None = None  # None until the first input

    def take(self, x: Any) -> torch.Tensor:
        """``x`` checked and as a tensor (a view of a writable native array)."""
        if not isinstance(x, (np.ndarray, torch.Tensor)):
            raise TypeError(
                f"{self.name} must be a torch.Tensor or np.ndarray, got {type(x).__name__}"
            )
        is_numpy = isinstance(x, np.ndarray)
        if self.numpy is not None and is_numpy != self.numpy:
            fed = "NumPy arrays" if self.numpy else "torch tensors"
            raise TypeError(
                f"{self.name} is a {type(x).__name__}; this stream is fed {fed} (reset() to change)"
            )
        real = x.dtype.kind == "f" if isinstance(x, np.ndarray) else x.dtype.is_floating_point
        if not real:  # (checked before torch.from_numpy, which fails on object arrays)
            raise ParameterError(f"{self.name} must be real floating point, got dtype {x.dtype}")
        if x.ndim < self.min_ndim:
            raise ParameterError(f"{self.name} must have shape {self.shape}, got {tuple(x.shape)}")
        if isinstance(x, torch.Tensor) and x.is_meta:
            raise ParameterError(f"{self.name} is a meta tensor, which holds no data to compute on")
        self.numpy = is_numpy
        return as_tensor(x)

    def give(self, out: torch.Tensor) -> Any:
        """``out`` in the kind the stream is fed (NumPy on the host, or the tensor as is).

        Typed ``Any``: the kind is runtime state. Pushes declare theirs by overloads on the
        input's type; a flush, which takes no input, stays ``Any``.
        """
        return out.cpu().numpy() if self.numpy else out


_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def torch_dtype(dtype: Any) -> torch.dtype:
    """Map a NumPy or torch floating dtype to the torch dtype computations run in."""
    if dtype is np.float32 or dtype is np.float64:  # (the common case, without np.dtype())
        return _DTYPES[dtype]
    dt: torch.dtype | None
    if isinstance(dtype, torch.dtype):
        dt = dtype
    else:
        try:
            nd = np.dtype(dtype)
        except TypeError:
            raise ParameterError(f"dtype={dtype!r} must be float32 or float64") from None
        dt = _DTYPES.get(nd.type) if nd.isnative else None  # (">f4": no compute dtype)
    if dt not in (torch.float32, torch.float64):
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64")
    return dt


def check_signal(x: Any, name: str) -> None:
    """A real floating tensor of shape ``(..., n)``, else a TypeError/ParameterError naming it."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or np.ndarray, got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise ParameterError(f"{name} must be a real floating-point tensor, got dtype {x.dtype}")
    if x.dim() == 0:
        raise ParameterError(f"{name} must have at least one dimension (..., time)")
    if x.is_meta:
        raise ParameterError(f"{name} is a meta tensor, which holds no data to compute on")
