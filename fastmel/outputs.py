"""Writing a command's output files so that no failure can destroy data.

Every output is checked before any work (:func:`check_outputs`): it must not be one of the
inputs, nor two outputs one file, and an existing output must be a regular file (never a
directory, FIFO, device or socket) with no other hard link. :class:`Outputs` then writes
each to a temporary file beside it and renames them all into place only when every one was
written: a failure, an exception or a signal turned into one (:func:`exit_on_signals`)
leaves no partial file. An
overwritten file keeps its permissions; new files get the process's umask, which is never
changed (changing it is process-wide, and not thread-safe).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
from collections.abc import Iterable, Iterator
from types import TracebackType

__all__ = ["OutputError", "Outputs", "check_outputs", "exit_on_signals"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class OutputError(Exception):
    """An output that cannot be written safely; the message names the file."""


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # (either is absent or unreadable: not one file)
        return False


def check_outputs(outputs: Iterable[str], inputs: Iterable[str] = ()) -> None:
    """Raise OutputError, naming the file, for an output that is an input, a second name for
    another output, or an existing file that is not a regular one."""
    outputs, inputs = list(outputs), list(inputs)
    for i, path in enumerate(outputs):
        for source in inputs:
            if os.path.abspath(path) == os.path.abspath(source) or _same(path, source):
                raise OutputError(f"{path}: is the input {source}; choose another output path")
        for other in outputs[:i]:
            if os.path.abspath(path) == os.path.abspath(other) or _same(path, other):
                raise OutputError(f"{path}: given for two outputs; choose another path")
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as e:  # (a symlink loop, a path through a file, no permission)
            raise OutputError(f"{path}: cannot write ({e.strerror})") from None
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise OutputError(f"{path}: exists and is {kind}, not a regular file")
        if info.st_nlink > 1:  # (a rename would leave the other names on the old content)
            raise OutputError(
                f"{path}: has {info.st_nlink} hard links, which replacing it would break; "
                "remove it first or choose another path"
            )


def _temporary(path: str, mode: int) -> str:
    """A new file beside ``path`` created with ``mode`` (less the umask, by the kernel)."""
    directory = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1]
    while True:
        tmp = os.path.join(directory, f".fastmel-{secrets.token_hex(6)}{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            return tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputError(f"{path}: cannot write ({e.strerror})") from None


class Outputs:
    """Write several output files all or none (a context manager).

    ``tmp = outputs.path(target)`` gives the temporary path to write ``target``'s content
    to; on a clean exit every temporary file is renamed onto its target (keeping an
    existing target's permissions), on any exception every one is removed.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, str, int | None]] = []  # (tmp, target, mode to keep)

    def path(self, target: str) -> str:
        """A temporary path for ``target``, in its directory."""
        try:
            keep: int | None = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            keep = None
        except OSError as e:
            raise OutputError(f"{target}: cannot write ({e.strerror})") from None
        tmp = _temporary(target, 0o600 if keep is not None else 0o666)
        self._pending.append((tmp, target, keep))
        return tmp

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                for tmp, _, keep in self._pending:
                    if keep is not None:
                        os.chmod(tmp, keep)
                for tmp, target, _ in self._pending:
                    os.replace(tmp, target)
        finally:
            for tmp, _, _ in self._pending:  # (after a commit, none is left)
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


class _Signalled(SystemExit):
    pass


@contextlib.contextmanager
def exit_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit (status 128 + signal) while the block runs, so
    that cleanups run as for any exception (in the main thread; elsewhere a no-op)."""

    def handler(signum: int, frame: object) -> None:
        raise _Signalled(128 + signum)

    previous = {}
    with contextlib.suppress(ValueError):  # (signals are set in the main thread only)
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                number = getattr(signal, name)
                previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
