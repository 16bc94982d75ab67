"""syndicate: a feed publisher."""

__version__ = "0.1.0"
