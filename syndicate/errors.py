"""The exceptions syndicate raises, in one tree.

::

    SyndicateError
    ├── ConfigError          a setting is missing, unknown or of the wrong type
    ├── SourceError          an input could not be turned into articles
    │   ├── FetchError       the network or the remote side failed
    │   └── ParseError       the bytes were read but make no article
    │       ├── NotPublished an input that asks not to be published (a draft): skipped
    │       └── InvalidField an input's field has the wrong type or value (names the field)
    ├── UnknownFeed          no such feed (the web answers 404)
    ├── UnknownArticle       no such article (the web answers 404)
    │   └── ArticleGone      it was removed by an editor (the web answers 410)
    ├── InvalidRequest       a request that cannot be answered as asked (the web answers 400)
    │   └── SubscriptionRefused  a WebSub hub request refused (its status, 4xx, and why)
    ├── NotGranted           a partner's key does not grant that feed (the web answers 403)
    ├── StoreError           the database refused or failed
    │   └── QueueUnreachable the task queue's database went away under a worker (it waits)
    └── ExportError          the export folder cannot be written or read

Foreign exceptions are wrapped where they enter (``raise ParseError(...) from exc``)
so callers catch one family. Every message names what failed and why.
"""

from __future__ import annotations


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""


class ConfigError(SyndicateError):
    """A configuration file or environment setting is wrong.

    The message names the file (or variable), the key and what was expected.
    """


class SourceError(SyndicateError):
    """An input could not be read into articles; names the source and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FetchError(SourceError):
    """The network, the remote server or a transfer limit failed."""


class ParseError(SourceError):
    """The input was read but is not an article in the expected shape."""


class NotPublished(ParseError):
    """The input is fine but marked unpublished (a draft); skipped, not a failure."""


class InvalidField(ParseError):
    """One field of a submitted article is wrong: ``field`` names it (``tags[2]``)."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(source, f"{field}: {reason}")
        self.field = field


class UnknownFeed(SyndicateError):
    """A feed was asked for that does not exist."""


class UnknownArticle(SyndicateError):
    """An article was asked for that does not exist."""


class ArticleGone(UnknownArticle):
    """The article was there and an editor removed it (unpublished or deleted)."""


class InvalidRequest(SyndicateError):
    """A request is malformed (a page cursor that is no cursor); the message says how."""


class SubscriptionRefused(InvalidRequest):
    """A subscription request the built-in hub will not take; ``status`` is the 4xx (or 503)
    to answer with, the message says why."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


class NotGranted(SyndicateError):
    """A partner asked for a feed its terms do not include (another category's)."""


class StoreError(SyndicateError):
    """The database failed or holds data this version cannot read."""


class QueueUnreachable(StoreError):
    """A queue worker lost the task queue's database (stopped, restarted, unreachable).

    Its own class because a worker does not exit on it, as it does on other errors: it waits
    by the backoff rule and takes jobs again once the database answers, so workers recover
    from an outage with no restart, as the web processes do.
    """


class ExportError(SyndicateError):
    """``syndicate export`` cannot write its folder, or finds in it a list of exported files
    it cannot read; names the path and why."""
