"""The versioned web site: ``site/<version>/``, ``site/versions.json``, ``site/index.html``, and serving it."""

from __future__ import annotations

import functools
import html
import http.server
import json
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ketrev.errors import UsageError
from ketrev.publish import BuildLock, write_atomic

__all__ = ["DEV", "check_version", "publish_version", "redirect_page", "serve", "versions"]

DEV = "dev"


def _parse(name: str) -> Version | None:
    try:
        version = Version(name)
    except InvalidVersion:
        return None
    return version if version.local is None else None


def versions(site: Path) -> list[str]:
    """Released versions present under ``site``, newest first by PEP 440 (``dev`` not included)."""
    if not site.is_dir():
        return []
    found = [p.name for p in site.iterdir() if p.is_dir() and _parse(p.name) and (p / "index.html").exists()]
    return sorted(found, key=lambda name: _parse(name), reverse=True)  # type: ignore[arg-type, return-value]


def latest(released: list[str]) -> str | None:
    """The newest final release (pre-releases and dev releases are never 'latest')."""
    finals = [v for v in released if not _parse(v).is_prerelease]  # type: ignore[union-attr]
    return finals[0] if finals else None


def check_version(version: str, site: Path | None = None) -> str:
    """Return ``version`` if it is a public PEP 440 version that can name a release; else raise.

    With ``site``, a different spelling of a version already released (``1.1-rc1`` beside
    ``1.1rc1``) is refused too.
    """
    parsed = _parse(version)
    if parsed is None or "/" in version or version.startswith("."):
        raise UsageError(f"{version!r} is not a release version: use a PEP 440 version such as 1.0, 1.1rc1 or 2.0.post1")
    for other in versions(site) if site is not None else []:
        if other != version and _parse(other) == parsed:
            raise UsageError(f"{version!r} is the same version as the existing release {other!r}")
    return version


def publish_version(site: Path) -> None:
    """Rewrite ``versions.json`` (pydata-sphinx-theme switcher format) and ``index.html``.

    The newest final release is "latest" and preferred; pre-releases are listed as such.
    ``index.html`` points at the latest release, else the newest pre-release, else dev.
    """
    site.mkdir(parents=True, exist_ok=True)
    with BuildLock(site, report=lambda _: None):
        released = versions(site)
        newest = latest(released)
        entries = []
        for v in released:
            name = f"{v} (latest)" if v == newest else f"{v} (pre-release)" if _parse(v).is_prerelease else v  # type: ignore[union-attr]
            entries.append({"name": name, "version": v, "url": f"/{v}/", **({"preferred": True} if v == newest else {})})
        if (site / DEV / "index.html").exists():
            entries.append({"name": "dev (unreleased)", "version": DEV, "url": f"/{DEV}/"})
        write_atomic(site / "versions.json", json.dumps(entries, indent=1) + "\n")
        home = newest or (released[0] if released else DEV)
        write_atomic(site / "index.html", redirect_page(f"{home}/", f"Go to version {home}"))


def redirect_page(url: str, text: str) -> str:
    """A page that sends the browser to ``url`` (escaped here), with a link saying ``text``.

    Its icon is empty, so the browser requests none: not /favicon.ico, which does not
    exist, nor a file whose request the redirect would cut off.
    """
    url, text = html.escape(url), html.escape(text)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>ketrev</title>'
            f'<link rel="icon" href="data:,"><meta http-equiv="refresh" content="0; url={url}">'
            f'</head><body><p><a href="{url}">{text}</a></p></body></html>\n')


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the command prints its own line

    def send_head(self):  # type: ignore[no-untyped-def]
        try:
            return super().send_head()
        except ValueError:  # e.g. a NUL byte in the path: a bad request, not a crash
            self.send_error(400, "Bad request path")
            return None


def serve(site: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``site`` (and nothing outside it) over HTTP until interrupted."""
    if not (site / "versions.json").exists():
        raise UsageError(f"{site}: nothing to serve; run 'ketrev build' or 'ketrev release VERSION' first")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is a number from 0 to 65535 (0 picks a free one)")
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
