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


def test_dockerfile_installs_the_package() -> None:
    """The Dockerfile installs the project and runs the daemon."""
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text
    assert '"monitor", "run"' in text
