"""Checks of single configuration values (URLs, names, addresses, secrets): each says what
is wrong and how to write it, so a value that cannot work is refused where it enters."""

import base64
import binascii
import ipaddress
import re
from urllib.parse import urlsplit

from monitor.errors import shown

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_NAME = 100
MAX_URL = 2048  # what browsers and most servers accept
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\.]+(\.[^@\s<>(),;:\"\[\]\\.]+)*$")


def check_http_url(url: str, what: str = "a feed URL") -> str:
    """`url` when an HTTP client can fetch it; ValueError saying what is wrong otherwise:
    too long, a space or control character, not http(s), no host, a port out of range,
    a host that is not a valid (IDNA) name."""
    import httpx  # only when a file is loaded: keeps `--help` fast

    if len(url) > MAX_URL:
        raise ValueError(f"{what} is {len(url)} characters long; at most {MAX_URL}")
    bad = next((i for i, c in enumerate(url) if c.isspace() or not c.isprintable()), None)
    quoted = shown(url, 80)
    if bad is not None:
        raise ValueError(
            f"{quoted} has a space or control character at position {bad}; "
            "percent-encode it (a space is %20) or remove it"
        )
    if not re.match(r"(?i)^https?://", url):
        raise ValueError(f"{quoted} is not an http(s) URL; write https://host/path")
    try:
        parts = urlsplit(url)
        port = parts.port
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decoding checks the IDNA labels (xn--...) now, not at poll time
        host = parsed.raw_host.decode("ascii")
    except (ValueError, UnicodeError, httpx.InvalidURL) as exc:
        raise ValueError(f"{quoted} is not a valid URL ({exc})") from None
    if not host:
        raise ValueError(f"{quoted} has no host name; write https://host/path")
    if port == 0:
        raise ValueError(f"{quoted}: port 0 cannot be reached; give a port from 1 to 65535")
    if not _ip_literal(host):
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
            raise ValueError(f"{quoted}: {host!r} is not a valid host name")
    return url


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_name(name: str) -> str:
    """`name` when it is a valid feed or watch name; ValueError saying the rule otherwise."""
    if not _NAME.match(name) or len(name) > MAX_NAME:
        raise ValueError(
            f"{shown(name)} is not a valid name: up to {MAX_NAME} letters, digits, "
            "'-', '_' or '.', starting with a letter or digit"
        )
    return name


def check_email(address: str) -> str:
    """`address` when it is a plain e-mail address; ValueError otherwise."""
    if not _EMAIL.match(address) or len(address) > 254:
        raise ValueError(f'{shown(address, 60)} is not an e-mail address; write "name@example.org"')
    return address


def is_webhook_secret(value: str) -> bool:
    """Whether `value` is whsec_ followed by base64 of at least one byte (the secret itself
    never enters a message)."""
    if not value.startswith("whsec_"):
        return False
    try:
        return bool(base64.b64decode(value.removeprefix("whsec_"), validate=True))
    except (binascii.Error, ValueError):
        return False
