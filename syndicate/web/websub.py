"""The built-in WebSub hub's endpoint, ``/websub/hub`` (``[websub] builtin = true``).

``POST`` takes subscription and unsubscription requests (WebSub §5.1, form-encoded): a request
that can become a subscription is kept and answered ``202 Accepted`` at once, its intent
verified later by the hub's worker (:mod:`syndicate.publish.hub`); any other is answered with
its 4xx and the reason as plain text. Refused requests count as failures of the client's
address, like wrong tokens (:mod:`.auth`): a client that keeps sending bad ones is answered
``429`` for a while. ``GET`` says what the hub is. Without the built-in hub, 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from syndicate.config import HUB_PATH
from syndicate.errors import SubscriptionRefused
from syndicate.web import error_response, get_hub, get_settings
from syndicate.web.auth import client_address, limiter

bp = Blueprint("websub", __name__)
TEXT = "text/plain; charset=utf-8"


@bp.route(HUB_PATH, methods=["GET", "HEAD", "POST"])
def hub_endpoint() -> Response:
    hub = get_hub()
    if hub is None:
        return error_response(
            404, "Not found", "this site has no hub of its own ([websub] builtin is off)"
        )
    if request.method != "POST":
        site = get_settings().site
        return _text(
            200,
            f"The WebSub hub of {site.title} ({site.base_url}): POST hub.mode=subscribe or "
            "unsubscribe, hub.topic (a feed of this site), hub.callback, and optionally "
            "hub.lease_seconds and hub.secret (W3C WebSub section 5.1).\n",
        )
    address = client_address(request)
    wait = limiter().retry_after(address)
    if wait:
        answer = _text(429, "too many refused requests from this address; try again later\n")
        answer.headers["Retry-After"] = str(wait)
        return answer
    form = {key: request.form.get(key, "") for key in request.form}
    try:
        accepted = hub.accept(form)
    except SubscriptionRefused as exc:
        if exc.status != 503:
            limiter().failed(address)
        return _text(exc.status, f"{exc}\n")
    return _text(
        202,
        f"accepted: {accepted.mode} of {accepted.callback} to {accepted.topic}; the intent "
        "will be verified at the callback (WebSub section 5.3)\n",
    )


def _text(status: int, body: str) -> Response:
    answer = Response(body, status=status, content_type=TEXT)
    answer.headers["Cache-Control"] = "no-store"
    return answer
