"""Which database the suite runs on: SQLite by default, or the PostgreSQL URL ``make test``
gives its second pass (``SYNDICATE_TEST_DATABASE_URL``).

Read once at import: the ``clean_environ`` fixture strips ``SYNDICATE_*`` from every test's
environment, so tests must not look it up again.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get("SYNDICATE_TEST_DATABASE_URL", "")
BACKEND = make_url(TEST_DATABASE_URL).get_backend_name() if TEST_DATABASE_URL else "sqlite"
