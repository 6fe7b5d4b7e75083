"""Importing the composition root or the CLI loads no heavy dependency, and monitor's imports
have no cycle: both checked on the real interpreter and the real source tree."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "monitor"

# Each costs tens to hundreds of milliseconds to import (python -X importtime, this
# machine): extraction (trafilatura, lxml), parsing (feedparser), stories (datasketch, numpy,
# scipy), the channels (apprise, aiosmtplib, standardwebhooks), the HTTP client (httpx), the
# database (sqlalchemy, sqlmodel, alembic, psycopg), the scheduler, the API and the desk
# (fastapi, uvicorn, jinja2), the feeds.toml editor (tomlkit), the browser tests (playwright).
HEAVY = (
    "trafilatura",
    "lxml",
    "feedparser",
    "datasketch",
    "numpy",
    "scipy",
    "apprise",
    "aiosmtplib",
    "standardwebhooks",
    "httpx",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "apscheduler",
    "fastapi",
    "uvicorn",
    "jinja2",
    "tomlkit",
    "playwright",
    "ahocorasick_rs",
)


def loaded_after(*modules: str) -> set[str]:
    """Top-level packages in sys.modules of a fresh interpreter once it imported `modules`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["monitor.app", "monitor.cli", "monitor.cli.common"])
def test_importing_loads_no_heavy_dependency(module: str) -> None:
    """`import monitor.app` (the composition root) and `import monitor.cli` load none of the
    heavy packages: each is imported where it is first used (it loaded trafilatura through
    monitor.pipeline -> monitor.extract)."""
    assert loaded_after(module) & set(HEAVY) == set()


def test_the_store_loads_no_sketching_library() -> None:
    """Read commands open the store and never sketch a story: `import monitor.store` loads
    neither datasketch nor the scipy it pulls in (half a second), only the first sketch does."""
    assert loaded_after("monitor.store") & {"datasketch", "scipy"} == set()
    assert _sketches_load_datasketch()  # and the probe can see it when it does


def _sketches_load_datasketch() -> bool:
    code = (
        "import sys\nfrom monitor.stories import sketch\nsketch('one two three four')\n"
        "print('datasketch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return done.stdout.strip() == "True"


def test_the_probe_sees_heavy_imports() -> None:
    """The check can fail: importing the pipeline does load feedparser and httpx."""
    assert {"feedparser", "httpx"} <= loaded_after("monitor.pipeline")


def test_the_channel_interface_loads_no_backend() -> None:
    """`monitor.alerts.base` (what every backend imports) imports no backend: only the
    factory, which the composition root imports, knows them."""
    loaded = loaded_after("monitor.alerts.base", "monitor.alerts.relay")
    assert {"apprise", "aiosmtplib", "standardwebhooks"} & loaded == set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement run at some point (module level or inside a function), but
    not those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        if isinstance(node, ast.If) and _type_checking(node.test):
            found += _imports(node.orelse)
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, ()):
                found += _imports(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return found


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in modules:
                    edges.add(target)
                elif base in modules:
                    edges.add(base)
        edges.discard(name)
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (depth first), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_monitor_has_no_import_cycle() -> None:
    """No module of monitor imports, directly or through others (function-level imports
    included), a module that imports it back: `alerts/base.py` building its own backends was
    the only cycle."""
    assert _cycle(_graph(_modules())) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The finder reports a cycle when there is one (the old alerts/base <-> webhook shape)."""
    graph = {
        "monitor.alerts.base": {"monitor.alerts.webhook"},
        "monitor.alerts.webhook": {"monitor.alerts.base"},
        "monitor.app": set(),
    }
    assert _cycle(graph) == ["monitor.alerts.base", "monitor.alerts.webhook", "monitor.alerts.base"]
