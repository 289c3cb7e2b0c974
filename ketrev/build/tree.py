"""Trees of files as a build sees them: read, digested, written back, and the build's inputs.

The lowest layer of the build: a tree is a ``{relative path: bytes}`` mapping, named by the
digest of what it holds. :func:`snapshot` copies the data folder (regular files inside it
only, see :mod:`ketrev.files`) and the notebooks into the build's own inputs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from ketrev import __version__
from ketrev.build.paths import Layout
from ketrev.build.publish import write_atomic
from ketrev.errors import DataError, UsageError
from ketrev.files import data_files, read_data_file

__all__ = ["LOADED_CODE", "Inputs", "code_fingerprint", "digest", "read_tree", "snapshot", "sync_tree"]

#: Packages whose versions are part of every notebook's key (an upgrade re-executes).
_ENVIRONMENT = ("ipykernel", "ipython", "itables", "matplotlib", "numpy", "pandas", "papermill", "scipy", "seaborn",
                "statsmodels")


@dataclass(frozen=True)
class Inputs:
    """The snapshot a build reads: ``data`` and ``notebooks`` folders side by side, and the
    digest of the data as copied."""

    data: Path
    notebooks: Path
    data_digest: str


def digest(files: dict[str, bytes]) -> str:
    """sha256 over relative paths and contents: names a set of files by what they hold."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n".encode())
    return h.hexdigest()


def read_tree(folder: Path, pattern: str = "**/*") -> dict[str, bytes]:
    """Every regular file under ``folder`` matching ``pattern``, by path relative to it (the
    project's own trees: pages, results; a data folder is read by :func:`snapshot`)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob(pattern))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def sync_tree(files: dict[str, bytes], root: Path, *, keep: tuple[str, ...] = ()) -> set[str]:
    """Make ``root`` hold exactly ``files``, rewriting only what differs (mtimes of the rest stay).

    Top-level entries named in ``keep`` are left alone. Returns the relative paths written
    or removed.
    """
    root.mkdir(parents=True, exist_ok=True)
    changed = set()
    for rel, content in files.items():
        path = root / rel
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, content)
        changed.add(rel)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root)
        if rel.parts[0] in keep:
            continue
        if path.is_file() and rel.as_posix() not in files:
            path.unlink()
            changed.add(rel.as_posix())
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def snapshot(layout: Layout, inclusion: str) -> Inputs:
    """Copy ``data/`` and ``notebooks/*.ipynb`` into ``build/<set>/inputs`` (only what changed).

    Every entry of the data folder must be a regular file inside it; anything else stops
    the build before a file is copied (:class:`DataError`, one line per entry). A copy is
    never more readable than its original (group and others at most read).
    """
    if not layout.data.is_dir():
        raise UsageError(f"{layout.data}: no such data folder")
    found, problems = data_files(layout.data)
    if problems:
        raise DataError(problems)
    data = {rel: read_data_file(path, layout.data, str(path)) for rel, path in found.items()}
    files = {f"data/{rel}": content for rel, content in data.items()}
    files |= {f"notebooks/{rel}": content for rel, content in read_tree(layout.notebooks, "*.ipynb").items()}
    root = layout.inputs(inclusion)
    sync_tree(files, root)
    for rel, path in found.items():
        mode = os.stat(path).st_mode & 0o644
        copy = root / "data" / rel
        if copy.stat().st_mode & 0o777 != mode:
            copy.chmod(mode)
    return Inputs(root / "data", root / "notebooks", digest(data))


def code_fingerprint() -> str:
    """sha256 over ketrev's own source files (library and build) and the versions of the stack."""
    h = hashlib.sha256(f"{__version__}\n".encode())
    package = Path(str(resources.files("ketrev")))
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yml", ".csv") and "__pycache__" not in path.parts:
            h.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    for dist in _ENVIRONMENT:
        try:
            h.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=-\n".encode())
    return h.hexdigest()


#: The code this process imported (computed when the build is first imported).
LOADED_CODE = code_fingerprint()
