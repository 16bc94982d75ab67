"""The JSON columns of an ``articles`` row: blocks, media and names as JSON text.

One row reads back into one :class:`~syndicate.model.Article`, so an article's blocks, media
and category/tag/author names are JSON lists on its row. Objects are written with their
default-valued fields left out (a medium's role excepted: one without was stored before media
had roles) and read back checked against the dataclass: a field of the wrong type, or one this
version does not know, is a ``ValueError`` (the caller makes it a ``StoreError``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields
from enum import Enum
from typing import Any

from syndicate.model import ENCLOSURE, IMAGE, MEDIA_ROLES, Block, BlockKind, Media


def dump_objects(items: Iterable[Block | Media]) -> str:
    """Blocks or media as a JSON list of objects, default-valued fields left out."""
    return json.dumps([_object_dict(item) for item in items], ensure_ascii=False)


def _object_dict(item: Block | Media) -> dict[str, object]:
    data: dict[str, object] = {}
    for field in fields(item):
        value = getattr(item, field.name)
        if value == field.default and not (isinstance(item, Media) and field.name == "role"):
            continue  # a medium's role is always written: one without was stored before roles
        if isinstance(value, Enum):
            value = value.value
        data[field.name] = list(value) if isinstance(value, tuple) else value
    return data


# Field types as model.py spells them (postponed annotations are strings).
_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool}


def load_objects(text: str, cls: type[Block] | type[Media]) -> list[dict[str, Any]]:
    """Constructor arguments for each stored object, type-checked against the dataclass."""
    types = {field.name: str(field.type) for field in fields(cls)}
    loaded = json.loads(text)
    if not isinstance(loaded, list):
        raise ValueError(f"expected a JSON list of {cls.__name__}, got {type(loaded).__name__}")
    return [_checked_kwargs(data, types, cls.__name__) for data in loaded]


def _checked_kwargs(data: object, types: dict[str, str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object for {what}, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        kind = types[key]  # KeyError: a field this version does not know
        if kind == "BlockKind":
            kwargs[key] = BlockKind(value)
        elif kind == "tuple[str, ...]":
            kwargs[key] = _load_str_tuple(value)
        elif kind == "tuple[int, ...]":
            kwargs[key] = _load_int_tuple(value)
        elif type(value) is _SCALARS[kind]:
            kwargs[key] = value
        else:
            raise ValueError(f"{what}.{key} should be {kind}, got {value!r}")
    return kwargs


def load_media(kwargs: dict[str, Any]) -> Media:
    """A stored medium; one stored before media had roles is an image when it is one by its
    type or file name (a lead image then), else an enclosure."""
    if "role" not in kwargs:
        kind = str(kwargs.get("type", "")).lower()
        path = str(kwargs.get("url", "")).lower().split("?")[0]
        image = kind.startswith("image/") or (not kind and path.endswith(_IMAGE_SUFFIXES))
        kwargs = kwargs | {"role": IMAGE if image else ENCLOSURE}
    elif kwargs["role"] not in MEDIA_ROLES:
        raise ValueError(f"Media.role should be one of {MEDIA_ROLES}, got {kwargs['role']!r}")
    return Media(**kwargs)


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")


def load_names(text: str) -> tuple[str, ...]:
    return _load_str_tuple(json.loads(text))


def _load_str_tuple(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _load_int_tuple(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(type(item) is int for item in value):
        raise ValueError(f"expected a list of integers, got {value!r}")
    return tuple(value)
