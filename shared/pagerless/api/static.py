"""Vendored browser assets (Swagger UI, ReDoc, htmx) served by Pagerless itself: no CDN, works offline.

Only the files of an explicit allow-list are served, from the package's own folders.
"""

from pathlib import Path

from fastapi.responses import Response

from pagerless.domain.errors import NotFoundError

_HERE = Path(__file__).resolve().parent
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}

DOCS_ASSETS = {
    name: _HERE / "docs_static" / name
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.svg")
}


def vendored_asset(assets: dict[str, Path], name: str) -> Response:
    """One file of ``assets``, cached by browsers for a day; anything else is a 404."""
    path = assets.get(name)
    if path is None or not path.is_file():
        raise NotFoundError(f"no asset {name}")
    return Response(
        path.read_bytes(),
        media_type=_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
