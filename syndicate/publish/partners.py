"""Partners' views of the feeds: each feed as one partner's terms make it.

A partner (``syndicate partner create``, kept by ``store.partners``) reads every feed URL with
its key and gets:

- only the categories it was granted: a category feed it was not granted is refused
  (:class:`~syndicate.errors.NotGranted`), every other feed (everything, a tag, an author, a
  language) holds only articles in one of its categories; no categories given, all of them;
- full text, when granted, even in categories declared ``summary_only``;
- no hub links: the hubs' subscribers get the public's documents, not this one.

A view is built by the same catalog, from settings that carry the partner's terms, and kept in
the feed cache under a key of its own (variant ``partner:<key fingerprint>``, then the public
variant): invalidated with its feed like every entry, never reachable from a public request,
and marked ``private`` so that no shared cache keeps it. Its ETag is its own: the public's
tag of the same bytes, made partner's by the key's fingerprint, so a validator never crosses
from one view to another. A new key (a partner revoked and created again with other terms)
has a new fingerprint, so old views are never served under new terms.
"""

from __future__ import annotations

from dataclasses import replace

from syndicate.config import Settings
from syndicate.errors import NotGranted
from syndicate.publish import catalog
from syndicate.publish.cache import OPML, CachedFeed, CacheKey, FeedCache, cached_entry
from syndicate.store.partners import Partner
from syndicate.text.slugs import slugify

VARIANT = "partner:"


def partner_key(key: CacheKey, partner: Partner) -> CacheKey:
    """The cache key of a partner's view of the document at ``key``."""
    name, fmt, variant = key
    return (name, fmt, f"{VARIANT}{partner.fingerprint}" + (f"|{variant}" if variant else ""))


def is_partner_key(key: CacheKey) -> bool:
    """Whether ``key`` is a partner's view (never to be served publicly)."""
    return key[2].startswith(VARIANT)


def view(cache: FeedCache, key: CacheKey, partner: Partner) -> CachedFeed:
    """The partner's view of the feed document at ``key``, built once and cached.

    Raises :class:`NotGranted` for a category the partner may not read and
    :class:`~syndicate.errors.UnknownFeed` for a feed that does not exist.
    """
    if key[1] == OPML:
        raise ValueError("the OPML list has no partner's view")
    own = partner_key(key, partner)
    return cache.get(own, build=lambda: _build(cache, key, own, partner))


def terms(settings: Settings, partner: Partner) -> Settings:
    """The settings a partner's views are built with: full text where granted, no hubs."""
    categories = settings.categories
    if partner.full_text:
        categories = tuple(replace(c, summary_only=False) for c in categories)
    websub = replace(settings.websub, hubs=(), builtin=False)
    return replace(settings, categories=categories, websub=websub)


def restricted(spec: catalog.FeedSpec, partner: Partner) -> catalog.FeedSpec:
    """The feed as the partner may read it: its categories only."""
    granted = tuple(sorted({slugify(name) for name in partner.categories} - {""}))
    if not granted:
        return spec
    if spec.category is not None:
        if spec.category not in granted:
            raise NotGranted(
                f"the key of partner {partner.name!r} does not grant the feed {spec.name!r}"
            )
        return spec
    return replace(spec, within=granted)


def _build(cache: FeedCache, key: CacheKey, own: CacheKey, partner: Partner) -> CachedFeed:
    name, fmt, variant = key
    store = cache.store
    version = store.content_version()
    settings = terms(cache.settings, partner)
    spec = restricted(catalog.resolve(name, store, settings), partner)
    kind, _, number = variant.partition("=")
    document = catalog.build(
        spec,
        fmt,
        store,
        settings,
        limit=int(number) if kind == "limit" else None,
        page=int(number) if kind == "page" else None,
    )
    entry = cached_entry(own, document, version, private=True)
    entry.etag = f'"{entry.etag.strip(chr(34))}.{partner.fingerprint}"'
    return entry
