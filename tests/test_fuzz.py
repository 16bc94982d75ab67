"""Fuzzed input never crashes a parser: per input kind, only the named errors come out.

For scraped text, Markdown with front matter, HTML pages, JSON articles, upstream feed bytes
(RSS, Atom, JSON Feed) and config TOML, hypothesis feeds random bytes, documents built from the
kind's own vocabulary holding hostile text, and mutated fixtures (``tests/helpers/fuzzing.py``).
A parser may refuse an input only with ``ParseError`` (``ConfigError`` for a config file)
naming it; every input it accepts must normalize into articles whose RSS and Atom feeds are
valid (feedparser bozo 0, Atom RELAX NG).

Examples per kind: ``CI_EXAMPLES`` (60) in every run of the suite, ``LONG_EXAMPLES`` (3,000)
under ``pytest -m soak`` (``make soak``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.fuzz_checks import NAMES, check_feed, check_file
from helpers.fuzzing import CI_EXAMPLES, FOUND, INPUTS, LONG_EXAMPLES, config_inputs
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from syndicate.config.loading import SCHEMA, load_settings
from syndicate.errors import ConfigError

EXAMPLES = [
    pytest.param(CI_EXAMPLES, id="ci"),
    pytest.param(LONG_EXAMPLES, id="long", marks=pytest.mark.soak),
]


def fuzz(
    strategy: st.SearchStrategy[bytes],
    check: Callable[[bytes], None],
    count: int,
    found: tuple[bytes, ...] | list[bytes] = (),
) -> None:
    """Run ``check`` on ``count`` generated inputs, after the ones fuzzing found before."""

    def run(data: bytes) -> None:
        check(data)

    test = given(strategy)(run)
    for data in found:
        test = example(data)(test)
    settings(
        max_examples=count,
        deadline=None,
        derandomize=count == CI_EXAMPLES,  # the same examples in every CI run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(test)()


@pytest.mark.parametrize("count", EXAMPLES)
@pytest.mark.parametrize("kind", sorted(NAMES))
def test_file_kinds_refuse_only_by_name(kind: str, count: int) -> None:
    fuzz(INPUTS[kind], lambda data: check_file(kind, data, event), count, FOUND[kind])


@pytest.mark.parametrize("count", EXAMPLES)
def test_feed_bytes_refuse_only_by_name(count: int) -> None:
    fuzz(INPUTS["feed"], lambda data: check_feed(data, event), count, FOUND["feed"])


@pytest.mark.parametrize("count", EXAMPLES)
def test_config_files_refuse_only_with_config_error(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "syndicate.toml"

        def check(data: bytes) -> None:
            path.write_bytes(data)
            try:
                load_settings(path, environ={})
            except ConfigError as exc:
                assert str(exc).startswith(str(path)), exc
                event("refused")
            else:
                event("accepted")

        fuzz(config_inputs(SCHEMA), check, count, FOUND["config"])
