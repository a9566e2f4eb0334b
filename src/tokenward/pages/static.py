"""The pages' static files, served by name from a fixed list (no path from the request reaches the disk)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.exceptions import HTTPException

router = APIRouter(prefix="/account/static", include_in_schema=False)
STATIC_FILES = {
    "pages.css": "text/css; charset=utf-8",
    "link-token.js": "text/javascript; charset=utf-8",
    "passkeys.js": "text/javascript; charset=utf-8",
}
_CONTENT = {name: files("tokenward.pages").joinpath("static", name).read_bytes() for name in STATIC_FILES}


@router.get("/{name}")
async def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(status_code=404)
    return Response(
        _CONTENT[name], media_type=STATIC_FILES[name], headers={"Cache-Control": "public, max-age=3600"}
    )
