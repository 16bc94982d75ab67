"""The built-in WebSub hub over real HTTP, with loopback subscribers: subscription requests
(§5.1), verification of intent (§5.3), denials (§5.2), signed distribution (§7), retries,
410, lease expiry and unsubscription, 200 subscribers at once, and the subscriptions command."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner
from helpers.articles import article
from helpers.live import Site, serve
from helpers.processes import wait_for
from helpers.subscriber import Subscribers

from syndicate.cli import cli
from syndicate.config import Settings
from syndicate.publish.hub import Hub
from syndicate.store import Store
from syndicate.store.hub import ACTIVE, EXPIRED, FAILING, GONE, UNSUBSCRIBED
from syndicate.web import HUB_KEY, change_hook


def hub_settings(settings: Settings, **websub: Any) -> Settings:
    """The built-in hub on, loopback callbacks allowed, retries in tenths of a second."""
    fast = {"timeout": 2.0, "retry_base": 0.05, "retry_max": 0.2, "retry_for": 30.0} | websub
    return replace(
        settings,
        fetch=replace(settings.fetch, allow_private_networks=True),
        websub=replace(settings.websub, builtin=True, **fast),
    )


@contextmanager
def hub_site(settings: Settings, store: Store, **websub: Any) -> Iterator[tuple[Site, Hub]]:
    store.upsert_many(article(n) for n in range(1, 7))
    with serve(hub_settings(settings, **websub), store) as live:
        hub: Hub = live.app.extensions[HUB_KEY]
        hub.start()
        try:
            yield live, hub
        finally:
            hub.stop()


@pytest.fixture
def subscribers() -> Iterator[Subscribers]:
    with Subscribers() as running:
        yield running


def subscribe(live: Site, callback: str, topic: str = "/feeds/all.rss", **extra: str) -> int:
    form = {"hub.mode": "subscribe", "hub.callback": callback}
    form["hub.topic"] = topic if topic.startswith("http") else live.settings.site.base_url + topic
    reply = live.post("/websub/hub", form | {f"hub.{k}": v for k, v in extra.items()})
    return reply.status


def write(live: Site, store: Store, n: int, title: str) -> None:
    """Change article ``n`` as a writer of this process does (the scheduler, the API)."""
    changed = replace(article(n), title=title, content_hash=f"hash-{n}-{title}")
    store.upsert(changed)
    change_hook(live.app)("test", [changed])


def states(store: Store) -> dict[str, str]:
    return {s.callback.rsplit("/", 1)[1]: s.state for s in store.hub.subscriptions()}


# -- subscribing: §5.1 and the verification of intent, §5.3 -------------------------------------


def test_subscription_is_verified_then_active_with_the_lease_asked(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    callback = subscribers.add("reader")
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, callback, lease_seconds="3600") == 202
        assert hub.drain(10)
        [asked] = subscribers["reader"].verifications
        assert asked["hub.mode"] == "subscribe"
        assert asked["hub.topic"] == f"{live.settings.site.base_url}/feeds/all.rss"
        assert asked["hub.lease_seconds"] == "3600"
        assert len(asked["hub.challenge"]) >= 32
        [made] = store.hub.subscriptions()
        assert (made.state, made.lease_seconds, made.callback) == (ACTIVE, 3600, callback)


def test_leases_default_to_ten_days_and_are_capped_at_thirty(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("plain")) == 202
        assert subscribe(live, subscribers.add("greedy"), lease_seconds=str(10**9)) == 202
        assert hub.drain(10)
    leases = {s.callback.rsplit("/", 1)[1]: s.lease_seconds for s in store.hub.subscriptions()}
    assert leases == {"plain": 10 * 86400, "greedy": 30 * 86400}
    assert subscribers["greedy"].verifications[0]["hub.lease_seconds"] == str(30 * 86400)


@pytest.mark.parametrize(
    ("script", "why"),
    [({"echo": False}, "no echo"), ({"verify_status": 404}, "refused")],
)
def test_a_callback_that_does_not_confirm_gets_no_subscription(
    settings: Settings, store: Store, subscribers: Subscribers, script: dict[str, Any], why: str
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("stranger", **script)) == 202
        assert hub.drain(10)
        assert len(subscribers["stranger"].verifications) == 1, why
        assert store.hub.subscriptions() == []
        write(live, store, 2, "Nobody hears this")
        assert hub.drain(10)
    assert subscribers["stranger"].deliveries == []


@pytest.mark.parametrize(
    ("form", "status", "reason"),
    [
        ({"hub.topic": "https://elsewhere.example/feed.xml"}, 404, "is not a feed of this site"),
        ({"hub.topic": "{base}/feeds/all/archive/1.rss"}, 404, "is not a feed of this site"),
        ({"hub.topic": "{base}/feeds/all.rss?limit=5"}, 404, "is not a feed of this site"),
        ({"hub.topic": "{base}/feeds/no-such-category.rss"}, 404, "no feed named"),
        ({"hub.topic": ""}, 400, "hub.topic is missing"),
        ({"hub.mode": "publish"}, 400, "publishes this site's own feeds"),
        ({"hub.mode": "watch"}, 400, "subscribe or unsubscribe"),
        ({"hub.callback": "ftp://cb.example/x"}, 400, "not an absolute http(s) URL"),
        ({"hub.callback": "https://cb.example/x#frag"}, 400, "fragment"),
        ({"hub.lease_seconds": "-5"}, 400, "hub.lease_seconds"),
        ({"hub.secret": "s" * 200}, 400, "less than 200 bytes"),
    ],
)
def test_requests_that_cannot_be_subscriptions_are_refused_with_a_reason(
    settings: Settings, store: Store, form: dict[str, str], status: int, reason: str
) -> None:
    with hub_site(settings, store) as (live, hub):
        base = live.settings.site.base_url
        request = {
            "hub.mode": "subscribe",
            "hub.callback": "https://cb.example/x",
            "hub.topic": f"{base}/feeds/all.rss",
        } | {k: v.format(base=base) for k, v in form.items()}
        reply = live.post("/websub/hub", request)
        assert (reply.status, reason in reply.body.decode()) == (status, True), reply.body
        assert store.hub.waiting_requests() == 0


def test_without_private_networks_loopback_callbacks_and_plain_http_secrets_are_refused(
    settings: Settings, store: Store
) -> None:
    store.upsert(article(1))
    strict = replace(settings, websub=replace(settings.websub, builtin=True))
    with serve(strict, store) as live:
        topic = f"{live.settings.site.base_url}/feeds/all.rss"
        loopback = live.post(
            "/websub/hub",
            {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": "http://127.0.0.1/cb"},
        )
        assert loopback.status == 403 and b"loopback" in loopback.body
        secret = live.post(
            "/websub/hub",
            {
                "hub.mode": "subscribe",
                "hub.topic": topic,
                "hub.callback": "http://cb.example/x",
                "hub.secret": "s3cret",
            },
        )
        assert secret.status == 400 and b"https callback" in secret.body
        https = live.post(
            "/websub/hub",
            {
                "hub.mode": "subscribe",
                "hub.topic": topic,
                "hub.callback": "https://cb.example/x",
                "hub.secret": "s3cret",
            },
        )
        assert https.status == 202


def test_a_full_hub_sends_a_denial(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store, max_subscriptions=1) as (live, hub):
        assert subscribe(live, subscribers.add("first")) == 202
        assert hub.drain(10)
        assert subscribe(live, subscribers.add("second")) == 202
        assert hub.drain(10)
    [denial] = subscribers["second"].denials
    assert denial["hub.mode"] == "denied" and "full" in denial["hub.reason"]
    assert denial["hub.topic"].endswith("/feeds/all.rss")
    assert subscribers["second"].verifications == []
    assert states(store) == {"first": ACTIVE}


def test_feeds_name_the_built_in_hub_beside_the_configured_ones(
    settings: Settings, store: Store
) -> None:
    external = "https://hub.example/"
    with hub_site(replace(settings, websub=replace(settings.websub, hubs=(external,))), store) as (
        live,
        _hub,
    ):
        own = f"{live.settings.site.base_url}/websub/hub"
        for fmt in ("rss", "atom"):
            reply = live.get(f"/feeds/news.{fmt}")
            assert f'<{own}>; rel="hub"' in reply.headers["link"]
            assert f'<{external}>; rel="hub"' in reply.headers["link"]
            hubs = [x["href"] for x in feedparser.parse(reply.body).feed.links if x.rel == "hub"]
            assert hubs == [external, own]
        assert b'"hubs":[{"type":"WebSub","url":"https://hub.example/"},{"type":"WebSub"' in (
            live.get("/feeds/news.json").body
        )


# -- distribution: §7 --------------------------------------------------------------------------


def test_a_change_is_posted_whole_signed_with_its_type_and_links(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    secret = "a secret of the subscriber"
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("signed"), "/feeds/news.atom", secret=secret) == 202
        assert subscribe(live, subscribers.add("plain"), "/feeds/news.atom") == 202
        assert subscribe(live, subscribers.add("other"), "/feeds/sports.rss") == 202
        assert hub.drain(10)
        write(live, store, 3, "Harbour reopens")  # article 3 is in News
        assert hub.drain(10)
        current = live.get("/feeds/news.atom")
    [signed] = subscribers["signed"].deliveries
    [plain] = subscribers["plain"].deliveries
    assert subscribers["other"].deliveries == []  # sports did not change
    assert signed.body == plain.body == current.body
    assert b"Harbour reopens" in signed.body
    assert signed.headers["content-type"] == current.headers["content-type"]
    topic = f"{live.settings.site.base_url}/feeds/news.atom"
    hub_url = f"{live.settings.site.base_url}/websub/hub"
    assert signed.headers["link"] == f'<{topic}>; rel="self", <{hub_url}>; rel="hub"'
    expected = hmac.new(secret.encode(), signed.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed.headers["x-hub-signature"], f"sha256={expected}")
    assert "x-hub-signature" not in plain.headers
    [made] = [s for s in store.hub.subscriptions() if s.callback.endswith("/signed")]
    assert made.last_delivery is not None and made.failures == 0


def test_an_unchanged_feed_is_not_sent_again(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("reader")) == 202
        assert hub.drain(10)
        write(live, store, 2, "Once")
        assert hub.drain(10)
        change_hook(live.app)("test", [store.get(article(2).id)])  # the same bytes again
        assert hub.drain(10)
    assert len(subscribers["reader"].deliveries) == 1


def test_failed_deliveries_are_retried_with_backoff_until_they_succeed(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    callback = subscribers.add("flaky", statuses=[503, 500, 204])
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, callback) == 202
        assert hub.drain(10)
        write(live, store, 2, "Third time lucky")
        wait_for(lambda: len(subscribers["flaky"].deliveries) == 3, 10)
        assert hub.drain(10)
    sent = subscribers["flaky"].deliveries
    assert len({d.body for d in sent}) == 1 and b"Third time lucky" in sent[0].body
    gaps = [later.at - earlier.at for earlier, later in zip(sent, sent[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # retry_base, then doubled
    [made] = store.hub.subscriptions()
    assert (made.state, made.failures, made.next_attempt) == (ACTIVE, 0, None)


def test_a_callback_failing_past_the_retry_window_is_marked_failing(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store, retry_for=0.5) as (live, hub):
        assert subscribe(live, subscribers.add("down", statuses=[503])) == 202
        assert hub.drain(10)
        write(live, store, 2, "Into the void")
        wait_for(lambda: states(store)["down"] == FAILING, 10)
        tries = len(subscribers["down"].deliveries)
        assert tries >= 3
        [made] = store.hub.subscriptions()
        assert made.failures == tries and made.last_status == "HTTP 503"
        assert made.failing_since is not None and made.last_delivery is None
        subscribers["down"].statuses[:] = [204]  # back: the next change reaches it
        write(live, store, 4, "Back again")
        wait_for(lambda: states(store)["down"] == ACTIVE, 10)
    assert b"Back again" in subscribers["down"].deliveries[-1].body


def test_a_410_ends_the_subscription(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("moved", statuses=[410])) == 202
        assert hub.drain(10)
        write(live, store, 2, "Anyone there")
        assert hub.drain(10)
        assert states(store) == {"moved": GONE}
        write(live, store, 4, "Not sent")
        assert hub.drain(10)
    assert len(subscribers["moved"].deliveries) == 1


def test_an_expired_lease_gets_no_delivery(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("brief"), lease_seconds="1") == 202
        assert subscribe(live, subscribers.add("long")) == 202
        assert hub.drain(10)
        time.sleep(1.2)
        write(live, store, 2, "After the lease")
        assert hub.drain(10)
        assert store.hub.expire(now=hub.clock()) + (states(store)["brief"] == EXPIRED) >= 1
    assert subscribers["brief"].deliveries == []
    assert len(subscribers["long"].deliveries) == 1


def test_unsubscribing_is_verified_and_stops_deliveries(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    callback = subscribers.add("leaver")
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, callback) == 202
        assert hub.drain(10)
        form = {"hub.mode": "unsubscribe", "hub.callback": callback}
        form["hub.topic"] = f"{live.settings.site.base_url}/feeds/all.rss"
        assert live.post("/websub/hub", form).status == 202
        assert hub.drain(10)
        assert [v["hub.mode"] for v in subscribers["leaver"].verifications] == [
            "subscribe",
            "unsubscribe",
        ]
        assert "hub.lease_seconds" not in subscribers["leaver"].verifications[1]
        assert states(store) == {"leaver": UNSUBSCRIBED}
        write(live, store, 2, "Gone quiet")
        assert hub.drain(10)
    assert subscribers["leaver"].deliveries == []


def test_two_hundred_subscribers_at_once_and_a_slow_one_delays_none(
    settings: Settings, store: Store, subscribers: Subscribers
) -> None:
    gate = threading.Event()  # the slow subscriber answers when the test lets it
    slow = subscribers.add("slow", gate=gate)
    fast = [subscribers.add(f"r{n}") for n in range(199)]
    with hub_site(settings, store, timeout=60.0, concurrency=16) as (live, hub):
        for callback in [slow, *fast]:  # the slow one first: its delivery is taken first
            assert subscribe(live, callback) == 202
        assert hub.drain(30)
        assert len(store.hub.subscriptions()) == 200
        write(live, store, 2, "Everyone at once")
        try:
            wait_for(lambda: all(subscribers[f"r{n}"].deliveries for n in range(199)), 60)
            # all 199 were delivered while the slow one still held its delivery
            assert subscribers["slow"].deliveries and not subscribers["slow"].answered
        finally:
            gate.set()
        assert hub.drain(30)
        body = live.get("/feeds/all.rss").body
    received = [subscribers[f"r{n}"].deliveries for n in range(199)]
    assert all(len(d) == 1 and d[0].body == body for d in received)
    assert len(subscribers["slow"].deliveries) == 1 and subscribers["slow"].answered
    assert {s.state for s in store.hub.subscriptions()} == {ACTIVE}
    assert all(s.last_delivery is not None for s in store.hub.subscriptions())


def test_subscriptions_command_shows_each_with_its_state_and_never_its_secret(
    settings: Settings, store: Store, subscribers: Subscribers, tmp_path: Path
) -> None:
    with hub_site(settings, store) as (live, hub):
        assert subscribe(live, subscribers.add("signed"), secret="a-long-enough-secret") == 202
        assert subscribe(live, subscribers.add("moved", statuses=[410])) == 202
        assert hub.drain(10)
        write(live, store, 2, "To both")
        assert hub.drain(10)
    (tmp_path / "hub.toml").write_text("[websub]\nbuiltin = true\n", encoding="utf-8")
    env = {
        "SYNDICATE_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "SYNDICATE_CONFIG": str(tmp_path / "hub.toml"),
    }
    runner = CliRunner()
    shown = runner.invoke(cli, ["websub", "subscriptions", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "a-long-enough-secret" not in shown.output
    found = {entry["callback"].rsplit("/", 1)[1]: entry for entry in json.loads(shown.stdout)}
    assert {name: entry["state"] for name, entry in found.items()} == {
        "signed": ACTIVE,
        "moved": GONE,
    }
    topic = f"{live.settings.site.base_url}/feeds/all.rss"
    assert {entry["topic"] for entry in found.values()} == {topic}
    assert found["signed"]["signed"] and not found["moved"]["signed"]
    assert found["signed"]["last_delivery"] is not None and found["signed"]["failures"] == 0
    assert found["signed"]["lease_end"] > found["signed"]["created"]
    table = runner.invoke(cli, ["websub", "subscriptions"], env=env)
    assert table.exit_code == 0 and "a-long-enough-secret" not in table.output
    rows = {line.split("\t")[1].rsplit("/", 1)[1]: line for line in table.stdout.splitlines()}
    assert rows["signed"].startswith(f"{topic}\t") and f"\t{ACTIVE}\tlease until " in rows["signed"]
    assert "0 failure(s)" in rows["signed"] and f"\t{GONE}\t" in rows["moved"]
    assert "the built-in hub is off" not in table.output
