"""The vocabulary of actors and issues: bundled TOML data, user overrides, validation."""

from monitor.vocab.loader import (
    build_vocabulary,
    bundled_files,
    load_file,
    load_vocabulary,
    parse_text,
)
from monitor.vocab.model import Alias, AliasConflict, Entry, Role, Vocabulary

__all__ = [
    "Alias",
    "AliasConflict",
    "Entry",
    "Role",
    "Vocabulary",
    "build_vocabulary",
    "bundled_files",
    "load_file",
    "load_vocabulary",
    "parse_text",
]
