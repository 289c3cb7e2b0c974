"""A small Sphinx extension for the book: each script once on a page.

sphinx-thebe (loaded by Jupyter Book even with Thebe off) registers its configuration
script twice, which makes every page throw "Identifier 'THEBE_JS_URL' has already been
declared". The book's pages keep the first copy of any repeated script.
"""

from __future__ import annotations

from typing import Any

__all__ = ["setup"]


def _once(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the same script is registered once with filename None and once with "": compare what it loads or runs
        key = (getattr(script, "filename", None) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _once, priority=1)  # first: a later handler may end the event
    return {"parallel_read_safe": True, "parallel_write_safe": True}
