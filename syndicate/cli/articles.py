"""``syndicate articles list|show|unpublish|publish|delete``: what is published, and removal
that reaches readers.

``unpublish`` hides an article everywhere (kept, restorable with ``publish``); ``delete``
removes its content for good. Either way every feed drops it at once (web processes see it
through the change log within a second), Atom feeds carry its tombstone, its page answers 410
Gone, WebSub hubs are pinged, and a refresh of its source does not bring it back.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from syndicate.cli.common import fail, open_store, publisher_hook
from syndicate.config import Settings
from syndicate.errors import SyndicateError, UnknownArticle
from syndicate.store import PUBLISHED, SCHEDULED, UNPUBLISHED, Listed, Store

T = TypeVar("T")


@click.group("articles")
def articles_group() -> None:
    """List and show stored articles; unpublish, publish or delete one."""


@articles_group.command("list")
@click.option("--source", default=None, help="Only articles of this source.")
@click.option("--category", default=None, help="Only this category (its slug).")
@click.option("--search", "title", default=None, help="Words of the title.")
@click.option("--scheduled", is_flag=True, help="Only articles waiting for their time.")
@click.option(
    "--status",
    type=click.Choice([PUBLISHED, SCHEDULED, UNPUBLISHED]),
    default=None,
    help="Only articles of this status.",
)
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_articles(
    settings: Settings,
    source: str | None,
    category: str | None,
    title: str | None,
    scheduled: bool,
    status: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Stored articles, newest first (scheduled: soonest first), with their status."""
    from syndicate.editorial.articles import Desk

    store = open_store(settings)
    try:
        if scheduled:
            found = [Listed(a, SCHEDULED) for a in store.states.scheduled(limit=limit)]
        else:
            found, _ = Desk(store).listing(
                source=source, category=category, title=title, status=status, limit=limit
            )
    finally:
        store.close()
    for listed in found:
        if as_json:
            click.echo(json.dumps(_json(settings, listed), ensure_ascii=False))
        else:
            a = listed.article
            click.echo(
                f"{a.id}  {listed.status:<11} {a.published.isoformat()}  {a.source}  {a.title}"
            )
    if not found and not as_json:
        click.echo("no articles")


@articles_group.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(settings: Settings, article_id: str, as_json: bool) -> None:
    """One article: its fields, status and page URL."""
    from syndicate.editorial.articles import Desk

    store = open_store(settings)
    try:
        listed = _found(lambda: Desk(store).find(article_id))
    finally:
        store.close()
    data = _json(settings, listed)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key in ("id", "status", "title", "source", "published", "updated", "page", "url"):
        click.echo(f"{key}: {data[key]}")
    for key in ("categories", "tags", "authors"):
        click.echo(f"{key}: {', '.join(data[key])}")
    click.echo(f"summary: {data['summary']}")


@articles_group.command()
@click.argument("article_id")
@click.pass_obj
def unpublish(settings: Settings, article_id: str) -> None:
    """Hide an article everywhere; kept, and restorable with `publish`."""
    from syndicate.editorial.articles import Desk

    store = open_store(settings)
    try:
        listed = _found(lambda: Desk(store).unpublish(article_id))
        stone = store.states.removal(listed.article.id)
        _announce(settings, store, [stone] if stone else [])
    finally:
        store.close()
    click.echo(f"unpublished {listed.article.id}: {listed.article.title}")


@articles_group.command()
@click.argument("article_id")
@click.pass_obj
def publish(settings: Settings, article_id: str) -> None:
    """Publish an unpublished article again; for a deleted one, let its source bring it back."""
    from syndicate.editorial.articles import Desk

    store = open_store(settings)
    try:
        desk = Desk(store)
        resolved = desk.resolve(article_id)
        stone = store.states.removal(resolved)
        outcome = _found(lambda: desk.publish(article_id))
        article = store.get(resolved)
        _announce(settings, store, [x for x in (stone, article) if x is not None])
    finally:
        store.close()
    messages = {
        "published": f"published {resolved} again",
        "lifted": f"{resolved} was deleted: it comes back when its source next delivers it",
        "unchanged": f"{resolved} is published already",
    }
    click.echo(messages[outcome])


@articles_group.command()
@click.argument("article_id")
@click.option("--yes", is_flag=True, help="Do not ask: the content cannot be brought back.")
@click.pass_obj
def delete(settings: Settings, article_id: str, yes: bool) -> None:
    """Delete an article's content for good (its tombstone stays)."""
    from syndicate.editorial.articles import Desk

    if not yes:
        click.confirm(f"delete {article_id} for good?", abort=True)
    store = open_store(settings)
    try:
        stone = _found(lambda: Desk(store).delete(article_id))
        _announce(settings, store, [stone])
    finally:
        store.close()
    click.echo(f"deleted {stone.id}: {stone.title}")


def _found(action: Callable[[], T]) -> T:
    """Run ``action``; an unknown article exits with status 1, a database error with 2."""
    try:
        return action()
    except UnknownArticle as exc:
        click.echo(f"syndicate: {exc}", err=True)
        sys.exit(1)
    except SyndicateError as exc:
        fail(exc)


def _announce(settings: Settings, store: Store, changed: list[object]) -> None:
    hook = publisher_hook(settings, store)
    if hook is not None and changed:
        hook("articles", changed)  # type: ignore[arg-type]


def _json(settings: Settings, listed: Listed) -> dict[str, Any]:
    from syndicate.editorial.articles import article_json
    from syndicate.publish.catalog import article_url

    return article_json(listed, article_url(settings)(listed.article))
