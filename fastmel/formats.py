"""Array files, their format told by their extension: what ``fastmel mel -o`` writes.

``.npy`` (NumPy), ``.npz`` (NumPy, the array under one name), ``.pt`` (a tensor for
``torch.load``) and ``.safetensors`` (the array under one name; needs the ``safetensors``
package). Any other extension is refused before any work, never written as another format.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fastmel.core.errors import ParameterError

__all__ = ["ARRAY_FORMATS", "array_format", "save_array"]

#: The extensions ``save_array`` writes, and what each holds.
ARRAY_FORMATS = {
    ".npy": "NumPy array (np.load)",
    ".npz": "NumPy archive, the array under its name (np.load(...)[name])",
    ".pt": "torch tensor (torch.load)",
    ".safetensors": "safetensors file, the array under its name (needs safetensors)",
}


def array_format(path: str) -> str:
    """The format of the output ``path``, from its extension (ParameterError naming the file
    for one ``save_array`` does not write, or safetensors where it is not installed)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in ARRAY_FORMATS:
        known = ", ".join(ARRAY_FORMATS)
        given = f"extension {ext!r}" if ext else "no extension"
        raise ParameterError(f"{path}: {given}; the output must end in one of {known}")
    if ext == ".safetensors":
        try:
            import safetensors.numpy  # noqa: F401
        except ImportError:
            raise ParameterError(f"{path}: .safetensors needs: pip install safetensors") from None
    return ext


def save_array(path: str, array: np.ndarray, *, fmt: str, name: str) -> None:
    """Write ``array`` to ``path`` in the format ``fmt`` (an :func:`array_format`), under
    ``name`` in the formats that name their arrays."""
    array = np.ascontiguousarray(array)
    with open(path, "wb") as f:  # (the file as created, keeping its permissions)
        if fmt == ".safetensors":
            import safetensors.numpy

            f.write(safetensors.numpy.save({name: array}))
        elif fmt == ".npy":
            np.save(f, array)
        elif fmt == ".npz":
            arrays: dict[str, Any] = {name: array}
            np.savez(f, **arrays)
        elif fmt == ".pt":
            import torch

            tensor = torch.from_numpy(array)
            if tensor.untyped_storage().nbytes() != tensor.nbytes:  # (a view: save its data)
                tensor = tensor.clone()
            torch.save(tensor, f)
        else:
            raise ParameterError(f"{path}: unknown format {fmt!r}")
