"""The read-only HTTP API: a FastAPI app over the Store (matches, articles, feeds, watches)."""

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from monitor import atom, metrics
from monitor.clock import utcnow
from monitor.config import Config, Settings
from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.filters import MAX_ID, check_name
from monitor.store.queries import MAX_PAGE, FilterError, MatchFilter, parse_when
from monitor.timefmt import iso_z
from monitor.views import article_json, feed_json, match_json
from monitor.web import auth as desk_auth
from monitor.web import mount_desk

log = logging.getLogger(__name__)

# Probes (load balancers, compose health checks) cannot always send a token; /healthz tells
# them only whether the database answers.
OPEN_PATHS = frozenset({"/healthz"})
ATOM_LIMIT = 50


def _problem(field: str, reason: str, where: str = "query") -> HTTPException:
    detail = [{"loc": [where, field], "msg": reason, "type": "value_error"}]
    return HTTPException(status_code=422, detail=detail)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 whose `message` says which parameter is wrong and why (FastAPI's detail kept)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = [f"{e['loc'][-1]}: {e['msg']}" for e in errors]
    body = {"message": "invalid parameter " + "; ".join(parts), "detail": errors}
    return JSONResponse(status_code=422, content=jsonable(body))


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("api.store_error path=%s error=%s", request.url.path, exc)
    return JSONResponse(status_code=503, content={"message": "database unavailable"})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if isinstance(detail, list):
        message = "invalid parameter " + "; ".join(f"{d['loc'][-1]}: {d['msg']}" for d in detail)
    else:
        message = str(detail)
    return JSONResponse(
        status_code=exc.status_code,
        content={"message": message, "detail": detail},
        headers=exc.headers,
    )


def jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 with Z, recursively (the CLI's JSON rendering)."""
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _auth_middleware(token: str) -> Callable[..., Awaitable[Response]]:
    expected = token.encode()

    async def check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path not in OPEN_PATHS and not desk_auth.is_open(path):
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            ok = scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), expected
            )
            if not ok and desk_auth.is_desk(path):  # the desk: the login form's cookie too
                if desk_auth.cookie_ok(request, token):
                    return await call_next(request)
                return desk_auth.login_redirect(request)
            if not ok:
                log.info("api.unauthorised path=%s", request.url.path)
                return JSONResponse(
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="monitor"'},
                    content={
                        "message": "missing or wrong bearer token; send "
                        "'Authorization: Bearer <MONITOR_API_TOKEN>'"
                    },
                )
        return await call_next(request)

    return check


def match_filter(
    actor: list[str],
    issue: list[str],
    watch: str | None,
    feed: str | None,
    since: str | None,
    until: str | None,
    text: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    *,
    all_copies: bool = False,
    story: int | None = None,
) -> MatchFilter:
    """The MatchFilter these query parameters describe; HTTP 422 naming the bad one."""
    times: dict[str, datetime | None] = {}
    for name, raw in (("since", since), ("until", until)):
        try:
            times[name] = None if raw is None else parse_when(raw, now, end=name == "until")
        except ValueError as exc:
            raise _problem(name, str(exc)) from None
    try:
        return MatchFilter(
            actors=tuple(actor),
            issues=tuple(issue),
            watch=watch,
            feed=feed,
            since=times["since"],
            until=times["until"],
            text=text,
            limit=limit,
            cursor=cursor,
            all_copies=all_copies,
            story=story,
        )
    except FilterError as exc:
        raise _problem(exc.field, exc.reason) from None


def _refuse_unknown(store: Store, config: Config | None, flt: MatchFilter) -> None:
    """422 naming an actor, issue, watch or feed that names nothing (with the nearest)."""
    from monitor.known import known_names, unknown_name

    wrong = unknown_name(
        known_names(store, config),
        actors=flt.actors,
        issues=flt.issues,
        watch=flt.watch,
        feed=flt.feed,
    )
    if wrong is not None:
        raise _problem(*wrong)


def create_app(store: Store, config: Config | None, settings: Settings) -> FastAPI:
    """The API over `store`; `config` names the watches; a set api_token requires Bearer auth."""
    app = FastAPI(
        title="monitor",
        version="1",
        docs_url=None,
        redoc_url=None,
        description="Read-only access to the matches monitor stored.",
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StoreError, _store_error)
    if settings.api_token is not None:
        app.middleware("http")(_auth_middleware(settings.api_token.get_secret_value()))
    configured = {w.name: w for w in (config.watches if config else ())}

    @app.get("/matches", summary="Stored matches, newest first, one page at a time")
    def matches(
        actor: Annotated[
            list[str] | None, Query(description="actor id; repeat: all must hold")
        ] = None,
        issue: Annotated[
            list[str] | None, Query(description="issue id; repeat: all must hold")
        ] = None,
        watch: Annotated[str | None, Query(description="watch name")] = None,
        feed: Annotated[str | None, Query(description="feed name")] = None,
        since: Annotated[str | None, Query(description="ISO date/datetime or 7d")] = None,
        until: Annotated[str | None, Query(description="ISO date/datetime or 1d")] = None,
        text: Annotated[str | None, Query(description="full-text search")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
        all_copies: Annotated[
            bool, Query(description="every copy of a story (default: one entry per story)")
        ] = False,
        story: Annotated[int | None, Query(description="only this story's copies")] = None,
    ) -> dict[str, Any]:
        flt = match_filter(
            actor or [],
            issue or [],
            watch,
            feed,
            since,
            until,
            text,
            limit,
            cursor,
            utcnow(),
            all_copies=all_copies,
            story=story,
        )
        page = store.find_matches(flt)
        if not page.items and cursor is None:  # an empty answer may be a typo: say which
            _refuse_unknown(store, config, flt)
        return {
            "items": jsonable([match_json(m) for m in page.items]),
            "next_cursor": page.next_cursor,
        }

    @app.get("/articles/{article_id}", summary="One stored article with tags and evidence")
    def article(article_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
        found = store.get_article(article_id)
        if found is None:
            raise HTTPException(404, f"no article with id {article_id}")
        return dict(jsonable(article_json(found, store.article_watches(article_id))))

    @app.get("/feeds", summary="Each feed's health")
    def feeds() -> list[dict[str, Any]]:
        return [jsonable(feed_json(f)) for f in store.feed_health()]

    @app.get("/watches", summary="Configured watches with their match counts")
    def watches(request: Request) -> list[dict[str, Any]]:
        stored = {w.name: w for w in store.list_watches()}
        out = []
        for name in sorted(set(configured) | set(stored)):
            spec, seen = configured.get(name), stored.get(name)
            out.append(
                jsonable(
                    {
                        "name": name,
                        "configured": spec is not None,
                        "query": spec.query if spec else None,
                        "notify": list(spec.notify) if spec else [],
                        "matches": seen.matches if seen else 0,
                        "last_match": seen.last_match if seen else None,
                        "atom": str(request.url_for("watch_atom", name=name)),
                    }
                )
            )
        return out

    @app.get(
        "/watches/{name}.atom",
        name="watch_atom",
        response_class=Response,
        summary="Atom feed of a watch's newest matches",
        responses={200: {"content": {"application/atom+xml": {}}}},
    )
    def watch_atom(name: str, request: Request) -> Response:
        try:
            check_name("name", name)
        except FilterError as exc:
            raise _problem(exc.field, exc.reason, where="path") from None
        rows = store.watch_matches(name, ATOM_LIMIT)
        if not rows and name not in configured:
            raise HTTPException(404, f"no watch named {name!r}")
        body = atom.watch_feed(name, rows, self_url=str(request.url), now=utcnow())
        return Response(content=body, media_type=atom.MEDIA_TYPE)

    mount_desk(app, store, config, settings)

    @app.get("/healthz", summary="200 when the database answers, 503 otherwise")
    def healthz() -> JSONResponse:
        if store.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse(
            {"status": "unavailable", "message": "database does not answer"}, status_code=503
        )

    @app.get("/metrics", response_class=Response, summary="Prometheus text format")
    def prometheus() -> Response:
        return Response(
            content=metrics.render(store.metrics_counts()), media_type=metrics.MEDIA_TYPE
        )

    return app
