"""What publishers do to articles through syndicate itself: the articles API, Micropub, the
admin pages and ``syndicate articles`` all come here, so they share one set of rules.

- :mod:`.articles`: create or update an article from a submission (through the same parsers,
  ``normalize`` and sanitizer as every input), change fields, unpublish, publish, delete, and
  each article as JSON;
- :mod:`.micropub`: Micropub's properties and updates (W3C Recommendation) in those terms.

Nothing here knows HTTP or invalidates caches: callers announce what changed (the web through
its feed cache, the CLI through the change log and WebSub).
"""
