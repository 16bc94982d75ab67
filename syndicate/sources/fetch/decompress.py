"""Content-Encoding undone chunk by chunk, with a cap on what it may produce.

gzip, deflate (zlib or raw, as servers send both) and brotli are decoded here rather than by
urllib3, because urllib3 decodes without an output limit: a few kilobytes of a decompression
bomb would expand into gigabytes before any check. Every ``feed`` here produces at most what
is left under the cap plus one byte, and passing the cap raises :class:`FetchError`.
"""

from __future__ import annotations

import zlib
from typing import Any

import brotli  # type: ignore[import-untyped]

from syndicate.errors import FetchError


class LimitedDecoder:
    """Undo Content-Encoding chunk by chunk, never producing more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int, name: str) -> None:
        self.encoding = encoding.strip().lower()
        self.limit, self.name, self.produced = limit, name, 0
        self.is_brotli = self.encoding == "br"
        self._zlib: Any = None
        self._brotli: Any = None
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._first = True
        elif self.is_brotli:
            self._brotli = brotli.Decompressor()
        elif self.encoding not in ("", "identity"):
            raise FetchError(name, f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> bytes:
        try:
            if self._zlib is not None:
                return self._inflate(chunk)
            if self._brotli is not None:
                return self._unbrotli(chunk)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(self.name, f"corrupt {self.encoding} body: {exc}") from exc
        return self._count(chunk)

    def flush(self) -> bytes:
        if self._zlib is not None:
            return self._count(self._zlib.flush())
        return b""

    def _inflate(self, chunk: bytes) -> bytes:
        try:
            out = self._zlib.decompress(chunk, self._room())
        except zlib.error:
            if self.encoding != "deflate" or not self._first:
                raise
            # Some servers send raw deflate (RFC 1951) instead of zlib (RFC 1950) data.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(chunk, self._room())
        self._first = False
        if self._zlib.unconsumed_tail:
            self._count(out + b"x")  # the output limit was hit with input left: too big
        return self._count(out)

    def _unbrotli(self, chunk: bytes) -> bytes:
        parts = [self._count(self._brotli.process(chunk, output_buffer_limit=self._room()))]
        while not self._brotli.can_accept_more_data():
            parts.append(self._count(self._brotli.process(b"", output_buffer_limit=self._room())))
        return b"".join(parts)

    def _room(self) -> int:
        return self.limit - self.produced + 1

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise FetchError(self.name, f"body exceeds {human_size(self.limit)} once decompressed")
        return out


def human_size(n: int) -> str:
    """``15 MiB`` or ``512 bytes``, for limit messages."""
    mib = n / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{n} bytes"
