"""Scraped plain text of a whole news page: the article on it (see :mod:`.reader`)."""

from syndicate.sources.scraped.reader import DECODING, parse, parse_text, read_text

__all__ = ["DECODING", "parse", "parse_text", "read_text"]
