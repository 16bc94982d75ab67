"""RFC 9457 problem details: how the JSON API says what went wrong.

Every error of ``/api`` is ``application/problem+json`` with ``type``, ``title``, ``status``
and ``detail``; an error about one field of the request also names it, as ``field``
(``tags[2]``) and as a JSON Pointer into the request body (``pointer``, ``/tags/2``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"
_INDEX = re.compile(r"\[(\d+)\]")


def problem(
    status: int,
    detail: str,
    *,
    field: str = "",
    title: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
        body["pointer"] = pointer(field)
    body |= extra
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def pointer(field: str) -> str:
    """The JSON Pointer (RFC 6901) of a field path: ``attachments[0].url`` is
    ``/attachments/0/url``."""
    if field.startswith("("):
        return ""
    path = _INDEX.sub(r".\1", field)
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in path.split("."))
