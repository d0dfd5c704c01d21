"""Where photo bytes live: a small interface, a directory implementation, and the key layout.

Keys are relative, slash-separated names such as ``original/ab/abcdef…`` (no extension: the
original keeps its bytes exactly, its type is in the database), ``display/ab/abcdef….jpg`` and
``thumb/ab/abcdef….jpg``. The two-character fan-out keeps directories small. Content addressing by
SHA-256 makes writes idempotent: the same photo uploaded twice is stored once.

An S3-compatible implementation can satisfy the same protocol (``get_path`` returns None there,
and callers fall back to ``open``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Each segment: letters, digits, "_", "-", "." but never starting with "." (no "..", no hidden
# names, no clash with our ".tmp-" files); no empty segments, no backslashes, no absolute paths.
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,127}$")
_TMP_PREFIX = ".tmp-"
MAX_KEY_LENGTH = 512


class InvalidKey(ValueError):
    """A storage key that could name something outside the storage root."""


@runtime_checkable
class PhotoStorage(Protocol):
    def put(self, key: str, data: bytes | Path) -> None:
        """Store bytes (or a file's content) under key, replacing any previous value atomically."""

    def get_path(self, key: str) -> Path | None:
        """A local file path for serving the object directly, or None (missing / not local)."""

    def open(self, key: str) -> bytes:
        """The stored bytes; raises FileNotFoundError if the key does not exist."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    def keys(self) -> Iterator[str]:
        """Every stored key (in a stable order)."""


def check_key(key: str) -> str:
    """Return key if it is a safe relative name; raise InvalidKey otherwise."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey("storage key must be a non-empty string")
    if "\\" in key or "\x00" in key or key.startswith("/") or ".." in key:
        raise InvalidKey(f"unsafe storage key: {key!r}")
    if not all(_SEGMENT_RE.match(segment) for segment in key.split("/")):
        raise InvalidKey(f"unsafe storage key: {key!r}")
    return key


def photo_keys(sha256: str) -> dict[str, str]:
    """The storage keys of a photo's original and derivatives."""
    if not _SHA256_RE.match(sha256):
        raise InvalidKey("sha256 must be 64 lowercase hex digits")
    fan = sha256[:2]
    return {
        "original": f"original/{fan}/{sha256}",
        "display": f"display/{fan}/{sha256}.jpg",
        "thumb": f"thumb/{fan}/{sha256}.jpg",
    }


class DirectoryStorage:
    """Objects as files under one root directory. Writes go to a temporary file in the target
    directory, are flushed to disk, then renamed over the target (os.replace), so a reader sees
    the old object or the new one, never a partial file, even if the process dies mid-write."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.fsync = fsync

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key).split("/"))
        if not path.resolve().is_relative_to(self.root):  # a symlink pointing out of root
            raise InvalidKey(f"storage key leaves the root: {key!r}")
        return path

    def put(self, key: str, data: bytes | Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, Path):
                    with data.open("rb") as src:
                        shutil.copyfileobj(src, out, 1024 * 1024)
                else:
                    out.write(data)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; the web server may serve these
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        if self.fsync:
            self._fsync_dir(target.parent)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            return  # not supported on this filesystem
        finally:
            os.close(fd)

    def get_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = Path(dirpath).relative_to(self.root)
            for name in sorted(filenames):
                if name.startswith("."):  # temporary files of writes in progress
                    continue
                yield (rel / name).as_posix()
