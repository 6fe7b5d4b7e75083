"""The desk's routes: GET / (matches), /desk/articles/ID, /desk/trends, /desk/watches,
/desk/feeds, /desk/alerts, /desk/matches.atom, and the login form."""

import hmac
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from monitor import atom
from monitor.clock import utcnow
from monitor.config import Config, Settings
from monitor.errors import shown
from monitor.match import Matcher, compile_matcher
from monitor.store import Store
from monitor.store.filters import MAX_ID, check_name
from monitor.store.queries import FilterError, MatchFilter, parse_when
from monitor.timefmt import iso_z
from monitor.types import MatchRow, Tag
from monitor.vocab import Vocabulary, load_vocabulary
from monitor.web import auth
from monitor.web.render import (
    PALETTE,
    Series,
    Span,
    days_between,
    highlight,
    name_spans,
    query_url,
    trend_svg,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE = 25  # matches per page of the desk
ALERT_STATES = ("pending", "failed", "dead", "delivered")
TREND_DAYS = 30
MAX_SERIES = 10
LOGIN_BODY_MAX = 8192
GRID = 10  # actors (rows) and issues (columns) of the co-occurrence table
_IDS = re.compile(r"[\s,]+")

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@lru_cache(maxsize=4)
def _vocabulary(files: tuple[Path, ...]) -> Vocabulary | None:
    """The vocabulary of feeds.toml (None when it does not load: highlights then fall back
    to the tags' names, and the filter form offers no ids)."""
    try:
        return load_vocabulary(files)
    except Exception:  # a vocabulary changed on disk since start must not break the pages
        log.warning("desk.vocabulary_unavailable", exc_info=True)
        return None


@lru_cache(maxsize=4)
def _matcher(files: tuple[Path, ...]) -> Matcher | None:
    """The vocabulary's matcher, to find the matched words in stored texts."""
    vocab = _vocabulary(files)
    return None if vocab is None else compile_matcher(vocab)


def _known(files: tuple[Path, ...], kind: str) -> list[tuple[str, str]]:
    """(id, name) of the vocabulary's actors or issues, by name: the form's suggestions."""
    vocab = _vocabulary(files)
    entries = [] if vocab is None else [e for e in vocab if e.kind == kind and e.blocker_of is None]
    return sorted(((e.id, e.name) for e in entries), key=lambda pair: pair[1].lower())


def _ids(values: Sequence[str] | None) -> list[str]:
    """Ids from repeated parameters, each possibly 'a, b c'; empty ones dropped."""
    return [v for raw in values or () for v in _IDS.split(raw) if v]


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _fmt(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _iso(value: datetime | None) -> str:
    return iso_z(value) if value else ""


_env.filters["when"] = _fmt
_env.filters["iso"] = _iso


class _Problem(Exception):
    """A filter the user typed that cannot be used: shown on the page, status 400."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def _when(name: str, raw: str | None, now: datetime) -> datetime | None:
    if raw is None:
        return None
    try:
        when = parse_when(raw, now, end=name == "until")
    except ValueError as exc:
        raise _Problem(name, str(exc)) from None
    if not 1970 <= when.year <= 2999:
        raise _Problem(name, f"{shown(raw)} is outside the years 1970-2999")
    return when


def mount_desk(app: FastAPI, store: Store, config: Config | None, settings: Settings) -> None:
    """Add the desk's pages and static files to `app`."""
    token = settings.api_token.get_secret_value() if settings.api_token else None
    configured = {w.name: w for w in (config.watches if config else ())}
    vocab_files = tuple(config.vocabulary) if config else ()
    app.mount(auth.STATIC.rstrip("/"), StaticFiles(directory=HERE / "static"), name="desk_static")

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = _env.get_template(template).render(
            request=request, path=request.url.path, token_required=token is not None, **context
        )
        return HTMLResponse(
            body,
            status_code=status,
            headers={
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin",
                "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                "frame-ancestors 'none'",
            },
        )

    def evidence_of(row_text_tags: Sequence[Tag], limit: int = 2) -> list[Any]:
        """The distinct evidence sentences of a match's tags (about first), each with the
        matched words of its tags highlighted."""
        matcher = _matcher(vocab_files)
        ids = {t.id: t for t in row_text_tags}
        out: list[Any] = []
        seen: set[str] = set()
        for tag in row_text_tags:
            sentence = tag.evidence.text
            if not sentence or sentence in seen:
                continue
            seen.add(sentence)
            marks: list[Span] = []
            if matcher is not None:
                marks = [
                    (s.start, s.end, f"hit {ids[s.tag_id].kind}")
                    for s in matcher.spans(sentence)
                    if s.tag_id in ids
                ]
            found = {sentence[s:e].lower() for s, e, _ in marks}
            marks += [
                m
                for m in name_spans(sentence, [(t.name, f"hit {t.kind}") for t in row_text_tags])
                if sentence[m[0] : m[1]].lower() not in found
            ]
            out.append(highlight(sentence, marks))
            if len(out) >= limit:
                break
        return out

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, name="desk_matches")
    def desk_matches(
        request: Request,
        actor: Annotated[list[str] | None, Query()] = None,
        issue: Annotated[list[str] | None, Query()] = None,
        watch: str | None = None,
        feed: str | None = None,
        since: str | None = None,
        until: str | None = None,
        text: str | None = None,
        cursor: str | None = None,
    ) -> HTMLResponse:
        now = utcnow()
        actors, issues = _ids(actor), _ids(issue)
        form = {
            "actor": " ".join(actors),
            "issue": " ".join(issues),
            "watch": _blank(watch),
            "feed": _blank(feed),
            "since": _blank(since),
            "until": _blank(until),
            "text": _blank(text),
        }
        params: dict[str, Any] = {
            "actor": actors,
            "issue": issues,
            "watch": form["watch"],
            "feed": form["feed"],
            "since": form["since"],
            "until": form["until"],
            "text": form["text"],
        }
        problem: _Problem | None = None
        rows: Sequence[MatchRow] = ()
        next_url = None
        try:
            flt = MatchFilter(
                actors=tuple(actors),
                issues=tuple(issues),
                watch=form["watch"],
                feed=form["feed"],
                since=_when("since", form["since"], now),
                until=_when("until", form["until"], now),
                text=form["text"],
                limit=PAGE,
                cursor=_blank(cursor),
            )
            found = store.find_matches(flt)
            rows = found.items
            if found.next_cursor:
                next_url = query_url("/", {**params, "cursor": found.next_cursor})
        except FilterError as exc:
            problem = _Problem(exc.field, exc.reason)
        except _Problem as exc:
            problem = exc
        vocab = _vocabulary(vocab_files)
        unknown = (
            []
            if vocab is None
            else [i for i in dict.fromkeys((*actors, *issues)) if vocab.get(i) is None]
        )
        items = [
            {
                "row": r,
                "tags": (*r.actors, *r.issues),
                "evidence": evidence_of(
                    sorted((*r.actors, *r.issues), key=lambda t: t.level != "about")
                ),
            }
            for r in rows
        ]
        feeds = sorted(f.name for f in store.feed_health())
        # suggestions from configuration, not from counting stored rows (the page stays fast)
        watches = sorted(set(configured) | ({form["watch"]} if form["watch"] else set()))
        filtered = any(v for v in params.values())
        return page(
            request,
            "matches.html",
            status=400 if problem else 200,
            items=items,
            form=form,
            problem=problem,
            next_url=next_url,
            unknown=unknown,
            first_url=query_url("/", params) if cursor else None,
            atom_url=query_url("/desk/matches.atom", params),
            feeds=feeds,
            watches=watches,
            known_actors=_known(vocab_files, "actor"),
            known_issues=_known(vocab_files, "issue"),
            filtered=filtered,
            params=params,
            query_url=query_url,
            title="Matches",
        )

    @app.get("/desk/matches.atom", include_in_schema=False, name="desk_atom")
    def desk_atom(
        request: Request,
        actor: Annotated[list[str] | None, Query()] = None,
        issue: Annotated[list[str] | None, Query()] = None,
        watch: str | None = None,
        feed: str | None = None,
        since: str | None = None,
        until: str | None = None,
        text: str | None = None,
    ) -> Response:
        now = utcnow()
        actors, issues = _ids(actor), _ids(issue)
        try:
            flt = MatchFilter(
                actors=tuple(actors),
                issues=tuple(issues),
                watch=_blank(watch),
                feed=_blank(feed),
                since=_when("since", _blank(since), now),
                until=_when("until", _blank(until), now),
                text=_blank(text),
                limit=50,
            )
        except (FilterError, _Problem) as exc:
            return Response(
                f"invalid parameter {exc.field}: {exc.reason}\n",
                status_code=400,
                media_type="text/plain; charset=utf-8",
            )
        rows = store.find_matches(flt).items
        label = (
            " ".join(
                [
                    *(f"actor:{a}" for a in actors),
                    *(f"issue:{i}" for i in issues),
                    *(
                        f"{k}:{v}"
                        for k, v in (("watch", watch), ("feed", feed), ("text", text))
                        if _blank(v)
                    ),
                ]
            )
            or "all"
        )
        body = atom.watch_feed(f"desk {label}", rows, self_url=str(request.url), now=now)
        return Response(content=body, media_type=atom.MEDIA_TYPE)

    @app.get(
        "/desk/articles/{article_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
        name="desk_article",
    )
    def desk_article(request: Request, article_id: str) -> HTMLResponse:
        usable = article_id.isascii() and article_id.isdigit() and len(article_id) < 20
        found = (
            store.get_article(int(article_id))
            if usable and 1 <= int(article_id) <= MAX_ID
            else None
        )
        if found is None:
            return page(
                request,
                "missing.html",
                status=404,
                title="No such article",
                what=f"No stored article has the id {shown(article_id)}.",
            )
        ids = {t.id: t for t in found.tags}
        matcher = _matcher(vocab_files)
        marks: list[Span] = []
        if matcher is not None:
            marks = [
                (s.start, s.end, f"hit {ids[s.tag_id].kind}")
                for s in matcher.spans(found.text)
                if s.tag_id in ids
            ]
        if not marks:
            marks = name_spans(found.text, [(t.name, f"hit {t.kind}") for t in found.tags])
        sentences = [
            (t.evidence.start, t.evidence.end, "evidence")
            for t in found.tags
            if t.evidence.end > t.evidence.start
        ]
        return page(
            request,
            "article.html",
            title=found.title or found.url,
            article=found,
            body=highlight(found.text, marks, sentences=sentences),
            watches=store.article_watches(found.id),
            alerts=store.article_alerts(found.id),
            evidence={t.id: evidence_of([t], 1) for t in found.tags},
            query_url=query_url,
        )

    @app.get(
        "/desk/trends", response_class=HTMLResponse, include_in_schema=False, name="desk_trends"
    )
    def desk_trends(
        request: Request,
        tag: Annotated[list[str] | None, Query()] = None,
        since: str | None = None,
        until: str | None = None,
    ) -> HTMLResponse:
        now = utcnow()
        form = {"tag": " ".join(_ids(tag)), "since": _blank(since), "until": _blank(until)}
        problem = None
        try:
            start = _when("since", form["since"], now)
            end = _when("until", form["until"], now)
        except _Problem as exc:
            problem, start, end = exc, None, None
        try:
            for one in _ids(tag):
                check_name("tag", one)
        except FilterError as exc:
            problem, tag = problem or _Problem(exc.field, exc.reason), None
        end_day = (end - timedelta(microseconds=1)).date() if end else now.date()
        start_day = start.date() if start else end_day - timedelta(days=TREND_DAYS - 1)
        if start_day > end_day:
            problem = problem or _Problem("since", "is after until")
            start_day = end_day - timedelta(days=TREND_DAYS - 1)
        if (end_day - start_day).days > 366:
            problem = problem or _Problem("since", "a trend spans at most 366 days")
            start_day = end_day - timedelta(days=366)
        lo = datetime.combine(start_day, time(), tzinfo=UTC)
        hi = datetime.combine(end_day + timedelta(days=1), time(), tzinfo=UTC)
        known = {t.id: t for t in store.top_tags(lo, hi, limit=300)}
        chosen = _ids(tag)[:MAX_SERIES] or list(known)[:5]
        vocab = _vocabulary(vocab_files)
        unknown: list[str] = []
        counts = store.tag_days(chosen, lo, hi)
        series = []
        for tag_id in chosen:
            info = known.get(tag_id)
            entry = vocab.get(tag_id) if vocab is not None else None
            kind = info.kind if info else entry.kind if entry else "actor"
            name = info.name if info else entry.name if entry else tag_id
            if info is None and entry is None:
                unknown.append(tag_id)
            series.append(
                Series(
                    tag_id,
                    kind,
                    name,
                    counts.get(tag_id, {}),
                    query_url("/", {"actor" if kind == "actor" else "issue": tag_id}),
                )
            )
        days = days_between(start_day, end_day)
        tops = list(known.values())  # most tagged first: one read serves the table too
        grid = store.cooccurrence(
            lo,
            hi,
            [t for t in tops if t.kind == "actor"][:GRID],
            [t for t in tops if t.kind == "issue"][:GRID],
        )
        return page(
            request,
            "trends.html",
            status=400 if problem else 200,
            title="Trends",
            problem=problem,
            form=form,
            series=series,
            days=days,
            unknown=unknown,
            chart=trend_svg(series, days) if series else None,
            grid=grid,
            known=sorted(known.values(), key=lambda t: (t.kind, t.name)),
            start_day=start_day,
            end_day=end_day,
            query_url=query_url,
            palette=PALETTE,
        )

    @app.get(
        "/desk/watches", response_class=HTMLResponse, include_in_schema=False, name="desk_watches"
    )
    def desk_watches(request: Request) -> HTMLResponse:
        today = utcnow().date()
        days = days_between(today - timedelta(days=13), today)
        per_day = store.watch_days(datetime.combine(days[0], time(), tzinfo=UTC))
        stored = {w.name: w for w in store.list_watches()}
        rows = []
        for name in sorted(set(configured) | set(stored)):
            spec, seen = configured.get(name), stored.get(name)
            rows.append(
                {
                    "name": name,
                    "spec": spec,
                    "matches": seen.matches if seen else 0,
                    "last": seen.last_match if seen else None,
                    "days": [(d, per_day.get(name, {}).get(d, 0)) for d in days],
                }
            )
        return page(
            request, "watches.html", title="Watches", rows=rows, days=days, query_url=query_url
        )

    @app.get("/desk/feeds", response_class=HTMLResponse, include_in_schema=False, name="desk_feeds")
    def desk_feeds(request: Request) -> HTMLResponse:
        return page(
            request, "feeds.html", title="Feeds", feeds=store.feed_health(), query_url=query_url
        )

    @app.get(
        "/desk/alerts", response_class=HTMLResponse, include_in_schema=False, name="desk_alerts"
    )
    def desk_alerts(request: Request, state: str | None = None) -> HTMLResponse:
        state = _blank(state)
        problem = None
        if state is not None and state not in ALERT_STATES:
            problem = _Problem("state", f"is one of {', '.join(ALERT_STATES)}, not {shown(state)}")
            state = None
        return page(
            request,
            "alerts.html",
            status=400 if problem else 200,
            title="Alerts",
            problem=problem,
            state=state,
            states=ALERT_STATES,
            counts=store.outbox_states(),
            alerts=store.outbox_entries(state),
        )

    @app.get(auth.LOGIN, response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str | None = None) -> HTMLResponse:
        return page(request, "login.html", title="Sign in", next=auth.safe_next(next), failed=False)

    @app.post(auth.LOGIN, include_in_schema=False)
    async def login(request: Request) -> Response:
        body = await request.body()
        if len(body) > LOGIN_BODY_MAX:
            return Response(
                "the sign-in form is a token and a path, nothing bigger\n",
                status_code=413,
                media_type="text/plain; charset=utf-8",
            )
        form = parse_qs(body.decode("utf-8", "replace"))
        given = (form.get("token") or [""])[0].strip()
        target = auth.safe_next((form.get("next") or ["/"])[0])
        if token is not None and not hmac.compare_digest(given.encode(), token.encode()):
            log.info("desk.login_refused")
            return page(
                request, "login.html", status=401, title="Sign in", next=target, failed=True
            )
        done = RedirectResponse(target, status_code=303)
        if token is not None:
            done.set_cookie(
                auth.COOKIE,
                auth.cookie_value(token),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                max_age=30 * 86400,
            )
        return done

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        done = RedirectResponse(auth.LOGIN, status_code=303)
        done.delete_cookie(auth.COOKIE)
        return done
