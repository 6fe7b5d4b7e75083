"""Who holds a lease: this process's owner name, and whether a named holder is still alive."""

import os
import socket
from functools import cache
from pathlib import Path

# An owner is "place:pid:start": the place is the host and its process namespace (two
# containers with one hostname still differ), the start time tells a reused pid apart.


def _place() -> str:
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()[:100]}{namespace}"


def process_start(pid: int) -> str | None:
    """The process's start time (clock ticks since boot) while it runs; None once it is gone
    or a zombie. Without /proc, "alive" when a signal probe finds it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else _probe(pid)
    except OSError:
        return _probe(pid)
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else "alive"


def _probe(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "alive"


@cache
def _own(pid: int) -> str:
    return f"{_place()}:{pid}:{process_start(pid) or '?'}"


def process_owner() -> str:
    """This process's owner name (computed once per pid)."""
    return _own(os.getpid())


def is_alive(owner: str) -> bool:
    """False only when `owner` ran on this host and that process is gone (or a zombie);
    holders on other hosts count as alive (their leases end by time)."""
    parts = owner.split("/", 1)[0].rsplit(":", 2)  # "/token" tells runtimes of one process apart
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != _place():
        return True
    pid, started = int(parts[1]), parts[2]
    now = process_start(pid)
    if now is None:
        return False
    return "alive" in (now, started) or started == "?" or now == started
