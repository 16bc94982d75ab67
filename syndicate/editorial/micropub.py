"""Micropub (W3C Recommendation, 2017) in terms of the articles API: properties to a
submission and back, and the ``update`` action's ``replace``, ``add`` and ``delete``.

Properties understood: ``name`` (the title; a note without one is titled from its content),
``content`` (text, or ``{"html": ...}``), ``summary``, ``category`` (the article's categories),
``published``, ``photo`` (URLs, or ``{"value": url, "alt": ...}``), ``mp-slug``. Others are
accepted and ignored, as the specification allows. Posts are ``h-entry`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syndicate.errors import InvalidField
from syndicate.model import Article
from syndicate.normalize import cut_at_sentence, one_line

SOURCE = "micropub"
ORIGIN = "micropub request"
PROPERTIES = ("name", "content", "summary", "category", "published", "photo", "mp-slug")
TITLE_CHARS = 100  # a note's title: the first sentence of its content, at most this long
Properties = dict[str, list[Any]]


def form_properties(form: Mapping[str, list[str]]) -> Properties:
    """The properties of a form-encoded request: ``category[]`` and ``category`` alike, the
    reserved ``h``, ``action``, ``url`` and ``access_token`` left out."""
    found: Properties = {}
    for key, values in form.items():
        name = key.removesuffix("[]")
        reserved = name in ("h", "action", "url", "access_token")
        if reserved or (name.startswith("mp-") and name != "mp-slug"):
            continue
        found.setdefault(name, []).extend(values)
    return found


def json_properties(document: Mapping[str, Any]) -> Properties:
    """The properties of a JSON ``h-entry``; :class:`InvalidField` for another shape."""
    kind = document.get("type")
    if kind != ["h-entry"]:
        raise InvalidField(ORIGIN, "type", f'expected ["h-entry"], got {kind!r}')
    properties = document.get("properties")
    if not isinstance(properties, Mapping):
        raise InvalidField(ORIGIN, "properties", "expected an object of property lists")
    return {str(k): _values(k, v) for k, v in properties.items()}


def submission(properties: Properties, *, whole: bool = False) -> dict[str, Any]:
    """The articles API payload of a post's properties. ``whole``: these are all of the
    post's properties (an update), so a property left out is emptied."""
    payload: dict[str, Any] = {}
    name = _text(properties, "name")
    content = properties.get("content", [])
    text, html = "", ""
    if content:
        first = content[0]
        if isinstance(first, Mapping):
            html = str(first.get("html") or "")
            text = str(first.get("value") or "")
        else:
            text = str(first)
    if html:
        payload["content_html"] = html
    elif text:
        payload["content_text"] = text
    if name or text:  # HTML alone: normalize titles it from its first sentence
        payload["title"] = name or cut_at_sentence(one_line(text), TITLE_CHARS)
    if _text(properties, "summary"):
        payload["summary"] = _text(properties, "summary")
    if "category" in properties or whole:
        payload["categories"] = [str(value) for value in properties.get("category", [])]
    if _text(properties, "published"):
        payload["published"] = _text(properties, "published")
    if _text(properties, "mp-slug"):
        payload["slug"] = _text(properties, "mp-slug")
    photos = [_photo(value) for value in properties.get("photo", [])]
    if whole and not photos:
        payload["image"], payload["attachments"] = "", []
    if photos:
        payload["image"] = photos[0][0]
        payload["attachments"] = [
            {"url": url, "mime_type": "image/*", "title": alt} for url, alt in photos[1:]
        ]
    return payload


def source_properties(article: Article, page_url: str) -> Properties:
    """A stored article as Micropub properties (``q=source``)."""
    properties: Properties = {
        "name": [article.title],
        "content": [{"html": article.body_html}],
        "published": [article.published.isoformat()],
        "url": [page_url],
    }
    if article.summary:
        properties["summary"] = [article.summary]
    if article.categories:
        properties["category"] = list(article.categories)
    if article.media:
        properties["photo"] = [media.url for media in article.media]
    return properties


def updated(current: Properties, request: Mapping[str, Any]) -> Properties:
    """The properties after an ``update`` action: ``replace`` (whole properties), ``add``
    (values appended), ``delete`` (whole properties by name, or some of their values)."""
    result = {name: list(values) for name, values in current.items()}
    replace = request.get("replace", {})
    add = request.get("add", {})
    delete = request.get("delete", {})
    for key, value in (("replace", replace), ("add", add)):
        if not isinstance(value, Mapping):
            raise InvalidField(ORIGIN, key, "expected an object of property lists")
    for name, values in replace.items():
        result[str(name)] = _values(name, values)
    for name, values in add.items():
        result.setdefault(str(name), []).extend(_values(name, values))
    if isinstance(delete, list):
        for name in delete:
            result.pop(str(name), None)
    elif isinstance(delete, Mapping):
        for name, values in delete.items():
            gone = _values(name, values)
            result[str(name)] = [v for v in result.get(str(name), []) if v not in gone]
    else:
        raise InvalidField(ORIGIN, "delete", "expected a list of property names or an object")
    return result


def config(categories: list[str]) -> dict[str, Any]:
    """The answer to ``q=config``."""
    return {
        "syndicate-to": [],
        "post-types": [
            {"type": "article", "name": "Article", "properties": ["name", "content"]},
            {"type": "note", "name": "Note", "properties": ["content"]},
            {"type": "photo", "name": "Photo", "properties": ["photo", "content"]},
        ],
        "q": ["config", "source", "syndicate-to", "category"],
        "categories": categories,
    }


def _values(name: object, values: object) -> list[Any]:
    if not isinstance(values, list):
        raise InvalidField(ORIGIN, str(name), "expected a list of values")
    return values


def _text(properties: Properties, name: str) -> str:
    values = properties.get(name, [])
    return str(values[0]).strip() if values and not isinstance(values[0], Mapping) else ""


def _photo(value: object) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("value") or ""), str(value.get("alt") or "")
    return str(value), ""
