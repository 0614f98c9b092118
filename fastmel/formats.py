"""Array files, their format told by their extension: what ``fastmel mel -o`` writes.

``.npy`` (NumPy), ``.npz`` (NumPy, the array under one name), ``.pt`` (a tensor for
``torch.load``) and ``.safetensors`` (the array under one name; needs the ``safetensors``
package). Any other extension is refused before any work, never written as another format.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from fastmel.core.errors import ParameterError

__all__ = ["ARRAY_FORMATS", "ColumnWriter", "array_format", "save_array", "save_columns"]

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


#: The bytes of a :class:`ColumnWriter`'s header: a multiple of 64, as NumPy aligns data.
_HEADER_BYTES = 128


def _npy_header(dtype: np.dtype, shape: tuple[int, int]) -> bytes:
    """A .npy (version 1.0) header for a Fortran-ordered array, padded to _HEADER_BYTES."""
    text = repr(
        {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": True, "shape": shape}
    )
    body = text.encode("latin1")
    size = _HEADER_BYTES - 10
    if len(body) + 1 > size:
        raise ParameterError(f"an array of shape {shape} needs a longer .npy header")
    body = body + b" " * (size - len(body) - 1) + b"\n"
    return b"\x93NUMPY\x01\x00" + size.to_bytes(2, "little") + body


class ColumnWriter:
    """A .npy file of shape ``(rows, columns)`` written a block of columns at a time, so
    that an output longer than memory streams to disk.

    The array is stored in Fortran order (column after column: ``np.load`` reads it as
    any .npy, F-contiguous); the header, written again by :meth:`finish`, holds the final
    shape. ``rows`` is set by the first block.

    Parameters
    ----------
    file : binary file object
        Opened for writing (and reading, for :meth:`map_columns`), positioned at 0.
    dtype : np.dtype
        The array's dtype.
    """

    def __init__(self, file: Any, dtype: Any) -> None:
        self.file, self.dtype = file, np.dtype(dtype)
        self.rows: int | None = None
        self.columns = 0
        file.write(_npy_header(self.dtype, (0, 0)))

    def append(self, block: np.ndarray) -> None:
        """Write the columns of ``block`` ``(rows, k)`` after those written so far."""
        if self.rows is None:
            self.rows = block.shape[0]
        elif block.shape[0] != self.rows:
            raise ParameterError(f"a block of {block.shape[0]} rows after {self.rows}")
        self.file.write(np.ascontiguousarray(block.T, dtype=self.dtype).tobytes())
        self.columns += block.shape[1]

    def finish(self) -> tuple[int, int]:
        """Write the header of the final shape; returns that shape."""
        shape = (self.rows or 0, self.columns)
        end = self.file.tell()
        self.file.seek(0)
        self.file.write(_npy_header(self.dtype, shape))
        self.file.seek(end)
        return shape

    def map_columns(self, fn: Any, columns: int, *, write: bool = True) -> None:
        """Call ``fn(start, block)`` on blocks of at most ``columns`` columns of the array
        written, in order; with ``write``, store what it returns in their place."""
        rows, item = self.rows or 0, self.dtype.itemsize
        for start in range(0, self.columns, columns):
            k = min(columns, self.columns - start)
            self.file.seek(_HEADER_BYTES + start * rows * item)
            data = np.fromfile(self.file, dtype=self.dtype, count=k * rows).reshape(k, rows)
            out = fn(start, data.T)
            if write:
                self.file.seek(_HEADER_BYTES + start * rows * item)
                self.file.write(np.ascontiguousarray(out.T, dtype=self.dtype).tobytes())
        self.file.seek(0, 2)

    def write_rows(self, out: Any, offset: int) -> int:
        """Write the array in C order (row after row) to the file ``out`` from byte
        ``offset``, a block of columns at a time; returns the CRC-32 of those bytes."""
        rows, item = self.rows or 0, self.dtype.itemsize
        row_bytes = self.columns * item

        def scatter(start: int, block: np.ndarray) -> np.ndarray:
            for r in range(rows):  # (each row's segment of this block, in its place)
                out.seek(offset + r * row_bytes + start * item)
                out.write(np.ascontiguousarray(block[r]).tobytes())
            return block

        self.map_columns(scatter, PASS_COLUMNS, write=False)
        out.seek(offset)
        crc, left = 0, rows * row_bytes  # (read back in order: the rows were written apart)
        while left:
            chunk = out.read(min(left, 1 << 22))
            crc, left = zlib.crc32(chunk, crc), left - len(chunk)
        return crc

    def copy_npy(self, out: Any) -> None:
        """Copy the .npy file as written (Fortran order) to the file ``out``."""
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, 1 << 22)
        self.file.seek(0, 2)


#: Columns per block when a :class:`ColumnWriter`'s array is read back.
PASS_COLUMNS = 4096

_SAFETENSORS_DTYPES = {"float32": "F32", "float16": "F16", "float64": "F64"}


def save_columns(path: str, columns: ColumnWriter, *, fmt: str, name: str) -> None:
    """Write the array of a finished :class:`ColumnWriter` to ``path`` in the format
    ``fmt``, as :func:`save_array` would (the same values; the .npy and the .npz member
    in Fortran order), reading it a block of columns at a time: memory stays bounded
    whatever the array's size."""
    shape, dtype = (columns.rows or 0, columns.columns), columns.dtype
    with open(path, "r+b") as f:  # (the file as created, keeping its permissions)
        f.truncate()
        if fmt == ".npy":
            columns.copy_npy(f)
        elif fmt == ".npz":
            with (
                zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
                archive.open(f"{name}.npy", "w", force_zip64=True) as member,
            ):
                columns.copy_npy(member)
        elif fmt == ".safetensors":
            entry = {"dtype": _SAFETENSORS_DTYPES[dtype.name], "shape": list(shape)}
            entry["data_offsets"] = [0, shape[0] * shape[1] * dtype.itemsize]
            header = json.dumps({name: entry}, separators=(",", ":")).encode()
            header += b" " * (-len(header) % 8)  # (the format aligns the data to 8 bytes)
            f.write(len(header).to_bytes(8, "little") + header)
            columns.write_rows(f, 8 + len(header))
        elif fmt == ".pt":
            _save_tensor_rows(f, columns)
        else:
            raise ParameterError(f"{path}: unknown format {fmt!r}")


def _save_tensor_rows(f: Any, columns: ColumnWriter) -> None:
    """``torch.save`` of the array into the empty file ``f`` without holding it: the
    archive is written with its data skipped (``torch.serialization.skip_data``, from an
    untouched allocation), then the data is written in its place and its CRC-32 set."""
    import torch

    shape = (columns.rows or 0, columns.columns)
    dtype = getattr(torch, columns.dtype.name)
    if not shape[0] * shape[1]:
        torch.save(torch.empty(shape, dtype=dtype), f)
        return
    with torch.serialization.skip_data():
        torch.save(torch.empty(shape, dtype=dtype), f)  # (never read: no page is touched)
    f.seek(0)
    with zipfile.ZipFile(f) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data/0"))
        start_dir = archive.start_dir
    f.seek(info.header_offset + 6)
    flags = struct.unpack("<H", f.read(2))[0]
    f.seek(info.header_offset + 26)  # (the data follows the local header's name and extra)
    name_len, extra_len = struct.unpack("<HH", f.read(4))
    data = info.header_offset + 30 + name_len + extra_len
    crc = columns.write_rows(f, data)
    # The CRC is in the local header, or with flag 3 in the data descriptor after the data
    # (its signature optional), and in the central directory's entry.
    at = info.header_offset + 14
    if flags & 8:
        f.seek(data + info.file_size)
        at = data + info.file_size + (4 if f.read(4) == b"PK\x07\x08" else 0)
    f.seek(at)
    f.write(struct.pack("<I", crc))
    f.seek(start_dir)
    while True:
        entry = f.tell()
        fixed = f.read(46)
        if fixed[:4] != b"PK\x01\x02":
            raise ParameterError("torch.save wrote no central directory entry for the data")
        n, m, k = struct.unpack("<HHH", fixed[28:34])
        if f.read(n).decode() == info.filename:
            f.seek(entry + 16)
            f.write(struct.pack("<I", crc))
            break
        f.seek(m + k, 1)
    f.seek(0, 2)
