"""The analyst's desk: server-rendered pages of matches, articles, trends, watches, feeds and
alerts, mounted on the API's app (read-only, under the same token rules)."""

from monitor.web.routes import mount_desk

__all__ = ["mount_desk"]
