"""docker-compose.yml and the Dockerfile describe a runnable stack (no Docker engine here)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_services() -> None:
    """Compose has postgres with a healthcheck, the daemon waiting on it, and mailpit."""
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = doc["services"]
    assert {"postgres", "monitor", "mailpit"} <= set(services)
    pg = services["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    mon = services["monitor"]
    assert mon["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = mon["environment"]
    assert env["MONITOR_DATABASE_URL"].startswith("postgresql://")
    assert env["MONITOR_SMTP_HOST"] == "mailpit"
    assert mon["command"][:2] == ["monitor", "run"]
    assert (ROOT / mon["build"]).resolve() == ROOT


def test_compose_api_migrates_before_it_serves() -> None:
    """On a first start the database is empty and `serve` reads only a migrated one: the api
    service runs `monitor db upgrade` before `monitor serve`, waits for PostgreSQL's health
    check, and is restarted if it stops."""
    api = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["api"]
    script = api["command"][-1]
    assert api["command"][:2] == ["sh", "-c"]
    assert "monitor db upgrade && exec monitor serve" in script
    assert "--host 0.0.0.0" in script
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["restart"] == "unless-stopped"


def test_dockerfile_installs_the_package() -> None:
    """The Dockerfile installs the project and runs the daemon."""
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text
    assert '"monitor", "run"' in text
