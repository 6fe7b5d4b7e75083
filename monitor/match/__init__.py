"""The precise matcher: vocabulary -> automaton -> tags with counts, spans and evidence."""

from monitor.match.matcher import Matcher, Mention, compile_matcher

__all__ = ["Matcher", "Mention", "compile_matcher"]
