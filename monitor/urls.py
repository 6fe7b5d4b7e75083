"""URL normalisation: one spelling per page (tracking parameters dropped) and fetchability."""

import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "ocid",
        "icid",
        "ncid",
        "s_cid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "xtor",
        "spm",
        "sr_share",
        "smid",
        "smtyp",
        "soc_src",
        "soc_trk",
    }
)
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "at_", "hsa_", "__s")
DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_BAD_HOST = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`%/?#@]")


def is_fetchable(url: str | None) -> bool:
    """True for absolute http(s) URLs with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


def is_tracking(name: str) -> bool:
    """Whether a query parameter only tracks the reader (and never selects the page)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def resolve(url: str | None, base: str | None = None) -> str | None:
    """`url` made absolute against `base`; None unless the result is an http(s) URL."""
    if url is None:
        return None
    # Browsers drop tabs/newlines inside URLs and trim the ends; "java\nscript:" must not pass.
    text = _TAB_NEWLINE.sub("", url).strip(_C0_AND_SPACE)
    if not text:
        return None
    try:
        joined = urljoin(base, text) if base and not _SCHEME.match(text) else text
    except ValueError:
        return None
    return joined if is_fetchable(joined) else None


def normalise_url(url: str | None, base: str | None = None) -> str | None:
    """The canonical spelling of an http(s) URL, or None for anything else.

    Resolves against `base`, lower-cases scheme and host, drops the fragment, default ports,
    empty queries and tracking parameters (utm_*, fbclid, gclid, mc_cid, ...), sorts the rest.
    """
    absolute = resolve(url, base)
    if absolute is None:
        return None
    try:
        parts = urlsplit(absolute)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if not host or _BAD_HOST.search(host):
        return None
    host = host.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _ESCAPE.sub(lambda m: m.group().upper(), quote(parts.path, safe=_PATH_SAFE)) or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))
