"""All-or-nothing file changes: each file is written to a temporary name and renamed into place, and
`rollback()` restores every file and folder as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class FileTransaction:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._created_files: list[Path] = []
        self._created_dirs: list[Path] = []
        self._originals: dict[Path, bytes] = {}

    def create(self, rel: str, text: str) -> Path:
        """Write a new file; refuses to overwrite one."""
        path = self.root / rel
        if path.exists():
            raise FileExistsError(rel)
        self._mkdirs(path.parent)
        self._created_files.append(path)
        _write_atomically(path, text)
        return path

    def replace(self, rel: str, text: str) -> Path:
        """Rewrite an existing file, keeping its bytes for a rollback."""
        path = self.root / rel
        if path not in self._originals:
            self._originals[path] = path.read_bytes()
        _write_atomically(path, text, like=path)
        return path

    def rollback(self) -> None:
        for path, data in self._originals.items():
            _write_atomically(path, data.decode("utf-8"), like=path)
        for path in reversed(self._created_files):
            path.unlink(missing_ok=True)
        for folder in reversed(self._created_dirs):
            with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
                folder.rmdir()
        self._created_files.clear()
        self._created_dirs.clear()
        self._originals.clear()

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for item in reversed(missing):
            item.mkdir()
            self._created_dirs.append(item)


def _write_atomically(path: Path, text: str, like: Path | None = None) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if like is not None and like.exists():
            os.chmod(tmp, like.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; these are ordinary project files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
