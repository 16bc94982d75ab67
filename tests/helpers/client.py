"""An HTTP client for the JSON API and Micropub tests: real requests over 127.0.0.1."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    payload: Any = None,
    form: dict[str, Any] | list[tuple[str, str]] | None = None,
    raw: bytes | None = None,
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request on a fresh connection: JSON (``payload``), a form, or raw bytes."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    body: bytes | None = raw
    if payload is not None:
        body, sent["Content-Type"] = json.dumps(payload).encode(), "application/json"
    elif form is not None:
        body = urlencode(form, doseq=True).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    if content_type:
        sent["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()
