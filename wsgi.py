"""WSGI entry point: ``gunicorn wsgi:app`` or any WSGI server.

The only module-level application object; settings come from ``SYNDICATE_CONFIG`` /
``config/syndicate.toml`` and the ``SYNDICATE_*`` environment.
"""

from syndicate.web import create_app

app = create_app()
