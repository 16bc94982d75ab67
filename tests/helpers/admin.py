"""Signing in to the admin with the Flask test client: the login form's CSRF token, then the
session cookie the client keeps."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1).decode()


def signed_in(client: FlaskClient, secret: str) -> FlaskClient:
    """``client`` signed in with an admin token."""
    token = csrf_of(client.get("/admin/login").data)
    answer = client.post("/admin/login", data={"token": secret, "csrf_token": token})
    assert answer.status_code == 303, answer.data[:500]
    return client
