"""blocks.py: HTML fragments to body blocks, one table of cases plus the edge rules."""

from __future__ import annotations

import pytest

from syndicate.model import Block, BlockKind
from syndicate.sources.blocks import blocks_text, html_to_blocks

P, H, Q, L, IMG = (
    BlockKind.PARAGRAPH,
    BlockKind.HEADING,
    BlockKind.QUOTE,
    BlockKind.LIST,
    BlockKind.IMAGE,
)

CASES = {
    "paragraphs": ("<p>One.</p><p>Two.</p>", [(P, "One."), (P, "Two.")]),
    "whitespace_collapsed": ("<p>  a \n\t b\u00a0 c </p>", [(P, "a b c")]),
    "headings_start_at_two": ("<h1>A</h1><h2>B</h2><h5>C</h5>", [(H, "A"), (H, "B"), (H, "C")]),
    "quote_paragraphs_joined": ("<blockquote><p>a</p><p>b</p></blockquote>", [(Q, "a b")]),
    "lists": (
        "<ul><li>x</li><li> </li><li>y</li></ul><ol><li>z</li></ol>",
        [(L, "x\ny"), (L, "1. z")],
    ),
    "ordered_list_start": ('<ol start="4"><li>d</li><li>e</li></ol>', [(L, "4. d\n5. e")]),
    "ordered_list_reversed": (
        "<ol reversed><li>c</li><li>b</li><li>a</li></ol>",
        [(L, "3. c\n2. b\n1. a")],
    ),
    "ordered_list_reversed_from_start": (
        '<ol reversed start="10"><li>ten</li><li>nine</li></ol>',
        [(L, "10. ten\n9. nine")],
    ),
    "ordered_list_item_value": (
        '<ol><li>a</li><li value="7">g</li><li>h</li></ol>',
        [(L, "1. a\n7. g\n8. h")],
    ),
    "ordered_list_empty_item_keeps_its_number": (
        "<ol><li>a</li><li> </li><li>c</li></ol>",
        [(L, "1. a\n3. c")],
    ),
    "ordered_list_bad_start_is_one": ('<ol start="x"><li>a</li></ol>', [(L, "1. a")]),
    "containers_walked": (
        "<div><section><article><p>deep</p></article></section></div>",
        [(P, "deep")],
    ),
    "loose_text_becomes_paragraph": (
        "lead <b>bold</b><p>p</p>tail",
        [(P, "lead bold"), (P, "p"), (P, "tail")],
    ),
    "chrome_dropped": (
        "<nav>menu</nav><p>keep</p><aside>ad</aside><footer>foot</footer>"
        "<form><button>go</button></form><script>x()</script><style>p{}</style>"
        "<noscript>js</noscript><template><p>t</p></template>",
        [(P, "keep")],
    ),
    "comments_dropped": ("<p>a<!-- secret -->b</p><!-- gone -->", [(P, "ab")]),
    "empty_blocks_skipped": (
        "<p> </p><h2></h2><blockquote></blockquote><ul></ul><p>x</p>",
        [(P, "x")],
    ),
    "image_in_paragraph": ('<p><img src="a.png" alt="A"></p>', [(IMG, "")]),
    "figure_caption": (
        '<figure><img src="f.jpg"><figcaption>Cap <i>it</i></figcaption></figure>',
        [(IMG, "Cap it")],
    ),
    "image_without_src_skipped": ('<img alt="none"><p>x</p>', [(P, "x")]),
    "pre_keeps_lines": ("<pre><code>a\n  b\n</code></pre>", [(P, "a\n  b")]),
    "table_cells_spaced": ("<table><tr><td>a</td><td>b</td></tr></table>", [(P, "a b")]),
    "br_is_a_space": ("<p>a<br>b</p>", [(P, "a b")]),
    "hr_skipped": ("<p>a</p><hr><p>b</p>", [(P, "a"), (P, "b")]),
    "empty_input": ("", []),
}


@pytest.mark.parametrize(("html", "expected"), CASES.values(), ids=CASES.keys())
def test_blocks_from_html(html: str, expected: list[tuple[BlockKind, str]]) -> None:
    blocks = html_to_blocks(html)
    assert [(b.kind, b.plain_text()) for b in blocks] == expected
    for block in blocks:
        assert block.plain_text().strip() or block.src


def test_blocks_heading_levels_never_below_two() -> None:
    levels = [b.level for b in html_to_blocks("<h1>A</h1><h3>B</h3><h6>C</h6>")]
    assert levels == [2, 3, 6]


def test_blocks_inline_html_kept_and_unsafe_dropped() -> None:
    (block,) = html_to_blocks(
        '<p>see <a href="/x">this</a>, <em>e</em> <strong>s</strong> <code>c</code><br>'
        "<script>bad()</script><button>b</button>end</p>"
    )
    assert block.html == (
        'see <a href="/x">this</a>, <em>e</em> <strong>s</strong> <code>c</code><br>end'
    )


def test_blocks_list_items_keep_markup_and_order_flag() -> None:
    (block,) = html_to_blocks('<ol><li><a href="/a">A</a></li><li><p>B</p></li></ol>')
    assert block.ordered
    assert block.items == ("A", "B")
    assert block.items_html == ('<a href="/a">A</a>', "B")


def test_blocks_image_fields() -> None:
    html = (
        '<figure><img src="/i.jpg" alt=" An  image "><figcaption>C <b>b</b></figcaption></figure>'
    )
    assert html_to_blocks(html) == (
        Block(BlockKind.IMAGE, text="C b", html="C <b>b</b>", src="/i.jpg", alt="An image"),
    )


def test_blocks_pre_html_is_the_element() -> None:
    (block,) = html_to_blocks('<pre><code class="language-py">x = 1\n</code></pre>')
    assert block.html == '<pre><code class="language-py">x = 1\n</code></pre>'


def test_blocks_quote_html_unwraps_paragraphs() -> None:
    (block,) = html_to_blocks("<blockquote><p>a <em>b</em></p><p>c</p></blockquote>")
    assert block.html == "a <em>b</em><br>c"


def test_blocks_entities_are_not_resolved_from_outside() -> None:
    html = '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>'
    assert "root:" not in blocks_text(html_to_blocks(html))


def test_blocks_text_joins_blocks_with_blank_lines() -> None:
    blocks = html_to_blocks("<h2>T</h2><p>a</p><ul><li>x</li><li>y</li></ul><img src='i'>")
    assert blocks_text(blocks) == "T\n\na\n\nx\ny"


def test_blocks_control_characters_and_lone_surrogates_are_dropped() -> None:
    (block,) = html_to_blocks("<p>a\x00b\x0bc\ud800d</p>")
    assert block.text == "abcd"


def test_blocks_stray_document_tags_in_a_fragment_are_tolerated() -> None:
    assert [b.text for b in html_to_blocks("<p>a</p><html><body><p>b</p></body></html>")] == [
        "a",
        "b",
    ]
