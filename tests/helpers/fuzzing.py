"""Input generators for the fuzz tests (``tests/test_fuzz.py``), one per input kind.

Each kind gets three sorts of input: bytes nobody meant (``st.binary``), valid documents
built from the kind's own vocabulary (the field names, tags and elements its parser looks for,
holding hostile text from :mod:`.hostile`), and the checked-in fixtures of the kind with bytes
flipped, cut and spliced, which reach the corners random bytes never do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from .hostile import TEXT, TRICKY

DATA = Path(__file__).parent.parent / "data"
# Inputs the fuzzing found that once crashed a parser: run first, in every run.
FOUND: dict[str, list[bytes]] = {
    "text": [
        b"!\t 0 0A_\n" + b"\x00" * 8 + b"\t" * 12 + b" " * 39 + b".",
        b"0001-01-01T00:00:00+3000\x00 " + b" " * 30 + b"33333444444555555v77999  . T!!'(),.p2349z",
    ],
    "markdown": [
        b'---\ntitle: Cover\nimage: "https://]]>news.example/c.jpg"\n---\n\nText.\n',
        b"---\ntitle: Late\nupdated: 2024-03-06T32:00:00Z\n---\n\nText.\n",
    ],
    "html": [
        b'<?xml  encoding=""',
        b'<?xml version="1.0" encoding="utf-8"?><p>x</p>',
        b"<!doctype><link rel=canonical href=http://[]><h1>Title</h1><p>Words here.</p>",
        b"<!doctype><link rel=canonical href=http://[><h1>Title</h1><p>Words here.</p>",
    ],
    "json": [],
    "feed": [
        b'<?encoding="\x80"?>',
        b'<?encoding="\x00"?>',
        b'{"version":"http://jsonfeed.org/version/1.1","items":[{"":false}],"authors":false}',
    ],
}
FOUND["config"] = [
    b"\x80",
    b"[site]\ntitle = 1979-05-27T25:00:00\n",
    b'[[sources]]\nname="a"\nkind="feed"\nurl="h://[]"',
    b'[[sources]]\nname="a"\nkind="feed"\nurl="http://]"',
]
# How many examples each kind runs: in every default run, and under ``-m soak``.
CI_EXAMPLES = 60
LONG_EXAMPLES = 3000

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.sampled_from(["2024-05-06T10:00:00Z", "yesterday", "0000-00-00", "9999-12-31T23:59:60Z"]),
)
ARTICLE_KEYS = [
    "title", "content_html", "content_text", "content", "body", "summary", "dek", "tags",
    "categories", "authors", "author", "published", "updated", "date", "url", "link", "id",
    "slug", "image", "attachments", "language", "draft", "articles", "items", "name", "href",
]  # fmt: skip
FEED_ELEMENTS = [
    "title", "link", "description", "item", "guid", "pubDate", "author", "category",
    "enclosure", "content:encoded", "dc:creator", "entry", "id", "updated", "published",
    "summary", "content", "name", "media:content", "media:thumbnail",
]  # fmt: skip
HTML_TAGS = [
    "p", "div", "h1", "h2", "h6", "a", "img", "pre", "table", "tr", "td", "ul", "li", "ol",
    "blockquote", "script", "style", "iframe", "svg", "math", "article", "main", "meta",
    "title", "figure", "figcaption", "br", "span", "b", "video", "source", "template",
]  # fmt: skip
ATTRIBUTES = ["href", "src", "srcset", "alt", "class", "onclick", "style", "property", "content"]


def _tree(keys: list[str]) -> st.SearchStrategy[Any]:
    """Nested JSON-shaped values whose object keys are mostly the parser's own."""
    key = st.one_of(st.sampled_from(keys), TEXT) if keys else TEXT
    return st.recursive(
        SCALAR,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=6)
        ),
        max_leaves=20,
    )


def _documents(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), _tree(keys), min_size=1, max_size=8)


def _fixtures(folder: Path, *suffixes: str) -> list[bytes]:
    return sorted(p.read_bytes() for p in folder.rglob("*") if p.suffix in suffixes)


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A fixture with a few bytes flipped, inserted or cut, or two fixtures spliced."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "cut", "splice"]))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(TRICKY)).encode("utf-8", "surrogatepass")
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            other = draw(st.sampled_from(seeds))
            data[at:] = other[draw(st.integers(0, max(0, len(other) - 1))) :]
    return bytes(data)


def _element(draw: st.DrawFn, names: list[str], depth: int) -> str:
    name = draw(st.sampled_from(names))
    attrs = "".join(
        f' {a}="{draw(TEXT).replace(chr(34), "&quot;")}"'
        for a in draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=2))
    )
    inner = "".join(
        _element(draw, names, depth + 1) if depth < 4 and draw(st.booleans()) else draw(TEXT)
        for _ in range(draw(st.integers(0, 3)))
    )
    return f"<{name}{attrs}>{inner}</{name}>"


@st.composite
def _markup(draw: st.DrawFn, names: list[str]) -> str:
    return "".join(_element(draw, names, 0) for _ in range(draw(st.integers(1, 4))))


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _front_matter(meta: dict[str, Any], body: str) -> bytes:
    try:
        front = yaml.safe_dump(meta, allow_unicode=True)
    except (yaml.YAMLError, UnicodeEncodeError):
        front = json.dumps(meta, default=str)  # JSON is YAML
    return _encoded(f"---\n{front}---\n\n{body}\n")


def _json_bytes(document: object) -> bytes:
    return _encoded(json.dumps(document, ensure_ascii=False, default=str))


SEEDS = {kind: _fixtures(DATA / "sources" / kind, ".txt", ".md", ".html", ".json", ".xml")
         for kind in ("text", "markdown", "html", "json", "feed")}  # fmt: skip
SEEDS["feed"] += _fixtures(DATA / "upstream", ".xml", ".json")
SEEDS["config"] = _fixtures(DATA / "config", ".toml")

_PROSE = st.lists(st.one_of(TEXT, st.just("The council met on Monday and agreed the plan.")))
INPUTS: dict[str, st.SearchStrategy[bytes]] = {
    "text": st.one_of(
        st.binary(max_size=2000),
        st.lists(TEXT, min_size=1, max_size=8).map(lambda lines: _encoded("\n\n".join(lines))),
        _mutated(SEEDS["text"]),
    ),
    "markdown": st.one_of(
        st.binary(max_size=2000).map(lambda b: b"---\n" + b),
        st.builds(_front_matter, _documents(ARTICLE_KEYS), _PROSE.map("\n\n".join)),
        st.builds(lambda t: _encoded(f"+++\n{t}\n+++\n\nbody"), TEXT),
        _mutated(SEEDS["markdown"]),
    ),
    "html": st.one_of(
        st.binary(max_size=2000),
        _markup(HTML_TAGS).map(lambda m: _encoded(f"<!doctype html><html>{m}</html>")),
        _mutated(SEEDS["html"]),
    ),
    "json": st.one_of(
        st.binary(max_size=2000).map(lambda b: b"{" + b),
        st.one_of(_documents(ARTICLE_KEYS), st.lists(_documents(ARTICLE_KEYS), max_size=3)).map(
            _json_bytes
        ),
        _mutated(SEEDS["json"]),
    ),
    "feed": st.one_of(
        st.binary(max_size=2000),
        _markup(FEED_ELEMENTS).map(
            lambda m: _encoded(
                f'<?xml version="1.0"?><rss version="2.0"><channel>{m}</channel></rss>'
            )
        ),
        _markup(FEED_ELEMENTS).map(
            lambda m: _encoded(f'<feed xmlns="http://www.w3.org/2005/Atom">{m}</feed>')
        ),
        _documents(ARTICLE_KEYS).map(
            lambda d: _json_bytes({"version": "https://jsonfeed.org/version/1.1", "items": [d]} | d)
        ),
        _mutated(SEEDS["feed"]),
    ),
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return json.dumps("" if value is None else str(value))


@st.composite
def _config(draw: st.DrawFn, schema: dict[str, dict[str, Any]]) -> bytes:
    """A TOML file of the settings' own tables and keys holding values of any type."""
    lines: list[str] = []
    for table in draw(st.lists(st.sampled_from(sorted(schema)), max_size=5)):
        array = table in ("sources", "categories") and draw(st.booleans())
        lines.append(f"[[{table}]]" if array else f"[{table}]")
        keys = st.one_of(st.sampled_from(sorted(schema[table])), TEXT.map(json.dumps))
        for key in draw(st.lists(keys, max_size=6)):
            value = draw(st.one_of(st.sampled_from(["1h", "30s", "http://127.0.0.1/f"]), _tree([])))
            lines.append(f"{key} = {_toml_value(value)}")
    return _encoded("\n".join(lines) + "\n")


def config_inputs(schema: dict[str, dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """Config files: random bytes, the schema's keys with values of any type, fixtures mutated."""
    return st.one_of(st.binary(max_size=1000), _config(schema), _mutated(SEEDS["config"]))
