"""What the built-in hub sends to subscribers' callbacks (W3C WebSub §5.2, §5.3, §7).

Each call here is one piece of work the hub's workers take from the store
(:mod:`syndicate.store.hub`), claimed first so that of all the workers of all processes
exactly one does it. Every call goes through the guarded fetcher, the one HTTP client: its
per-request deadline (``websub.timeout``), its address checks (callbacks on private,
loopback or link-local addresses are refused unless ``SYNDICATE_ALLOW_PRIVATE_NETWORKS=1``)
and its scheme checks.

- **Verification of intent** (§5.3): ``GET <callback>?hub.mode=...&hub.topic=...
  &hub.challenge=...&hub.lease_seconds=...``; the (un)subscription takes effect only when the
  callback answers 2xx with the challenge as its body. A callback that cannot be reached, or
  answers 5xx or 429, is tried again (:data:`VERIFY_ATTEMPTS` times in all); any other answer
  ends the request with nothing changed.
- **Denial** (§5.2): a request the hub refuses after answering 202 (its feed went away, the
  hub is full) is told so: ``GET <callback>?hub.mode=denied&hub.topic=...&hub.reason=...``.
- **Distribution** (§7): ``POST`` of the topic's whole new document, with its content type,
  ``Link: <topic>; rel="self", <hub>; rel="hub"`` and, when the subscription gave a secret,
  ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>``. A 2xx is a delivery; 410 Gone
  ends the subscription; anything else (another status, a timeout, no connection) is tried
  again after ``websub.retry_base`` seconds, doubled per failure up to ``websub.retry_max``
  (:func:`syndicate.backoff.backoff_seconds`), for ``websub.retry_for`` seconds (a day by
  default); then the subscription is ``failing``: it is sent each new change once, and is
  active again after its first success. An expired lease gets nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from syndicate.backoff import backoff_seconds
from syndicate.config import FetchSettings, Settings
from syndicate.errors import FetchError, UnknownFeed
from syndicate.publish import catalog
from syndicate.publish.subscribe import parse_topic
from syndicate.sources.fetch import Fetcher, StatusError
from syndicate.store import Store
from syndicate.store.hub import (
    FAILING,
    GONE,
    SUBSCRIBE,
    UNSUBSCRIBED,
    Document,
    Request,
    Subscription,
)

log = logging.getLogger(__name__)

VERIFY_ATTEMPTS = 3
ECHO_LIMIT = 64 * 1024  # bytes of a verification answer read: a challenge is 43 characters
SIGNATURE = "sha256"
DOCUMENTS_KEPT = 64  # topics whose newest bytes a worker keeps between deliveries


def now() -> datetime:
    """The hub's clock: to the microsecond (retries come tenths of a second apart in tests,
    and leases end when they end), unlike the feeds' whole seconds."""
    return datetime.now(UTC)


def hub_fetcher(settings: Settings) -> Fetcher:
    """The guarded fetcher of callbacks: ``websub.timeout`` per call, ``concurrency`` calls
    to one host at once (subscribers often share a host: one aggregator's many callbacks)."""
    websub = settings.websub
    return Fetcher(
        FetchSettings(
            connect_timeout=min(settings.fetch.connect_timeout, websub.timeout),
            total_timeout=websub.timeout,
            max_bytes=ECHO_LIMIT,
            max_redirects=settings.fetch.max_redirects,
            per_host=websub.concurrency,
            allow_private_networks=settings.fetch.allow_private_networks,
        )
    )


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value of ``body`` under ``secret`` (WebSub §8)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE}={digest}"


class Deliveries:
    """The hub's calls to callbacks, each recorded in the store."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        *,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.settings, self.store, self.fetcher, self.clock = settings, store, fetcher, clock
        self.hub_url = settings.websub.hub_url(settings.site.base_url)
        websub = settings.websub
        self.claim = timedelta(seconds=2 * websub.timeout + 5)  # a dead worker's claim ends
        self._documents: dict[str, Document] = {}  # the newest bytes of each topic, read once
        self._lock = threading.Lock()

    # -- verification of intent (§5.3) and denial (§5.2) -------------------------------------

    def verify(self, request_id: int) -> str:
        """Verify one request's intent and apply it; what happened."""
        now = self.clock()
        request = self.store.hub.claim_request(request_id, now=now, until=now + self.claim)
        if request is None:
            return "taken by another worker"
        if request.mode == SUBSCRIBE:
            refusal = self._refusal(request, now)
            if refusal:
                self.deny(request.topic, request.callback, refusal)
                self.store.hub.drop_request(request.id)
                return f"denied: {refusal}"
        elif not self.store.hub.is_live(request.topic, request.callback, now=now):
            self.store.hub.drop_request(request.id)
            return "nothing to unsubscribe"
        outcome = self._challenge(request)
        if outcome == "retry":
            wait = backoff_seconds(self.settings.websub.retry_base, request.attempts - 1, 3600)
            at = now + timedelta(seconds=wait)
            self.store.hub.retry_request(request.id, at=at)
            return f"callback unreachable; trying again at {at.isoformat()}"
        self.store.hub.drop_request(request.id)
        if outcome:
            return f"not verified: {outcome}"
        if request.mode == SUBSCRIBE:
            made = self.store.hub.subscribe(
                request, lease_seconds=request.lease_seconds, now=self.clock()
            )
            log.info("WebSub: %s subscribed to %s", made.callback, made.topic)
            return f"subscribed until {made.lease_end.isoformat()}"
        self.store.hub.end(request.topic, request.callback, UNSUBSCRIBED, now=self.clock())
        log.info("WebSub: %s unsubscribed from %s", request.callback, request.topic)
        return "unsubscribed"

    def _refusal(self, request: Request, now: datetime) -> str:
        """Why a subscription is refused now, "" when it is not."""
        parsed = parse_topic(request.topic, self.settings)
        try:
            if parsed is None:
                raise UnknownFeed(f"{request.topic} is not a feed of this site")
            catalog.resolve(parsed[0], self.store, self.settings)
        except UnknownFeed as exc:
            return f"the topic is gone: {exc}"
        limit = self.settings.websub.max_subscriptions
        renewal = self.store.hub.is_live(request.topic, request.callback, now=now)
        if not renewal and self.store.hub.live_count(now=now) >= limit:
            return f"this hub is full ({limit} subscriptions)"
        return ""

    def _challenge(self, request: Request) -> str:
        """ "" when the callback echoed a fresh challenge; "retry" to try again later; else why
        the intent was not verified."""
        challenge = secrets.token_urlsafe(32)
        query = {"hub.mode": request.mode, "hub.topic": request.topic, "hub.challenge": challenge}
        if request.mode == SUBSCRIBE:
            query["hub.lease_seconds"] = str(request.lease_seconds)
        try:
            answer = self.fetcher.get(_with_query(request.callback, query), source="callback")
        except StatusError as exc:
            if _transient(exc.status) and request.attempts < VERIFY_ATTEMPTS:
                return "retry"
            return f"the callback answered HTTP {exc.status}"
        except FetchError as exc:
            return "retry" if request.attempts < VERIFY_ATTEMPTS else exc.reason
        if answer.body.strip() != challenge.encode("ascii"):
            return "the callback did not echo hub.challenge"
        return ""

    def deny(self, topic: str, callback: str, reason: str) -> bool:
        """Tell a callback its subscription was refused (§5.2); whether it answered 2xx."""
        query = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": reason}
        try:
            self.fetcher.get(_with_query(callback, query), source="callback")
        except FetchError as exc:
            log.info("WebSub: the denial to %s was not taken: %s", callback, exc.reason)
            return False
        return True

    # -- distribution (§7) -------------------------------------------------------------------

    def deliver(self, subscription_id: int) -> str:
        """Send one subscription the document it is owed; what happened."""
        now = self.clock()
        held = self.store.hub.claim_delivery(subscription_id, now=now, until=now + self.claim)
        if held is None:
            return "nothing to send"
        subscription, seq = held
        document = self._document(subscription.topic, seq)
        if document is None:
            return "nothing to send"
        headers = {"Link": f'<{document.topic}>; rel="self", <{self.hub_url}>; rel="hub"'}
        if subscription.secret:
            headers["X-Hub-Signature"] = signature(subscription.secret, document.body)
        try:
            status = self.fetcher.post(
                subscription.callback,
                document.body,
                content_type=document.content_type,
                headers=headers,
                source="callback",
            )
            problem = "" if 200 <= status < 300 else f"HTTP {status}"
        except FetchError as exc:
            status, problem = 0, exc.reason
        if not problem:
            self.store.hub.delivered(subscription.id, document.seq, str(status), now=self.clock())
            return f"delivered ({status})"
        return self._failed(subscription, status, problem)

    def _document(self, topic: str, seq: int) -> Document | None:
        """The topic's document at ``seq`` or later, read once for all its subscribers."""
        with self._lock:
            found = self._documents.get(topic)
        if found is None or found.seq < seq:
            found = self.store.hub.document(topic)
            if found is not None:
                with self._lock:
                    if len(self._documents) >= DOCUMENTS_KEPT:
                        self._documents.clear()
                    self._documents[topic] = found
        return found

    def _failed(self, subscription: Subscription, status: int, problem: str) -> str:
        now = self.clock()
        hub = self.store.hub
        if status == 410:
            hub.failed(subscription.id, problem, now=now, retry_at=None, state=GONE)
            log.info("WebSub: %s is gone (410); subscription ended", subscription.callback)
            return "gone: subscription ended"
        websub = self.settings.websub
        if subscription.state == FAILING:  # one try per change until it answers again
            hub.failed(subscription.id, problem, now=now, retry_at=None)
            return f"failed ({problem}); failing, not retried"
        since = subscription.failing_since or now
        give_up = since + timedelta(seconds=websub.retry_for)
        if now >= give_up:
            hub.failed(subscription.id, problem, now=now, retry_at=None, state=FAILING)
            log.warning(
                "WebSub: deliveries to %s have failed since %s (%s); marked failing",
                subscription.callback,
                since.isoformat(),
                problem,
            )
            return f"failed ({problem}); marked failing"
        wait = backoff_seconds(websub.retry_base, subscription.failures, websub.retry_max)
        retry_at = min(now + timedelta(seconds=wait), give_up)
        hub.failed(subscription.id, problem, now=now, retry_at=retry_at)
        return f"failed ({problem}); retrying at {retry_at.isoformat()}"


def _transient(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def _with_query(url: str, query: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
