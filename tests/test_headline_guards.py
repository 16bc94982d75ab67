"""What a scraped page's headline never is, on any page: the guards, as properties.

Pages are generated with a headline among the page furniture the guards exist for: a URL or
an e-mail address printed above the story, a cookie or error notice, a timestamp line, a
breadcrumb trail (alone, glued in front of the headline, or led by "You are here:"), the
site's own name, a JSON-LD block printed as text. Whatever else the ranker makes of a page,
the title it returns is none of those. ``tests/data/guards_settle.json`` holds the cases of
the last word on a candidate, :func:`settle`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.errors import ParseError
from syndicate.sources import scraped
from syndicate.sources.scraped.guards import (
    PageNames,
    cut_crumbs,
    forbids,
    is_breadcrumb,
    is_timestamp,
    rejects,
    settle,
)
from syndicate.sources.scraped.lines import split_lines
from syndicate.sources.scraped.vocab import is_address, is_notice

WORDS = (
    "council harbour river budget school winter station market bridge festival museum "
    "farmers library railway election hospital garden valley orchestra league"
).split()
VERBS = "approves opens delays rebuilds celebrates plans reviews expands".split()
SECTIONS = ("News", "Local", "Business", "Sport", "Culture", "Latest News", "Politics")
SITE = "The Valley Courier"

URLS = st.builds(
    "{}://{}.{}/{}/{}".format,
    st.sampled_from(["http", "https"]),
    st.sampled_from(["www.example-paper", "news.example", "example"]),
    st.sampled_from(["com", "org", "co.uk"]),
    st.sampled_from(["news", "article", "2024/05"]),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=6).map("-".join),
)
EMAILS = st.builds(
    "{}@{}.{}".format,
    st.sampled_from(["newsdesk", "tips", "jane.roe"]),
    st.sampled_from(["example", "valley-courier"]),
    st.sampled_from(["com", "org"]),
)
NOTICES = st.sampled_from(
    [
        "This website uses cookies to improve your experience.",
        "We use cookies to personalise content and ads. Accept all cookies",
        "Updated Privacy Policy",
        "Manage consent preferences",
        "Something went wrong with the connection!",
        "Please enable JavaScript to view the comments.",
        "Your browser is out of date. Update your browser for more security.",
        "Oops! An error occurred. Please try again later.",
        "Wir verwenden Cookies, um unsere Website zu verbessern.",
    ]
)
STAMPS = st.sampled_from(
    [
        "Updated Nov 19, 9:41 AM;Posted Nov 18, 8:19 PM",
        "November 18, 2019",
        "18.11.2019, 08:15 Uhr",
        "Published 3 hours ago",
        "2019-11-18 20:19",
        "5 min read",
        "10:41 AM ET",
    ]
)
LEADS = st.sampled_from(["You are here: ", "Sie sind hier: ", "Vous êtes ici : ", "Jesteś tutaj: "])
SETTLE = json.loads((Path(__file__).parent / "data" / "guards_settle.json").read_text("utf-8"))
TRAILS = st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=3).map(
    lambda parts: ["Home", *parts]
)


def headline_of(words: list[str]) -> str:
    subject, *rest = words
    return f"{subject.title()} {VERBS[len(rest) % len(VERBS)]} {' '.join(rest)} plan"


def story(words: list[str]) -> list[str]:
    """Three paragraphs that tell the headline's story in its own words."""
    topic = " ".join(words)
    return [
        f"The {topic} plan was approved on Monday after a long debate, officials said. "
        f"Residents who attended the meeting asked for more time to study the {words[0]} "
        "proposal and its cost.",
        f"Supporters said the {words[-1]} work would start in the spring and take two years. "
        "Critics said the council had not explained where the money would come from.",
        "A second vote is planned for next month, when the final figures will be published "
        "and the public can comment on them.",
    ]


def page(top: list[str], headline: str, words: list[str]) -> str:
    menu = [SITE, *SECTIONS, "Subscribe"]
    footer = ["Related", "About us", "Contact", f"© 2024 {SITE}. All rights reserved."]
    return "\n".join([*menu, "", *top, headline, "By Jane Roe", "", *story(words), "", *footer])


HEADLINE_WORDS = st.lists(st.sampled_from(WORDS), min_size=3, max_size=7, unique=True)


def assert_allowed(title: str) -> None:
    assert not is_address(title), title
    assert not is_notice(title), title
    assert not is_timestamp(title), title
    assert not is_breadcrumb(title), title
    assert not forbids(title, PageNames(())), title
    assert title != SITE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=HEADLINE_WORDS,
    poison=st.lists(st.one_of(URLS, EMAILS, NOTICES, STAMPS), min_size=1, max_size=3),
)
def test_headline_is_never_address_notice_or_timestamp(words: list[str], poison: list[str]) -> None:
    headline = headline_of(words)
    try:
        entry = scraped.parse_text(page(poison, headline, words), "generated.txt")
    except ParseError:
        return  # refusing a page is allowed; choosing furniture is not
    assert_allowed(entry.title)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=HEADLINE_WORDS, trail=TRAILS, glue=st.sampled_from([" › ", " > ", " / ", " ", ""]))
def test_breadcrumb_in_front_of_headline_is_cut_off(
    words: list[str], trail: list[str], glue: str
) -> None:
    headline = headline_of(words)
    glued = glue.join([*trail, headline])
    entry = scraped.parse_text(page([], glued, words), "generated.txt")
    assert_allowed(entry.title)
    assert not entry.title.startswith("Home"), entry.title
    assert entry.title == headline


@settings(max_examples=40, deadline=None)
@given(trail=TRAILS, mark=st.sampled_from([" › ", " > ", " » "]), end=st.booleans())
def test_breadcrumb_alone_is_rejected(trail: list[str], mark: str, end: bool) -> None:
    text = mark.join(trail) + (mark.rstrip() if end else "")
    names = PageNames(split_lines("\n".join(SECTIONS)))
    assert rejects(text, names) == "breadcrumb"


@settings(max_examples=40, deadline=None)
@given(words=HEADLINE_WORDS)
def test_site_name_is_not_the_headline_when_a_longer_line_is_there(words: list[str]) -> None:
    headline = headline_of(words)
    entry = scraped.parse_text(page([SITE], headline, words), "generated.txt")
    assert entry.title != SITE
    assert entry.title == headline


@given(url=URLS, email=EMAILS)
def test_addresses_are_addresses(url: str, email: str) -> None:
    assert is_address(url)
    assert is_address(email)
    assert is_address("www.example.com/news/article/The-Latest-Man-")


@given(stamp=STAMPS)
def test_timestamps_are_timestamps(stamp: str) -> None:
    assert is_timestamp(stamp)


@pytest.mark.parametrize(
    "headline",
    [
        "Harbour Weekly Edition for March 26, 2015",
        "Blogposting 01/23/2020",
        "Election results of November 5, 2024 county by county",
    ],
)
def test_a_headline_naming_a_date_is_no_timestamp(headline: str) -> None:
    assert not is_timestamp(headline)


@pytest.mark.parametrize(
    "stamp", ["2024年3月12日 10:00", "Data: 12.03.2024", "Posted 01/23/2020 by admin"]
)
def test_a_date_with_a_few_letters_beside_it_is_a_timestamp(stamp: str) -> None:
    assert is_timestamp(stamp)


def test_notices_are_not_every_mention_of_their_words() -> None:
    assert is_notice("This website uses cookies to improve your experience.")
    assert not is_notice("Chocolate Chip Cookies Recipe for the Holidays")
    assert not is_notice("Court rules on consent in landmark privacy case")
    assert not is_timestamp("Five ways to make your laptop battery last longer")


def test_cut_crumbs_keeps_a_headline_without_trail() -> None:
    for headline in (
        "Homeowners face higher rates as the bank raises its key rate",
        "Apple > Google? What the numbers say",
        "Home sales rise 4% in October",
        "iPhone sales slow in China",
    ):
        assert cut_crumbs(headline) == headline


def test_cut_crumbs_cuts_glued_and_spaced_trails() -> None:
    menu = {"latest news", "news", "business news"}
    assert cut_crumbs("HomeLatest NewsNollywood Actress Opens a School", menu) == (
        "Nollywood Actress Opens a School"
    )
    assert cut_crumbs("Home News Business News Ascom announces results", menu) == (
        "Ascom announces results"
    )
    assert cut_crumbs("Startseite › Politik › Der Rat beschließt den Haushalt") == (
        "Der Rat beschließt den Haushalt"
    )
    assert cut_crumbs("Home › News ›") == ""


@settings(max_examples=40, deadline=None)
@given(
    words=HEADLINE_WORDS,
    marks=st.sampled_from([("»", "«"), ("«", "»"), ("« ", " »"), ("‹", "›")]),
    lead=st.sampled_from(["", "Interview: ", "Screenshot : "]),
)
def test_a_headline_quoted_in_guillemets_is_no_trail(
    words: list[str], marks: tuple[str, str], lead: str
) -> None:
    opening, closing = marks
    headline = f"{lead}{opening}{headline_of(words)}{closing}"
    assert not is_breadcrumb(headline)
    assert cut_crumbs(headline) == headline
    assert cut_crumbs(f"Home › News › {headline}") == headline
    entry = scraped.parse_text(page([], headline, words), "generated.txt")
    assert entry.title == headline


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=HEADLINE_WORDS,
    lead=LEADS,
    trail=TRAILS,
    glue=st.sampled_from([" › ", " > ", " / ", " » "]),
    alone=st.booleans(),
)
def test_a_trail_after_its_lead_is_cut_off(
    words: list[str], lead: str, trail: list[str], glue: str, alone: bool
) -> None:
    """A "You are here:" trail, on a line of its own or glued in front of the headline."""
    headline = headline_of(words)
    led = lead + glue.join(trail)
    top, shown = ([led], headline) if alone else ([], glue.join([led, headline]))
    entry = scraped.parse_text(page(top, shown, words), "generated.txt")
    assert_allowed(entry.title)
    assert entry.title == headline


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=HEADLINE_WORDS, shown=st.booleans(), site=st.booleans())
def test_structured_data_printed_above_the_story_is_no_headline(
    words: list[str], shown: bool, site: bool
) -> None:
    """A JSON-LD block the page printed as text, its "headline" member among the lines."""
    headline = headline_of(words)
    block = [
        "{",
        '"@context": "https://schema.org",',
        '"@type": "NewsArticle",',
        f'"headline": "{headline}",',
        '"datePublished": "2024-05-02T08:00:00Z",',
        *([f'"publisher": {{"@type": "Organization", "name": "{SITE}"}}'] if site else []),
        "}",
    ]
    text = page(block, headline if shown else "", words)
    try:
        entry = scraped.parse_text(text, "generated.txt")
    except ParseError:
        assert not shown  # with no headline line, refusing the page is allowed
        return
    assert_allowed(entry.title)
    if shown:
        assert entry.title == headline


@pytest.mark.parametrize("case", SETTLE["cases"], ids=lambda case: case["text"][:40])
def test_settle_cuts_led_trails_and_refuses_trails_and_data(case: dict[str, str]) -> None:
    names = PageNames(split_lines("\n".join(SETTLE["menu"])))
    answer = "" if rejects(case["text"], names) else settle(case["text"], names)
    assert answer == case["settled"]
    assert bool(forbids(case["text"], names)) == (case["settled"] != case["text"])


OUTLETS = json.loads((Path(__file__).parent / "data" / "bylined_outlets.json").read_text("utf-8"))


@pytest.mark.parametrize(("lines", "sites"), [c[1:] for c in OUTLETS], ids=[c[0] for c in OUTLETS])
def test_an_outlet_closing_an_author_line_is_a_site_name(
    lines: list[str], sites: list[str]
) -> None:
    names = PageNames(split_lines("\n\n".join(lines)))
    assert sorted(names.sites) == sites
