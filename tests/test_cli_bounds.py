"""`monitor tag`, `extract` and `vocab suggest` are bounded in size and time: a one-line error
naming the limit and its setting, never a MemoryError or a run without end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [["tag"], ["extract"], ["vocab", "suggest"]]
TEXT = (
    "Foreign Minister Wang Yi met Secretary of State Antony Blinken in Beijing on Tuesday. "
    "The talks on export controls and the South China Sea lasted three hours. "
)


def run(
    args: list[str], *, stdin: bytes = b"", timeout: float = 90, **settings: str
) -> subprocess.CompletedProcess[str]:
    """`python -m monitor ARGS` with MONITOR_* settings, in a directory without feeds.toml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(settings, MONITOR_CONFIG=str(REPO / "tests" / "no-such-feeds.toml"))
    done = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The non-empty lines on stderr."""
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_dev_zero_is_refused_at_the_input_limit(command: list[str]) -> None:
    """/dev/zero (endless) is read up to MONITOR_INPUT_MAX_BYTES (10 MiB by default) and
    refused in one line naming the limit and the setting; the command exits 1."""
    done = run([*command, "/dev/zero"])
    assert done.returncode == 1
    [line] = error_lines(done)
    assert "/dev/zero" in line
    assert "larger than 10,485,760 bytes (MONITOR_INPUT_MAX_BYTES)" in line
    assert "raise MONITOR_INPUT_MAX_BYTES" in line
    assert "Traceback" not in done.stderr


def test_stdin_over_the_limit_is_refused_and_within_it_is_tagged() -> None:
    """The limit is a setting: stdin over it is an error, the same text within it is tagged."""
    body = (TEXT * 40).encode()
    over = run(
        ["tag", "--format", "json", "-"], stdin=body, MONITOR_INPUT_MAX_BYTES=str(len(body) - 1)
    )
    assert over.returncode == 1
    [line] = error_lines(over)
    assert f"larger than {len(body) - 1:,} bytes (MONITOR_INPUT_MAX_BYTES)" in line
    within = run(
        ["tag", "--format", "json", "-"], stdin=body, MONITOR_INPUT_MAX_BYTES=str(len(body))
    )
    assert within.returncode == 0, within.stderr
    assert '"id":"wang-yi"' in within.stdout


SLOW_PAGE = b"<html><body>" + b"<p>Some text here.</p>" * 45_000 + b"</body></html>"  # ~8 s


@pytest.mark.slow
@pytest.mark.parametrize("command", [["extract"], ["tag"]], ids=" ".join)
def test_extraction_stops_at_its_time_limit(tmp_path: Path, command: list[str]) -> None:
    """A page trafilatura needs seconds for is stopped at MONITOR_EXTRACT_TIMEOUT with a
    one-line error naming it; a quick page given with it is still printed."""
    slow = tmp_path / "slow.html"
    slow.write_bytes(SLOW_PAGE)
    quick = tmp_path / "quick.html"
    quick.write_text(
        f"<html><body><article><h1>Talks</h1><p>{TEXT * 5}</p></article></body></html>"
    )
    done = run([*command, "--format", "json", str(slow), str(quick)], MONITOR_EXTRACT_TIMEOUT="1")
    assert done.returncode == 1
    [line] = error_lines(done)
    assert "slow.html" in line
    assert "extraction took over 1 s (MONITOR_EXTRACT_TIMEOUT)" in line
    assert "Wang Yi" in done.stdout or "wang-yi" in done.stdout


@pytest.mark.slow
def test_a_big_page_within_the_limits_is_extracted(tmp_path: Path) -> None:
    """A page over the in-process size (256 KiB) goes to a worker and, within the time
    limit, is extracted as usual."""
    page = tmp_path / "long.html"
    paragraphs = "".join(f"<p>{TEXT} Paragraph {i}.</p>" for i in range(1_800))
    page.write_text(f"<html><body><article><h1>Long talks</h1>{paragraphs}</article></body></html>")
    assert page.stat().st_size > 256 * 1024
    done = run(["extract", "--format", "json", str(page)])
    assert done.returncode == 0, done.stderr
    assert "Paragraph 1799." in done.stdout


@pytest.mark.slow
def test_suggest_stops_at_its_time_limit(tmp_path: Path) -> None:
    """`vocab suggest` on more text than it gets through in MONITOR_SUGGEST_TIMEOUT ends
    with a one-line error naming the setting, not an endless run."""
    big = tmp_path / "big.txt"
    big.write_text(TEXT * 10_000)  # about 1.5 MB: seconds of suggesting, never half of one
    done = run(["vocab", "suggest", str(big)], MONITOR_SUGGEST_TIMEOUT="0.5")
    assert done.returncode == 1
    [line] = error_lines(done)
    assert "suggestions took over 0.5 s (MONITOR_SUGGEST_TIMEOUT)" in line
    assert "raise MONITOR_SUGGEST_TIMEOUT" in line
