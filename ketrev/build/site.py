"""The versioned web site: ``site/<version>/``, ``site/versions.json``, ``site/index.html``, and serving it."""

from __future__ import annotations

import contextlib
import html
import http.server
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.version import InvalidVersion, Version

from ketrev.build.publish import BuildLock, write_atomic
from ketrev.errors import UsageError

__all__ = ["DEV", "VERSION", "check_version", "publish_version", "redirect_page", "releasing", "serve", "versions"]

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


#: A release version: a public PEP 440 version in its normal form (``1.0``, ``1.1rc1``, ``2.0.post1``);
#: no spaces, no control characters, no path separators.
VERSION = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?"
                     r"(\.dev(0|[1-9][0-9]*))?")


def check_version(version: str, site: Path | None = None) -> str:
    """Return ``version`` if it can name a release (:data:`VERSION`); else raise.

    With ``site``, a different spelling of a version already released (``1.1.0`` beside
    ``1.1``) is refused too.
    """
    if not VERSION.fullmatch(version):
        raise UsageError(f"{version!r} is not a release version: use a PEP 440 version in normal form such as 1.0, "
                         "1.1rc1 or 2.0.post1")
    parsed = _parse(version)
    for other in versions(site) if site is not None else []:
        if other != version and _parse(other) == parsed:
            raise UsageError(f"{version!r} is the same version as the existing release {other!r}")
    return version


@contextlib.contextmanager
def releasing(site: Path, version: str, *, force: bool, report: Callable[[str], None] = print) -> Iterator[Path]:
    """Hold the release of ``version`` for the length of a ``with`` block and give its folder.

    The check that the version does not exist yet and the writing of it happen under one
    lock per version: of two concurrent releases of the same version, exactly one builds;
    the other waits, then says the version exists (unless ``force``).
    """
    site.mkdir(parents=True, exist_ok=True)
    with BuildLock(site, report, name=f".release-{version}.lock"):
        check_version(version, site)
        target = site / version
        if target.exists() and not force:
            raise UsageError(f"{target} exists; use --force to replace release {version}")
        yield target


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
    """Serves regular files under the site folder only: links are resolved first and must stay in
    it; no directory listing (a folder serves its index.html or nothing); no hidden file; a
    client that goes away is one line on the console, not a traceback."""

    def __init__(self, *args: object, site: str, **kwargs: object) -> None:
        self.site = site
        super().__init__(*args, directory=site, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the command prints its own line

    def _resolve(self) -> tuple[str, bool] | None:
        """The real path of the requested file and whether a folder was asked for; None when it may not be served."""
        try:
            parts = [p for p in unquote(urlsplit(self.path).path).split("/") if p]
        except ValueError:
            return None
        if any(p.startswith(".") or "\0" in p or "\\" in p for p in parts):
            return None
        real = os.path.realpath(os.path.join(self.site, *parts))
        if real != self.site and not real.startswith(self.site + os.sep):
            return None
        folder = os.path.isdir(real)
        if folder:
            real = os.path.join(real, "index.html")
        return (real, folder) if os.path.isfile(real) and not os.path.islink(real) else None

    def send_head(self):  # type: ignore[no-untyped-def]
        if "\0" in unquote(urlsplit(self.path).path):
            self.send_error(400, "Bad request path")
            return None
        found = self._resolve()
        if found is None:
            self.send_error(404, "Not found")
            return None
        real, folder = found
        path = urlsplit(self.path).path
        if folder and not path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.end_headers()
            return None
        try:
            handle = open(real, "rb")  # noqa: SIM115 - handed to the server, which closes it
        except OSError:
            self.send_error(404, "Not found")
            return None
        self.send_response(200)
        self.send_header("Content-type", self.guess_type(real))
        self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
        self.end_headers()
        return handle

    def list_directory(self, path):  # type: ignore[no-untyped-def]
        self.send_error(404, "Not found")
        return None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: tuple) -> None:
        kind = sys.exc_info()[0]
        name = kind.__name__ if kind else "error"
        print(f"ketrev serve: {client_address[0]}: connection ended early ({name})", file=sys.stderr, flush=True)


def serve(site: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``site`` (and nothing outside it) over HTTP until interrupted."""
    if not (site / "versions.json").exists():
        raise UsageError(f"{site}: nothing to serve; run 'ketrev build' or 'ketrev release VERSION' first")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is a number from 0 to 65535 (0 picks a free one)")
    root = os.path.realpath(site)

    def handler(*args: object) -> _Handler:
        return _Handler(*args, site=root)

    try:
        server = _Server((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot serve on {host}:{port} ({exc.strerror})") from None
    print(f"Serving {site} at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
