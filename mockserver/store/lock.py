"""One server per SQLite file: an exclusive OS lock on ``PATH.lock``, held while the store is open.

Two servers on one file would each run their own push scheduler over the same rows (numbering
pushes from their own counters, delivering the same due push twice), so the second is refused.
The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows): it goes
when its holder does, however that ends (crash, ``kill -9``), so no lock is ever stale and no
heartbeat or clock is involved. The file holds who holds it (pid, host, since) for the message
given to the next one; it is left in place on release, as deleting it would let two servers
lock two different files of the same name.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import datetime, timezone
from typing import Optional

__all__ = ["FileLock", "LockedError"]


class LockedError(OSError):
    """The lock is held by another process (or another store of this one); ``holder`` says who."""

    def __init__(self, path: str, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path = path
        self.holder = holder


class FileLock:
    """An exclusive, non-blocking lock on ``path`` (created if missing).

    Raises:
        LockedError: if someone else holds it.
        OSError: if the file cannot be created or opened.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: Optional[int] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(self._fd)
        except OSError:
            holder = _holder(self._fd)
            os.close(self._fd)
            self._fd = None
            raise LockedError(path, holder) from None
        since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": since}
        text = (json.dumps(record) + "\n").encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, text)
        os.ftruncate(self._fd, len(text))

    def release(self) -> None:
        """Give the lock up (safe to call twice)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        record = json.loads(os.read(fd, 4096).decode("utf-8"))
        return (
            f"pid {int(record['pid'])} on host {str(record['host'])[:100]} since {str(record['since'])[:40]}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (its details are unreadable)"


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
