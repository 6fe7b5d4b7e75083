"""Veto contexts: regular expressions around a mention, with `@` standing for the mention."""

import re
from dataclasses import dataclass
from functools import lru_cache

# Shorthands usable inside veto patterns.
MACROS = {
    "<S>": r"(?:^|(?<=[.!?])[\"'”’)\]]*\s+|[\"“‘(]\s*)",  # start of a sentence or a quote
    "<lw>": r"[a-z][a-z'’-]*",  # a lower-case word
    "<W>": r"[A-Z][\w'’-]*",  # a capitalised word
    # a capitalised pinyin syllable that is not also a common English word ("Yu Xi", "Xi Rui")
    "<PY>": (
        r"(?!(?:In|On|To|And|As|At|Be|By|He|Me|We|Or|Of|If|It|Is|Us|Go|No|So|Do|Can|"
        r"Ban|Bans|Run|Fun|Sun|Ring|King|Hang|Bang|Die|Tie|Lie|Due|Sue|Tea|Sea|Pan|Fan|"
        r"Tan|Van|Man|Men|Den|Hen|Pen|Ten|Dig|Big|Gig|Jig|Pig|Wig|Zig|Hi|Ah|Oh|Eh|Uh)\b)"
        r"(?:(?:Zh|Ch|Sh|[BPMFDTNLGKHJQXRZCSYW])(?:iang|iong|uang|ang|eng|ing|ong|uai|uan|"
        r"ian|iao|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v)|"
        r"[AEO](?:i|o|n|ng|r|u)?)\b"
    ),
    # a capitalised word right before a surname that is neither a title nor a function word:
    # most likely someone else's given name ("Gareth Johnson", "Hunter Biden")
    "<GIVEN>": (
        r"(?<![\w'’.-])(?!(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|"
        r"Baroness|Baron|Senator|Sen|Rep|Representative|Governor|Gov|Chancellor|Chairman|"
        r"Chairwoman|Chair|Chairperson|Director|Chief|General|Gen|Admiral|Adm|Envoy|"
        r"Spokesman|Spokeswoman|Spokesperson|Vice|Deputy|Leader|Counselor|Councillor|"
        r"Councilor|Commissioner|Premier|President|Minister|Secretary|Ambassador|King|"
        r"Queen|Prince|Princess|Mayor|Judge|Justice|Officer|Captain|Capt|Colonel|Col|"
        r"Lieutenant|Sergeant|Comrade|Adviser|Advisor|Diplomat|Member|Foreign|Defense|"
        r"Defence|Commerce|Trade|Treasury|State|Security|Affairs|Councilor|Editor|Host|"
        r"And|But|Or|Nor|When|While|As|After|Before|Since|Then|Also|If|Though|Although|"
        r"Because|So|Yet|Meanwhile|However|Both|Neither|Either|Even|Only|Why|How|What|"
        r"Where|Who|Whom|Whose|The|A|An|That|This|These|Those|Said|Says|Told|Tells|Asked|"
        r"Asks|Meets|Met|Hosts|Hosted|Welcomes|Urges|Urged|Warns|Warned|Calls|Called|"
        r"Slams|Praises|Visits|Visited|Thanks|Dear|With|For|From|To|By|Of|On|In|At|"
        r"About|Against|Between|Under|Over|Like|Unlike|Did|Does|Do|Will|Would|Can|Could|"
        r"Should|May|Might|Must|Has|Have|Had|Is|Was|Are|Were|Not|No|Yes|Now|Today|"
        r"Yesterday|Tomorrow|Here|There|Instead|Indeed|Still|Later|Earlier|Recently|"
        r"Last|Next|First|Finally|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
        r"Sunday|January|February|March|April|June|July|August|September|October|"
        r"November|December|Photo|Pictured|Via|Per|Let|Please|Tell|Ask|Let|Unless|Until|"
        r"Whether|Once|Whereas|Just|Tonight|Overnight|Reuters|AP|AFP|Despite|During|"
        r"Following|Among|Amid|Amongst|Without|Within|Through|Across|Behind|Beyond|Along|"
        r"Around|Toward|Towards|Upon|Including|Except|Given|Ahead|Near|Outside|Inside|"
        r"Alongside|Beside|Besides|Regarding|Concerning|Onto|Into|Off|Up|Down|Out|"
        r"Perhaps|Maybe|Certainly|Clearly|Nevertheless|Nonetheless|Moreover|Furthermore|"
        r"Again|Already|Never|Always|Often|Sometimes|Soon|Ever|Each|Every|Some|Any|All|"
        r"Many|Most|Few|Several|Such|Another|Other|Our|Your|Their|His|Her|Its|My|We|They|"
        r"You|He|She|It|I|Senior|Former|Top|Two|Three|Four|Five|Six|Ten|Dozens|Hundreds)\b)"
        r"[A-Z][a-z]+[ \t]+"
    ),
    # a capitalised word right after a given name-like surname: "Logan Ryan", "Austin Powers"
    "<SURNAME>": (
        r"[ \t]+(?!(?:Said|Says|Told|Tells|And|Or|But|Is|Was|Has|Had|Will|Would|Met|"
        r"Meets|Visits|Warns|Urges|Calls|Says|In|On|At|To|For|With|Of|From|By|As|"
        r"Against|Over|After|Before|Amid)\b)[A-Z][a-z]+"
    ),
}
WINDOW = 80


@dataclass(frozen=True, slots=True)
class Veto:
    """A compiled veto: `before` must end where the mention starts, `after` start where it ends."""

    pattern: str
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None

    def applies(self, text: str, start: int, end: int) -> bool:
        """Whether this context surrounds text[start:end]."""
        if self.before is not None:
            lo = max(0, start - WINDOW)
            window = text[lo:start] if lo == 0 else "\x01" + text[lo:start]
            if self.before.search(window) is None:
                return False
        return not (self.after is not None and self.after.match(text, end, end + WINDOW) is None)


@lru_cache(maxsize=4096)
def compile_veto(pattern: str) -> Veto:
    """Compile `left@right`; raises re.error on a bad expression."""
    left, _, right = pattern.partition("@")
    for name, expansion in MACROS.items():
        left, right = left.replace(name, expansion), right.replace(name, expansion)
    before = re.compile(f"(?:{left})\\Z", re.MULTILINE) if left else None
    after = re.compile(right, re.MULTILINE) if right else None
    return Veto(pattern, before, after)


def _allowed(macro: str) -> frozenset[str]:
    inner = re.search(r"\(\?!\(\?:(.*?)\)\\b\)", MACROS[macro])
    assert inner is not None
    return frozenset(inner.group(1).split("|"))


_TITLES_AND_WORDS = _allowed("<GIVEN>")
_AFTER_WORDS = _allowed("<SURNAME>")


def _is_name_word(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and word[1:].islower() and word.isalpha()


@dataclass(frozen=True, slots=True)
class GivenNameVeto:
    """`<GIVEN>@`, `@<SURNAME>` and `"@"` done without regular expressions (it runs on every
    short form of a person): a capitalised word that is neither a title nor a function word
    next to the surname makes it someone else's name, and a short form in quotation marks on
    its own is the word ('"Xi", however, comes from ...'), not the person."""

    pattern: str = '<GIVEN>@ | @<SURNAME> | "@"'

    def applies(self, text: str, start: int, end: int) -> bool:
        """Whether a given name precedes, or another name follows, text[start:end], or it
        stands alone in quotation marks."""
        if start > 0 and end < len(text) and text[start - 1] in '"“' and text[end] in '"”':
            return True
        j = start - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j < start - 1:
            k = j
            while k >= 0 and text[k].isalpha():
                k -= 1
            word = text[k + 1 : j + 1]
            if (
                _is_name_word(word)
                and word not in _TITLES_AND_WORDS
                and (k < 0 or (text[k] not in "'’.-" and not text[k].isalnum()))
            ):
                return True
        j = end
        while j < len(text) and text[j] in " \t":
            j += 1
        if j > end:
            k = j
            while k < len(text) and text[k].isalpha():
                k += 1
            word = text[j:k]
            if _is_name_word(word) and word not in _AFTER_WORDS and not _title_run(text, k):
                return True
        return False


def _title_run(text: str, end: int) -> bool:
    """Whether the word after text[:end] is capitalised too: a headline in title case
    ("Biden Announces Key Nominees"), not a name ("Qin Haiyang won")."""
    j = end
    while j < len(text) and text[j] in " \t":
        j += 1
    return j > end and j < len(text) and text[j].isupper()
