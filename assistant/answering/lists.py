"""Lists in the notes: an introduction ending in ':' and the items after it, quoted as one sentence.

Which items an answer shows: all of them when the question asks for a list, none for a count ("How many …?": the
count first), else those that fit, those through an item naming the body the question names (in a list of bodies,
only from it: "… World Bank."), or the one item the question asks about, the items before it elided ("… Pooling
efforts in … research …"). A list after the answer's first sentence keeps within the answer's cap (`within`).
"""

from __future__ import annotations

from assistant.answering.evidence import YEAR
from assistant.answering.list_units import counted_items
from assistant.answering.passages import coverage, join_items, span_text
from assistant.answering.question import NUMBER_PATTERN, QuestionType, is_plural
from assistant.answering.reader import Candidate
from assistant.answering.reader_model import ReaderModel
from assistant.references import without_bodies
from assistant.words import content_words, reference_words, set_aside_span, words_of
from ingest.glossary import Glossary


class ListQuotes:
    def __init__(self, glossary: Glossary, model: ReaderModel):
        self.glossary = glossary
        self.model = model

    def items(self, intro: Candidate, candidates: list[Candidate]) -> list[Candidate]:
        """Items following an intro that ends in ':' (a list), as far as the retrieved text reaches."""
        if not intro.text.rstrip().endswith(":"):
            # "…focusing on a number of specific issues. These include:" — the list hangs off the next unit.
            follower = next((c for c in sorted(candidates, key=lambda c: c.start) if c.start > intro.start
                             and c.source == intro.source and c.section == intro.section), None)
            if (follower is None or not follower.text.rstrip().endswith(":") or len(follower.text.split()) > 6
                    or coverage(candidates, intro.source, intro.start) < follower.end):
                return []  # no list here, or text the retrieved chunks do not cover separates it from the intro
            return [follower, *self.items(follower, candidates)]
        reach = coverage(candidates, intro.source, intro.start)
        items = sorted((c for c in candidates if c.source == intro.source and c.section == intro.section
                        and intro.start < c.start and c.end <= reach), key=lambda c: c.start)
        counted = counted_items(intro, items, lambda a, b: span_text(candidates, a.source, a.end, b.start))
        return items[: counted or 12]

    def _first_items(self, intro: Candidate, items: list[Candidate], question: str, scored: bool) -> list[Candidate]:
        """The leading items that keep the answer within `selection_words` (at least one), or, when some item names a
        body the question names ("Is the World Bank part of the GMG?"), the items through that one, or (`scored`:
        the items' scores are this question's) the one item the question asks about (`_asked_item`)."""
        # A body the introduction names owns the list ("Issues of current interest to the GMG:"); it is not an item.
        named = [b for b in self.glossary.find(question) if not self.glossary.mentions(intro.text, b)]
        wanted = [n for n, i in enumerate(items) if any(self.glossary.mentions(i.text, b) for b in named)]
        if wanted:  # through the last item it names: a quote stays one contiguous span
            return items[self._first_named(wanted, items, question) : wanted[-1] + 1]
        kept, words = [], len(intro.display.split())
        for item in items:
            words += len(item.display.split())
            if kept and words > self.model.selection_words:
                break
            kept.append(item)
        asked = self._asked_item(kept, items) if scored else None
        return [asked] if asked is not None else kept

    def _first_named(self, wanted: list[int], items: list[Candidate], question: str) -> int:
        """Where the items shown start: at the first one the question names when every item is a body ("Is the World
        Bank in the GMG?": "… consists of 10 organizations …: … World Bank."), at the list's start when the items
        are statements that mention a body (each says something the question may want) or the question sets bodies
        aside or asks for others ("apart from the World Bank and IOM, who else is in it?", "any others? (is the world
        bank in the gmg)" want the others)."""
        of_bodies = all(self.glossary.find(i.text) for i in items)
        others = {w.group().lower() for w in words_of(question)} & (reference_words()["relative"] - {"one", "ones"})
        return wanted[0] if of_bodies and set_aside_span(question) is None and not others else 0

    def _asked_item(self, kept: list[Candidate], items: list[Candidate]) -> Candidate | None:
        """An item the reader scores above every leading one by the `item_margin` chosen on tune: what the question
        asks of the list ("what do the terms of reference say about research and data?": "Pooling efforts in …
        research, data collection …", the sixth purpose). It is shown with the items before it elided (`listed`);
        the citation quotes the list through it. Not an item that introduces a list of its own."""
        plain = [i for i in items if not i.text.rstrip().endswith(":")]
        best = max(plain, key=lambda i: i.score, default=None)
        if best is None or best in kept or best.score < max(k.score for k in kept) + self.model.item_margin:
            return None
        return best

    def shown(self, cand: Candidate, part: str, qtype: QuestionType, peers: list[Candidate], scored: bool = True,
              first: bool = False) -> list[Candidate]:
        """The list items quoted with `cand`, in order and adjacent: none for a count (the count first, "How many
        …?"), all of them when the question asks for a list, else those `_first_items` picks. `scored`: the
        candidates' scores are those of `part` (not of another part of a multi-part question, read after it);
        `first`: `cand` opens the answer (a list of bodies asked for is then quoted whole: _bodies_asked_for)."""
        if qtype.how_many and not qtype.wants_list:
            return []
        items = self.items(cand, peers)
        if not items or qtype.wants_list or first and self._bodies_asked_for(part, qtype, items):
            return items
        return self._first_items(cand, items, part, scored)

    def within(self, intro: Candidate, items: list[Candidate], peers: list[Candidate], room: int
               ) -> list[Candidate] | None:
        """A later sentence's list within the `room` words the answer has left, counted as `listed` shows it: whole
        when it fits, else its leading items that fit ("…: Contributing to preparations for the September 2006 …
        (HLD); …"), but a list of bodies whole or not at all (cut after its first member it misleads: "… 10
        organizations …: ILO; …"); [] to quote the introduction alone as a statement when that fits and counts
        its items ("The GMG consists of 10 organizations that …"); None to leave the sentence out ("These include:",
        "… for the following purposes:")."""
        every = self.items(intro, peers)
        kept = list(items)
        while kept and (kept[-1].text.rstrip().endswith(":")  # "These include:" is no item
                        or len(f"{intro.display} {join_items(kept)} …".split()) - (kept[-1] is every[-1]) > room):
            kept.pop()
        if kept and (kept[-1] is every[-1] or not all(self._names_only(i.text) for i in every)):
            return kept
        statement = intro.text.rstrip().endswith(":") and bool(NUMBER_PATTERN.search(YEAR.sub(" ", intro.text)))
        return [] if statement and len(intro.display.split()) <= room else None

    def _bodies_asked_for(self, question: str, qtype: QuestionType, items: list[Candidate]) -> bool:
        """ "which agencies belong to the GMG?", "who is in the GMG?": bodies asked for in the plural or by "who"
        (not "which agency …?"), over a list of bodies (each item a body's name and nothing else): all of them, as
        "who are the members?" gets (the list was cut after its seventh member)."""
        nouns = reference_words()["body_nouns"]
        plural = any(w.group().lower() in nouns and is_plural(w.group().lower()) for w in words_of(question))
        return (plural or qtype.who) and not qtype.one and all(self._names_only(i.text) for i in items)

    def _names_only(self, text: str) -> bool:
        bodies = self.glossary.find(text)
        return bool(bodies) and not content_words(without_bodies(text, bodies), frozenset())

    def listed(self, cand: Candidate, items: list[Candidate], peers: list[Candidate], used: set[tuple[str, int]]
               ) -> tuple[int, str]:
        """The introduction with its items (`shown`: adjacent ones) as one sentence: "…: a; b; …" when more items
        follow, "…: … c; …" when items before them are left out; and the end of the span it quotes (from the
        introduction through the last item shown). The items are marked used."""
        every = self.items(cand, peers)
        listed = join_items(items).rstrip(".")
        if items[0] is not every[0]:
            listed = f"… {listed}"
        if items[-1] is not every[-1]:  # the list has more items than are shown
            listed += " …" if listed.endswith(":") else "; …"
        elif not listed.endswith(":"):
            listed += "."
        used |= {(i.source, i.start) for i in every[: every.index(items[-1]) + 1]}
        return items[-1].end, f"{cand.display} {listed}"
