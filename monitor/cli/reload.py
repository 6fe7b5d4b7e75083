"""`monitor reload`: ask the running daemons to re-read feeds.toml, through the database."""

import time
from typing import Annotated

import typer

from monitor.cli.common import (
    DB_HINT,
    fail,
    fix_hint,
    settings_or_fail,
    stderr_console,
    store_or_fail,
)
from monitor.clock import utcnow
from monitor.errors import MonitorError


def register(app: typer.Typer) -> None:
    """Add `reload`."""

    @app.command("reload")
    def reload(
        wait: Annotated[
            float,
            typer.Option(
                "--wait", min=0, help="Seconds to wait for a daemon's answer (0: do not wait)."
            ),
        ] = 30.0,
    ) -> None:
        """Make running daemons re-read feeds.toml and the vocabulary files (as SIGHUP does).

        The request goes through the database, so it reaches every `monitor run` on it,
        on any host; each looks at its next tick (every 5 s). A bad file is refused: the
        daemon keeps its running configuration and the error is printed here.
        """
        settings = settings_or_fail()
        with store_or_fail(settings) as store:
            err = stderr_console()
            try:
                asked = utcnow()
                store.request_control("reload", asked)
                if wait == 0:
                    err.print(
                        "monitor: reload requested; running daemons pick it up within a tick",
                        highlight=False,
                    )
                    return
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline:
                    state = store.control_state("reload")
                    if state.answered_at is not None and state.answered_at >= asked:
                        answer = state.answer or ""
                        if answer.startswith("refused: "):
                            fail(
                                f"the daemon refused the new configuration: "
                                f"{answer.removeprefix('refused: ')}",
                                fix_hint(
                                    then="run `monitor reload` again; the daemon runs "
                                    "on with its previous configuration"
                                ),
                            )
                        err.print(f"monitor: {answer}", highlight=False)
                        return
                    time.sleep(0.25)
            except MonitorError as exc:
                fail(str(exc), DB_HINT)
        fail(
            f"no daemon answered within {wait:.0f}s",
            "is `monitor run` running on this database (MONITOR_DATABASE_URL)? The request "
            "stays: a daemon running now acts on it at its next tick",
        )
