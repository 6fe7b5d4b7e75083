"""The Lee corpus: short real news articles shipped in the test data of gensim's wheel on PyPI.

Two files of `gensim==4.4.0` (LGPL-2.1; `gensim/test/test_data/`): `lee_background.cor`
(300 articles, UTF-8) and `lee.cor` (50 articles, Latin-1), one article per line, Australian
Broadcasting Corporation news of about December 2001 (Lee, Pincombe and Welsh, 2005). A gold
row names an article as `"<file>:<line>"` (1-based). The text is never copied into the project:
it is read from a cache directory, filled on first use by `pip download` from PyPI (a package
registry) and checked against the digests below.

    python bench/lee.py           # fill the cache (or say why it cannot)
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

VERSION = "4.4.0"
FILES = {  # file -> (encoding, sha256 of its bytes)
    "lee_background.cor": (
        "utf-8",
        "5d78d6dafd953bbf65797bef09a9ffb9ec430583381be705f8fd460000f370fb",
    ),
    "lee.cor": ("latin-1", "a878f9a58f6743c32985c56c2f2f75988386216b38a4023a01fd3bcf7884d93e"),
}
CACHE = Path(
    os.environ.get("MONITOR_LEE_DIR", Path.home() / ".cache" / "monitor-bench" / "lee")
).expanduser()


class Unavailable(Exception):
    """The corpus could not be read or fetched; the message says why and what to do."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(directory: Path) -> bool:
    return all(
        (directory / name).is_file() and _digest(directory / name) == sha
        for name, (_, sha) in FILES.items()
    )


def fetch(directory: Path = CACHE) -> Path:
    """The directory holding both files, downloading gensim's wheel into it if needed."""
    if _complete(directory):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", f"gensim=={VERSION}", "--dest", tmp,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("gensim-*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise Unavailable(
                f"cannot download gensim=={VERSION} from PyPI ({last}); "
                f"put {', '.join(FILES)} from its wheel in {directory} or set MONITOR_LEE_DIR"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in FILES:
                (directory / name).write_bytes(wheel.read(f"gensim/test/test_data/{name}"))
    if not _complete(directory):
        raise Unavailable(f"the files in {directory} do not match gensim {VERSION}'s digests")
    return directory


@cache
def _lines(name: str) -> tuple[str, ...]:
    encoding, _ = FILES[name]
    return tuple((fetch() / name).read_text(encoding=encoding).splitlines())


def document(ref: str) -> tuple[str, str]:
    """(headline, text) of one article, by its gold reference "<file>:<line>": the articles
    have no headline."""
    name, _, line = ref.rpartition(":")
    if name not in FILES:
        raise Unavailable(f"unknown Lee corpus file {name!r} in {ref!r}")
    return "", _lines(name)[int(line) - 1].strip()


if __name__ == "__main__":
    try:
        print(fetch())
    except Unavailable as exc:
        sys.exit(f"error: {exc}")
