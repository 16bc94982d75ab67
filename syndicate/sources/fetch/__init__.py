"""The only network code: the guarded client (:mod:`.client`) and what it is built from."""

from syndicate.sources.fetch.client import (
    Fetcher,
    FetchResult,
    RateLimited,
    StatusError,
    decode_body,
    parse_retry_after,
)
from syndicate.sources.fetch.guard import AddressRefused, address_problem, resolve_checked

__all__ = [
    "AddressRefused",
    "FetchResult",
    "Fetcher",
    "RateLimited",
    "StatusError",
    "address_problem",
    "decode_body",
    "parse_retry_after",
    "resolve_checked",
]
