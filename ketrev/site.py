"""The versioned web site: ``site/<version>/``, ``site/versions.json``, ``site/index.html``, and serving it."""

from __future__ import annotations

import functools
import http.server
import json
import re
from pathlib import Path

from ketrev.errors import UsageError

__all__ = ["publish_version", "serve", "versions"]

VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
DEV = "dev"


def _sort_key(version: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.-]", version))


def versions(site: Path) -> list[str]:
    """Released versions present under ``site``, newest first (``dev`` not included)."""
    found = [p.name for p in site.iterdir() if p.is_dir() and p.name != DEV and (p / "index.html").exists()] \
        if site.exists() else []
    return sorted(found, key=_sort_key, reverse=True)


def check_version(version: str) -> str:
    """Return ``version`` if it can name a folder of the site; else raise a usage error."""
    if not VERSION_PATTERN.fullmatch(version) or version == DEV or ".." in version:
        raise UsageError(f"{version!r} is not a release version: use letters, digits, '.', '-' and '_' (not 'dev')")
    return version


def publish_version(site: Path) -> None:
    """Rewrite ``versions.json`` (pydata-sphinx-theme switcher format) and ``index.html``."""
    released = versions(site)
    entries = [{"name": f"{v} (latest)" if i == 0 else v, "version": v, "url": f"/{v}/",
                **({"preferred": True} if i == 0 else {})} for i, v in enumerate(released)]
    if (site / DEV / "index.html").exists():
        entries.append({"name": "dev (unreleased)", "version": DEV, "url": f"/{DEV}/"})
    (site / "versions.json").write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    newest = released[0] if released else DEV
    (site / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>ketrev</title>'
        f'<meta http-equiv="refresh" content="0; url={newest}/"></head>'
        f'<body><p><a href="{newest}/">Go to version {newest}</a></p></body></html>\n', encoding="utf-8")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the command prints its own line


def serve(site: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``site`` (and nothing outside it) over HTTP until interrupted."""
    if not (site / "versions.json").exists():
        raise UsageError(f"{site}: nothing to serve; run 'ketrev build' or 'ketrev release VERSION' first")
    handler = functools.partial(_Handler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot serve on {host}:{port} ({exc.strerror})") from None
    print(f"Serving {site} at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
