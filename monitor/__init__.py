"""monitor: polls news feeds, tags articles with actors and issues, and alerts analysts."""

__version__ = "0.1.0"
