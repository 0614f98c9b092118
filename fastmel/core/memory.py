"""What the host can hold: a computation whose output cannot fit in the memory available is
refused before it starts, with its size, rather than failing (or swapping) part-way."""

from __future__ import annotations

import os

from fastmel.core.errors import ParameterError

__all__ = ["available_memory", "check_fits", "CHECK_FROM"]

#: Outputs smaller than this are not checked (reading the available memory costs a syscall).
CHECK_FROM = 1 << 28


def available_memory() -> int | None:
    """Bytes of memory available to new allocations without swapping (Linux's
    MemAvailable; the free physical pages elsewhere), or None where it cannot be read."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(nbytes: int, what: str) -> None:
    """Raise ParameterError, giving both sizes, if ``nbytes`` exceed the memory available."""
    if nbytes < CHECK_FROM:
        return
    available = available_memory()
    if available is not None and nbytes > available:
        raise ParameterError(
            f"{what} needs {nbytes / 2**30:.2f} GiB, more than the {available / 2**30:.2f} GiB "
            "of memory available: compute it in parts (a batch in smaller batches, a long "
            "signal in chunks through a MelStream)"
        )
