"""Which sentences answer a question about named member bodies: the overview of one ("What does UNDP do on
migration?") and the comparison of two or three ("What's the difference between IOM and UNHCR?").

Both start from the selection the fitted reader made (extractive.py `_select`) and change it only when the question
asks nothing beyond the bodies it names and the corpus's common words (every other word in over half the chunks,
or, for a comparison, one of data/compare_words.txt): then what answers is each body's own section opening, not
whichever sentence happens to share a common word with the question.
"""

from __future__ import annotations

from assistant.answering.evidence import QuestionEvidence
from assistant.answering.question import QuestionType, compare_words, question_words, without_carried, without_s
from assistant.answering.reader import Candidate, Reader
from assistant.answering.reader_model import ReaderModel
from assistant.answering.specifics import pins_detail
from assistant.others import qualifying_span
from assistant.references import is_group, without_bodies
from assistant.retrieval import COMMON_IDF, KeywordIndex
from assistant.words import asks_word, content_words, reference_words, words_of
from ingest.glossary import Body, Glossary


class BodyAnswers:
    """The selection for questions about named member bodies (see the module docstring); `max_words` is the
    answer's usual cap, `model.body_overview_words` that of one body's overview."""

    def __init__(self, glossary: Glossary, keyword: KeywordIndex, reader: Reader, model: ReaderModel,
                 max_words: int):
        self.glossary = glossary
        self.keyword = keyword
        self.reader = reader
        self.model = model
        self.max_words = max_words
        self._compare = frozenset(t for w in compare_words() for t in keyword.terms(w))
        ref = reference_words()  # what frames a question asking for bodies ("who else is a member?"): no topic
        framing = (question_words() | ref["body_nouns"] | ref["membership_nouns"] | ref["relative"] | ref["someone"]
                   | ref["pronoun"] | ref["demonstrative"])
        self._framing = frozenset(t for w in framing for t in keyword.terms(w))

    @property
    def overview_cap(self) -> int:
        return max(self.max_words, self.model.body_overview_words)

    def lists_bodies(self, cand: Candidate) -> bool:
        """A list whose items name several bodies (its items are in its introduction's chunk: mark_lists)."""
        base = int(cand.chunk.metadata["start"])
        items = cand.chunk.page_content[cand.end - base : cand.list_end - base] if cand.list_end else ""
        return len(self.glossary.find(items)) > 1

    def _asks_only_about(self, q: QuestionEvidence, bodies: list[Body], also: frozenset[str] = frozenset()) -> bool:
        """Whether every word of the question besides the bodies' names (and `also`) is a common word of the corpus
        (in over half its chunks): "what does undp do on migration" yes, "does undp work on remittances?" no."""
        own = {t for body in bodies for name in body.spellings for t in self.keyword.terms(name)} | also
        return all(idf < COMMON_IDF for t, idf in q.stems.items() if t not in own)

    def asked_about(self, asked: str, excluded: tuple[str, ...] = ()) -> Body | None:
        """The one body the user's question names, not setting it aside ("besides UNODC"); None for none or several."""
        named = [b for b in self.glossary.find(asked) if b.name not in excluded]
        return named[0] if len(named) == 1 else self.member_placed(asked) if named else None

    def lead_with_body(self, cand: Candidate, shown: str) -> str:
        """A "who" answer starts with the agency's name, so the reader gets the answer first (unless its first words
        name it already: "The World Bank's engagement …")."""
        body = self.reader.section_body(cand.section)
        if body is None or not body.member or self.glossary.mentions(" ".join(shown.split()[:4]), body):
            return shown
        return f"{body.name}: {shown}"

    def kept_to(self, body: Body | None, ranked: list[Candidate]) -> list[Candidate]:
        """When the best sentence speaks of the one body the question asks about, the sentences quoted after it
        speak of it too ("What research does the World Bank do?": not the GMG's focus after the Bank's work)."""
        if body is None or not ranked or not self._of(ranked[0], body):
            return ranked
        return ranked[:1] + [c for c in ranked[1:] if self._of(c, body)]

    def not_lists_of_bodies(self, ranked: list[Candidate]) -> list[Candidate]:
        """For a question asking for one ("Which agency focuses on trade?"), the ranking without lists whose items
        name several bodies: the member list names every agency and answers none of these (unless nothing else
        is left)."""
        kept = [c for c in ranked if not self.lists_bodies(c)]
        return kept or ranked

    def member_placed(self, question: str) -> Body | None:
        """The one member body a wh-question or a keyword query asks about when the groups it also names only place
        it, after a preposition ("what does UNHCR do in the GMG?", "refugee agency role in the gmg"); None otherwise:
        "is UNHCR a member of the GMG?", "is the World Bank in the GMG?" ask about membership, which the member list
        answers, and "why did the World Bank leave the GMG?" is about the group too."""
        own = without_carried(question)  # not an earlier question carried in brackets ("since when? (is IOM …?)")
        named = self.glossary.find(own)
        members = [b for b in named if b.member]
        if len(members) != 1 or len(named) == 1 or not all(b.member or is_group(b) for b in named) or not any(
                self._placing(own, b) for b in named if is_group(b)):
            return None
        ref, said = reference_words(), [without_s(m.group().lower()) for m in words_of(own)]
        asking = next((w for w in said if asks_word(w) or w in ref["wh"]), None)  # "whats" too
        # a keyword query asking nothing yes or no: "refugee agency role in the gmg" (not "unhcr in the gmg")
        rest = [m.group().lower() for m in words_of(without_bodies(own, named))]
        query = asking is None and any(w in question_words() or content_words(w, question_words())
                                       for w in rest if w not in ref["placing"] | ref["courtesy"])
        return members[0] if (asking in ref["wh"] or query) and not set(said) & ref["membership_nouns"] else None

    def about_a_member(self, question: str, qtype: QuestionType) -> bool:
        """"What does UNDESA do on migration?": a question about a member body, asking neither who nor for a list
        ("Which agencies does the GMG bring together?", "Who attends GMG meetings?" may want the member list)."""
        return not (qtype.wants_list or qtype.who) and any(b.member for b in self.glossary.find(question))

    def own_first(self, body: Body, ranked: list[Candidate], question: str) -> list[Candidate] | None:
        """ "can you tell me about the high level dialogue": the GFMD's sentences scored first and the answer spoke
        of no HLD; for a question asking about the body itself, with no topic or detail of its own, the body's own
        best sentence within the margin of the best leads, with those of it after it. None otherwise: "what does
        the SRSG do on trafficking?" is not answered by what the SRSG does, nor "when did the GFMD start?" by a
        GFMD sentence with no date (both abstain)."""
        if pins_detail(QuestionType.of(question)) or content_words(self.glossary.without_names(question),
                                                                   question_words()):
            return None
        best = ranked[0].score - self.model.neighbour_margin if ranked else 0.0
        own = next((c for c in ranked if self._of(c, body) and c.score >= best), None)
        return None if own is None else self.kept_to(body, [own, *(c for c in ranked if c is not own)])

    def _of(self, cand: Candidate, body: Body) -> bool:
        """speaks_of for a candidate sentence; a list's introduction with its items ("These include: … the HLD")."""
        return self.glossary.speaks_of(cand.with_items, cand.section, body)

    def _in_section_of(self, cand: Candidate, body: Body) -> bool:
        return getattr(self.reader.section_body(cand.section), "name", "") == body.name

    def _opening(self, body: Body, ranked: list[Candidate], source: str | None = None) -> Candidate | None:
        """The first retrieved sentence of `body`'s own section (in `source`, when given; else the section of the
        body's best sentence) when it opens the section (its lead, or its chunk's start) and is a statement, not a
        list or its introduction."""
        own = [c for c in ranked if (source is None or c.source == source) and self._in_section_of(c, body)]
        if source is None and own:
            own = [c for c in own if (c.source, c.section) == (own[0].source, own[0].section)]
        lead = min(own, key=lambda c: c.start, default=None)
        if lead is None or lead.list_item or lead.text.rstrip().endswith(":") or not (
                lead.lead or lead.start == int(lead.chunk.metadata["start"])):
            return None
        return lead

    def body_overview(self, question: str, q: QuestionEvidence, ranked: list[Candidate], chosen: list[Candidate]
                      ) -> tuple[list[Candidate], int | None]:
        """ "What does UNDP do on migration?" asks for the body's own overview: its section's opening passage
        ("UNDP's aim is to maximize the developmental benefits of migration …" and the sentences after it) comes
        first, then the best sentence, then the others chosen, within the fitted `body_overview_words` (a paragraph,
        not the one or two sentences a pointed question gets). Only for a question about one member body that asks
        nothing beyond it (no who, list or detail), and only from the section and document of the best sentence.
        Returns the sentences and the answer's word cap (None: the usual one)."""
        named = self.glossary.find(question)
        placed = self.member_placed(question)  # "what does UNHCR do in the GMG?": UNHCR's overview
        bodies = [placed] if placed is not None else named
        if len(bodies) != 1 or not bodies[0].member or q.qtype.who or q.qtype.wants_list or pins_detail(q.qtype):
            return chosen, None
        best = chosen[0]
        if not self._asks_only_about(q, named):
            return chosen, None
        lead = self._opening(bodies[0], [c for c in ranked if c.section == best.section], best.source)
        if lead is None:
            return chosen, None
        if lead is not best and len(lead.display.split()) + len(best.display.split()) > self.overview_cap:
            return chosen, None  # the opening would crowd out the best sentence
        return self._fill([lead] if lead is best else [lead, best], chosen, 1), self.overview_cap

    def each_body(self, question: str, q: QuestionEvidence, ranked: list[Candidate], chosen: list[Candidate]
                  ) -> list[Candidate]:
        """A question naming two or three member bodies is answered by each one: its section's opening when the
        question asks nothing beyond comparing them ("What's the difference between IOM and UNHCR?"; such a
        question may say "what are"), otherwise, when it asks for no list and pins no detail, its best sentence
        after the reader's best ("Who handles remittances, the World Bank or UNDP?"); then the sentences the
        selection chose while they fit. Openings longer together than the overview cap keep the selection."""
        bodies = self.compared(question, q)
        if not bodies:
            return chosen
        plain = [c for c in ranked if not self.lists_bodies(c)]
        if self._asks_only_about(q, self.glossary.find(question), self._compare):
            kept = self._openings(bodies, plain)
            if kept is None:
                return chosen
        elif q.qtype.wants_list:
            return chosen
        else:
            best = chosen[0]
            own = [next((c for c in plain if self._in_section_of(c, b)), None) for b in bodies]
            if None in own:
                return chosen
            kept = [best, *(c for c, b in zip(own, bodies, strict=True) if not self._in_section_of(best, b))]
        position = {id(c): i for i, c in enumerate(ranked)}
        taken = {id(c) for c in chosen}
        if all(id(c) in taken for c in kept):
            return chosen
        head = kept[:1] + sorted({id(c): c for c in kept[1:] if c is not kept[0]}.values(),
                                 key=lambda c: position[id(c)])
        return self._fill(head, [c for c in chosen if not self.lists_bodies(c)], len(bodies))

    def compared(self, question: str, q: QuestionEvidence | None) -> list[Body]:
        """The two or three member bodies a question names, unless it pins a detail (else none); any two or three
        bodies when it says it compares them ("how does the gmg differ from the gfmd": not "what could the GFMD and
        the GMG work on together?", which the notes answer). A group that places members is not compared ("the
        difference between iom and unhcr in the gmg"). `q`: the question's evidence, when read (else its words)."""
        bodies = self.glossary.find(question)
        if sum(b.member for b in bodies) > 1:
            bodies = [b for b in bodies if not (is_group(b) and self._placing(question, b))]
        stems = set(q.stems) if q is not None else set(self.keyword.terms(question))
        # "between" alone asks how they relate ("the link between the GMG and the GFMD"), which the notes answer
        if not stems & (self._compare - set(self.keyword.terms("between"))):
            bodies = [b for b in bodies if b.member]
        qtype = q.qtype if q is not None else QuestionType.of(question)
        return bodies if 2 <= len(bodies) <= 3 and not pins_detail(qtype) else []

    def comparison(self, question: str, q: QuestionEvidence, ranked: list[Candidate]) -> list[Candidate] | None:
        """For a question that only compares two or three member bodies ("compare UNHCR and IOM"), each body's
        section opening, in the order named; None for other questions, when a body's opening was not retrieved,
        or when together they exceed the overview cap. Such a question is answered by these openings even when
        the reader's answerability is low: its words ("compare", "differences") are in no passage."""
        bodies = self.compared(question, q)
        if not bodies or not self._asks_only_about(q, self.glossary.find(question), self._compare):
            return None
        return self._openings(bodies, [c for c in ranked if not self.lists_bodies(c)])

    def _openings(self, bodies: list[Body], plain: list[Candidate]) -> list[Candidate] | None:
        """Each body's section opening among `plain` (no lists of bodies); None when one is missing or together
        they exceed the overview cap."""
        own = [self._opening(b, plain) for b in bodies]
        if None in own or sum(len(c.display.split()) for c in own) > self.overview_cap:
            return None
        return own

    def _fill(self, head: list[Candidate], chosen: list[Candidate], at_least: int) -> list[Candidate]:
        """`head` as given, then the chosen sentences not in it, in document order, while the answer has at most
        `max_sentences` (or one per body) and all of it stays within `selection_words` (the first one added always
        joins a head of one sentence)."""
        added, words = [], sum(len(c.display.split()) for c in head)
        for cand in (c for c in chosen if id(c) not in {id(h) for h in head}):
            if len(head) + len(added) >= max(self.model.max_sentences, at_least) or (
                    len(head) + len(added) > 1 and words + len(cand.display.split()) > self.model.selection_words):
                break
            added.append(cand)
            words += len(cand.display.split())
        return [*head, *sorted(added, key=lambda c: (c.source, c.start))]

    def without_scope(self, question: str) -> str:
        """ "Which GMG agency deals with refugees?": the group that qualifies the bodies asked for ("GMG agency",
        "members of the GMG") is where to look, not what the answer speaks of; the reader reads the question without
        it (else the group's own passages, which mention refugees among the issues it discusses, outrank UNHCR's).
        Only for a who/which question that names no body but groups, and has a topic beyond the group and its
        members ("which agencies are in the gmg?" is read as asked); a group the question asks about ("which agency
        chairs the GMG?") stays. A name of three words or more is read as its short name when another body is named
        too (both the search and the reader read what this returns)."""
        named = self.glossary.find(question)
        # "a member of the Global Migration Group" (round-23 probe): with two bodies named, the words of a name spelled
        # out must be in the sentence itself (QuestionEvidence.named), and the member list says "The GMG"
        for body in named if len(named) > 1 else []:
            spelled = self.glossary.spelling_in(question, body)
            question = question.replace(spelled, body.name) if spelled and len(spelled.split()) > 2 else question
        groups = [b for b in named if is_group(b)]
        # "compare iom and unhcr within the gmg" (not "are UNODC and UNHCR both in the group?", on membership)
        says_compare = bool(set(self.keyword.terms(question)) & self._compare)
        compared = says_compare and sum(b.member for b in named) > 1 and bool(self.compared(question, None))
        if self.member_placed(question) is not None or compared:  # "what does UNHCR do in the GMG?": what it does
            span = next(filter(None, (self._placing(question, group) for group in groups)), None)
            return question if span is None else " ".join((question[: span[0]] + question[span[1] :]).split())
        if not groups or len(groups) < len(named) or not QuestionType.of(question).who:
            return question
        ref = reference_words()
        nouns = ref["body_nouns"] | ref["membership_nouns"]
        span = next(filter(None, (qualifying_span(question, group, nouns) for group in groups)), None)
        if span is None:
            return question
        scoped = " ".join((question[: span[0]] + question[span[1] :]).split())
        # a topic: a word the search can match beyond the framing and the body nouns (frequent English words such
        # as "human rights" included, which content_words leaves out)
        listing = set(self.keyword.terms(" ".join(ref["list_request"])))  # "list all the members of the gmg"
        return scoped if set(self.keyword.terms(scoped)) - self._framing - listing else question

    @staticmethod
    def _placing(question: str, group: Body) -> tuple[int, int] | None:
        """Where a preposition places something in `group` (data/reference_words.txt "placing": "in the GMG", "within
        the GMG", "to the GMG", "do for the GMG"; not "about the GMG")."""
        words = words_of(question)
        lowered = [w.group().lower() for w in words]
        for parts in ([w.group().lower() for w in words_of(spelling)] for spelling in group.spellings):
            for i in range(1, len(words) - len(parts) + 1):
                k = i - 1 - (i > 1 and lowered[i - 1] == "the")
                # "for" places after a framing verb ("what does UNDESA do for the GMG?"), not in "call for the GFMD"
                framed = lowered[k] != "for" or k > 0 and lowered[k - 1] in question_words()
                if lowered[i : i + len(parts)] == parts and lowered[k] in reference_words()["placing"] and framed:
                    return words[k].start(), words[i + len(parts) - 1].end()
        return None
