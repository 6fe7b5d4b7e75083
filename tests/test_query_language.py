"""The watch query language: parsing, errors with positions, evaluation."""

import pytest

from monitor.errors import QueryError
from monitor.match.query import QueryDoc, parse_query

DOC = QueryDoc(
    tag_ids=frozenset({"taiwan", "wang-yi", "china"}),
    feed="example-world",
    title="Wang Yi warns on Taiwan",
    text="China’s top diplomat said chip curbs hurt trade. The U.S. disagreed with "
    "Beijing on export controls.",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("issue:taiwan AND (actor:antony-blinken OR actor:wang-yi)", True),
        ("issue:taiwan AND actor:antony-blinken", False),
        ("feed:example-world", True),
        ('feed:"other feed" OR feed:example-world', True),
        ("NOT actor:wang-yi", False),
        ("NOT NOT actor:wang-yi", True),
        ('"chip curbs"', True),
        ('"CHIP  curbs"', True),
        ('"curbs chip"', False),
        ("chips", False),
        ("chip*", True),
        ("diplomat", True),
        ("diplo", False),
        ("china's", True),
        ('"u.s."', True),
        ("warns taiwan", True),
        ("warns nothing", False),
        ("chip NEAR/0 curbs", True),
        ("chip NEAR/2 trade", True),
        ("chip NEAR/1 trade", False),
        ("trade NEAR/2 chip", True),
        ('"export controls" NEAR/3 beijing', True),
        ('warns NEAR/20 "chip curbs"', False),
        ("issue:taiwan OR issue:tiktok AND issue:huawei", True),
        ("(issue:taiwan OR issue:tiktok) AND issue:huawei", False),
    ],
)
def test_evaluation(query: str, expected: bool) -> None:
    """Operators, fields, words, phrases, prefixes and NEAR behave as documented."""
    assert parse_query(query).evaluate(DOC) is expected


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("", 0, "empty query"),
        ("   ", 3, "empty query"),
        ("(issue:taiwan", 0, "missing ')'"),
        ("issue:taiwan)", 12, "unbalanced ')'"),
        ("issue:taiwan AND", 16, "ends where a term"),
        ("issue:taiwan OR OR x", 16, "expected a term"),
        ("topic:taiwan", 0, "unknown field"),
        ("actor:", 0, "needs a value"),
        ('"open phrase', 0, "unterminated quote"),
        ("a NEAR/x b", 2, "NEAR needs a distance"),
        ("a NEAR/3 actor:wang-yi", 9, "NEAR joins words"),
        ("()", 1, "empty parentheses"),
        ('"..."', 0, "letters or digits"),
    ],
)
def test_errors_point_at_the_position(query: str, position: int, words: str) -> None:
    """Malformed queries raise QueryError with the 0-based position of the fault."""
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert caught.value.query == query
    assert words in str(caught.value)


def test_referenced_ids_and_validation() -> None:
    """The ids a query names are listed; unknown or wrong-kind ids fail at their position."""
    query = parse_query("issue:taiwan AND (actor:wang-yi OR actor:nobody)")
    assert query.referenced_ids() == frozenset({"taiwan", "wang-yi", "nobody"})
    known = {"taiwan": "issue", "wang-yi": "actor"}
    with pytest.raises(QueryError) as caught:
        query.validate(known)
    assert caught.value.position == query.source.index("actor:nobody")
    with pytest.raises(QueryError, match="is an issue"):
        parse_query("actor:taiwan").validate(known)
    parse_query("issue:taiwan actor:wang-yi").validate(known)


@pytest.mark.parametrize(
    ("query", "position", "meant"),
    [
        ("issue:taiwan and actor:wang-yi", 13, "did you mean AND?"),
        ("curbs or tariffs", 6, "did you mean OR?"),
        ("curbs Not tariffs", 6, "did you mean NOT?"),
        ("curbs near/3 tariffs", 6, "did you mean NEAR/3?"),
    ],
)
def test_lowercase_operators_are_refused(query: str, position: int, meant: str) -> None:
    """A lower-case operator would be searched as a word and the watch would never fire: it
    is refused at its position, naming the operator meant."""
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert meant in str(caught.value)


def test_quoted_operator_words_are_searched() -> None:
    """To search the word 'and', quote it."""
    assert parse_query('said "and"').evaluate(DOC) is False
    assert parse_query('curbs OR "and"').evaluate(DOC) is True


@pytest.mark.parametrize(
    "query", ["(" * 5000 + "x" + ")" * 5000, "NOT " * 4000 + "x", "(NOT " * 60 + "x" + ")" * 60]
)
def test_deep_nesting_is_a_query_error(query: str) -> None:
    """Thousands of nested parentheses or NOTs are a QueryError, not a RecursionError."""
    with pytest.raises(QueryError, match=r"nested deeper than|characters long"):
        parse_query(query)


def test_nesting_within_the_bound_parses() -> None:
    """Fifty levels of parentheses still parse and evaluate."""
    assert parse_query("(" * 50 + "curbs" + ")" * 50).evaluate(DOC) is True


def test_unknown_ids_and_feeds_suggest_the_nearest() -> None:
    """An unknown id or feed name names the nearest valid ones."""
    known = {"wang-yi": "actor", "wang-wenbin": "actor", "taiwan": "issue"}
    with pytest.raises(QueryError, match="did you mean wang-yi, wang-wenbin"):
        parse_query("actor:wang").validate(known)
    with pytest.raises(QueryError, match="did you mean taiwan"):
        parse_query("issue:taiwn").validate(known)
    query = parse_query("curbs AND feed:reuters-wrld")
    with pytest.raises(
        QueryError, match="unknown feed 'reuters-wrld'; did you mean reuters-world"
    ) as caught:
        query.validate_feeds(["reuters-world", "ap-top"])
    assert caught.value.position == query.source.index("feed:")
    query.validate_feeds(["reuters-wrld"])
