"""An edit is dated when it was seen, or by the source's own later date; never by ``published``.

The previous rule dated an undated edit one second after the stored ``updated``, so a file
published on 14 March and edited on 1 December showed "updated 14 March".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from helpers.validity import assert_valid_feed
from lxml import html

from syndicate.refresh.ingest import ingest_file
from syndicate.store import Store, UpsertResult

PUBLISHED = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
EDITED = datetime(2026, 12, 1, 16, 45, tzinfo=UTC)


def post(folder: Path, body: str, updated: str = "") -> Path:
    path = folder / "budget.md"
    extra = f"updated: {updated}\n" if updated else ""
    path.write_text(
        f"---\ntitle: Council passes the budget\ndate: 2026-03-14T09:00:00Z\n{extra}---\n\n{body}\n"
    )
    return path


def test_an_undated_edit_is_dated_when_it_was_seen(
    store: Store, client: FlaskClient, tmp_path: Path
) -> None:
    path = post(tmp_path, "The council passed the budget on Friday.")
    first = ingest_file(path, store, now=FIRST_SEEN)
    (article,) = first.changed
    assert article.updated == PUBLISHED  # new: updated is when it was published
    post(tmp_path, "The council passed the budget on Friday, by seven votes to two.")
    edit = ingest_file(path, store, now=EDITED)
    assert edit.results == {UpsertResult.UPDATED: 1}
    stored = store.get(article.id)
    assert stored is not None
    assert (stored.published, stored.updated) == (PUBLISHED, EDITED)
    page = html.fromstring(client.get(f"/articles/{stored.slug}").data)
    assert "· updated 1 December 2026" in page.xpath("string(//p[@class='byline'])")
    atom = assert_valid_feed(client.get("/feeds/all.atom").data, "atom")
    assert atom.entries[0].updated == "2026-12-01T16:45:00+00:00"
    # Seen again unchanged: nothing is written, the date stays.
    again = ingest_file(path, store, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert again.results == {UpsertResult.UNCHANGED: 1}
    assert store.get(article.id) == stored


def test_an_edit_the_source_dates_keeps_the_sources_date(store: Store, tmp_path: Path) -> None:
    path = post(tmp_path, "The council passed the budget on Friday.")
    (article,) = ingest_file(path, store, now=FIRST_SEEN).changed
    post(tmp_path, "Corrected: by seven votes to two.", updated="2026-11-30T08:00:00Z")
    ingest_file(path, store, now=EDITED)
    stored = store.get(article.id)
    assert stored is not None and stored.updated == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
