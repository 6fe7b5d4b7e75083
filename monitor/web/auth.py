"""The desk's token rules: the API's bearer token, or a cookie a small login form sets.

The cookie holds an HMAC of MONITOR_API_TOKEN (never the token itself), is HttpOnly and
SameSite=Strict, Secure over HTTPS, and is accepted on the desk's pages only (the JSON API
and its Atom feeds keep requiring the bearer header).
"""

import hashlib
import hmac
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse

COOKIE = "monitor_desk"
LOGIN = "/login"
STATIC = "/desk/static/"
# Open without a token: the login form itself and the stylesheet it uses.
OPEN = frozenset({LOGIN, "/logout"})


def is_open(path: str) -> bool:
    """Whether `path` is served without a token."""
    return path in OPEN or path.startswith(STATIC)


def is_desk(path: str) -> bool:
    """Whether `path` is one of the desk's HTML pages (where the cookie counts)."""
    return path == "/" or path.startswith("/desk/")


def cookie_value(token: str) -> str:
    """What the cookie holds for `token`: a keyed hash, useless as a bearer token."""
    return hmac.new(token.encode(), b"monitor desk cookie v1", hashlib.sha256).hexdigest()


def cookie_ok(request: Request, token: str) -> bool:
    """Whether the request carries the desk cookie of `token`."""
    given = request.cookies.get(COOKIE, "")
    return bool(given) and hmac.compare_digest(given.encode(), cookie_value(token).encode())


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the login form, remembering the page asked for."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN}?next={quote(wanted, safe='')}", status_code=303)
