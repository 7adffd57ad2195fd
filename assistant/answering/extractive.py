"""The offline default answerer: quotes the few source sentences that answer the question, cites each one.

The reader (reader.py) scores every sentence of the retrieved passages with a fitted model and says how
answerable the question is (a detail it pins that the best sentences lack, specifics.py, is one of its features);
the answerer abstains below the index's calibrated threshold (calibration.py), and otherwise composes the answer
(and abstains after all when the passages it quotes do not state the detail the question pins: a year it names, a
date, a count, a budget, the present; in a multi-part question, such a part is left out):
the best sentence first (for "who" questions, led by its body's name), quoted with its neighbours in its section
(those right after it, then those right before it) while the answer stays within `max_words`, then the sentences
that score nearly as well (within the fitted margin, at most the fitted number, within the fitted
`selection_words`; when the question asks about one body and the best sentence speaks of it, only those that
speak of it too: bodies.py `kept_to`); a list's introduction brings its items unless the question only asks how
many (a later one: those that fit, lists.py `within`); a long sentence of ';'-separated clauses is shown as the
clauses that match the question. Each quoted sentence is cited with its exact span. A question about named
member bodies (bodies.py) changes what comes first: one body's overview ("What does UNDP do on migration?") opens
with its section's first passage, up to the fitted `body_overview_words`; a comparison of two or three quotes
each one's opening.
"""

from __future__ import annotations

import re

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.answering.bodies import BodyAnswers
from assistant.answering.evidence import QuestionEvidence, exact_coverage, soft_coverage
from assistant.answering.example_questions import ExampleQuestions
from assistant.answering.lists import ListQuotes
from assistant.answering.parts import resolve_parts
from assistant.answering.passages import REFERS_BACK, elided, has_blank_line, joins, same_version, span_text
from assistant.answering.question import (
    QuestionType,
    asks_about_each_document,
    carried_question,
    question_words,
    split_parts,
    without_carried,
    without_document_phrase,
)
from assistant.answering.reader import Candidate, Reader, Reading, is_question, quotable
from assistant.answering.reader_model import ReaderModel, shipped_model
from assistant.answering.specifics import gives_detail, pins_detail
from assistant.models import NOT_ANSWERED, Citation, CitedAnswer
from assistant.references import is_group
from assistant.retrieval import KeywordIndex
from assistant.words import content_words, reference_words, words_of
from ingest.glossary import Body, Glossary

ABSTAIN_TEXT = (f"{NOT_ANSWERED} Nothing in the notes answers this question; the closest passages are listed for you "
                "to check.")
NEVER_MENTIONED = (f"{NOT_ANSWERED} The notes never mention {{names}}; the closest passages are listed for you to "
                   "check.")
FOCUS_MIN_WORDS = 12  # "remittances" alone is a word, not an answer: clauses are added until they say this much
# A question asking what a name stands for ("What does UNCTAD stand for?", "UNDESA's full name?").
EXPANSION = re.compile(r"\bstands?\s+for\b|\bfull\s+name\b|\bshort\s+for\b|\babbreviation\b|\bacronym\b", re.I)
FOCUS_TIE = 0.05  # a second clause is shown when it matches the question (soft + exact coverage) all but as well


class ExtractiveAnswerer:
    def __init__(self, embeddings: Embeddings, keyword: KeywordIndex, glossary: Glossary, *, max_words: int = 79,
                 threshold: float = 0.0, model: ReaderModel | None = None, examples: ExampleQuestions | None = None):
        self.embeddings = embeddings
        self.keyword = keyword
        self.glossary = glossary
        self.max_words = max_words  # the cap on an answer that asks for no list (one body's overview: bodies.py)
        self.threshold = threshold  # on the reader's answerability logit; set from the index's calibration
        self.model = model or shipped_model()
        self.reader = Reader(embeddings, keyword, glossary, self.model, examples)
        self.bodies = BodyAnswers(glossary, keyword, self.reader, self.model, max_words)
        self.lists = ListQuotes(glossary, self.model)

    # -- public ---------------------------------------------------------------------------------------
    def answer(self, question: str, docs: list[Document], asked: str | None = None,
               excluded: tuple[str, ...] = ()) -> CitedAnswer:
        """`asked`: the user's own words when `question` is their rewrite with the conversation; `excluded`: the
        bodies the question sets aside ("apart from UNODC"), whose sections the search left out (chain.py)."""
        candidates = self.reader.candidates(docs)
        if not candidates:
            return self._abstain(question, [], -10.0)
        parts = split_parts(question)
        if len(parts) > 1 or asks_about_each_document(question):
            return self._answer_parts(question, parts, candidates)
        reading = self.reader.read(self.without_scope(question), candidates)
        expansion = self._expansion(question, candidates)
        if expansion is not None:  # "What does UNCTAD stand for?": the passage that spells the name out
            return CitedAnswer(question=question, answer=f"{' '.join(expansion.text.split())} [1]",
                               citations=[expansion.citation(1)], evidence=reading.answerability)
        unknown = self._unknown_names(reading, asked)
        if not self._answers(reading, unknown) and self.bodies.comparison(question, reading.question,
                                                                         reading.ranked) is None:
            return self._abstain(question, reading.ranked, reading.answerability, unknown)
        qtype = reading.question.qtype
        others = self._asks_for_others(asked or question, excluded, question)
        ranked = self.bodies.not_lists_of_bodies(reading.ranked) if qtype.one or others else reading.ranked
        if self.bodies.member_placed(question) is not None:  # "what does UNHCR do in the GMG?": not the member list
            ranked = self.bodies.not_lists_of_bodies(ranked)
        elif self.bodies.about_a_member(question, qtype):  # the member list naming it adds nothing after the answer
            ranked = ranked[:1] + [c for c in ranked[1:] if not self.bodies.lists_bodies(c)]
        body = None
        if not (qtype.who or qtype.wants_list):
            body = self._one_body(question, asked, excluded)
        answer = self._chosen(question, reading, self.bodies.kept_to(body, ranked), candidates)
        if not self._states_detail(qtype, answer):  # "Who chaired the GMG in 2013?" over a sentence on 2006
            return self._abstain(question, reading.ranked, reading.answerability)
        # "When was IOM founded?" over the GMG's founding: an answer about another body does not answer; its own best
        # sentence may (BodyAnswers.own_first). A "who" or list question may name the group it asks into ("Which GMG
        # member …?"). Not checked: a question naming none or several, nor a body only a pronoun rewrite put in
        # ("what are they working on?" → "… GFMD …" is a guess). A follow-up read with the previous question in
        # brackets is about the one body that question names (_carried_body).
        if body is not None and not any(self._tells_of(c, body, qtype) for c in answer.citations):
            own = self.bodies.own_first(body, ranked, question)
            if own is None:
                return self._abstain(question, reading.ranked, reading.answerability)
            return self._chosen(question, reading, own, candidates)
        return answer

    def _chosen(self, question: str, reading: Reading, ranked: list[Candidate], candidates: list[Candidate]
                ) -> CitedAnswer:
        qtype = reading.question.qtype
        chosen = self.bodies.each_body(question, reading.question, ranked, self._select(ranked, qtype.who))
        one_each = bool(self.bodies.compared(question, reading.question))  # a passage for each body it compares
        chosen, cap = self.bodies.body_overview(question, reading.question, ranked, chosen)
        return self._compose(question, [(c, question, qtype) for c in chosen], candidates, reading.answerability,
                             cap, one_each)

    def _asks_for_others(self, own_words: str, excluded: tuple[str, ...], read: str = "") -> bool:
        """ "any other agency working on migrant workers?" after the ILO was named: bodies other than those the
        conversation set aside, which a member list (naming them too) does not give. Not when the user's words set
        them aside (the rest of a list may be wanted) or ask about membership ("who else is a member?", "who else
        is in the group?": a group they name, or that `read`, their question as read, put in for "the group")."""
        named = self.glossary.find(own_words)
        said = {m.group().lower() for m in words_of(own_words)}
        membership = bool(said & reference_words()["membership_nouns"]) or any(
            is_group(b) and b.name not in excluded for b in (*named, *self.glossary.find(without_carried(read))))
        return bool(excluded) and not {b.name for b in named} & set(excluded) and not membership

    def without_scope(self, question: str) -> str:
        """The question without a group that only scopes the bodies asked for (BodyAnswers.without_scope)."""
        return self.bodies.without_scope(question)

    def _one_body(self, question: str, asked: str | None, excluded: tuple[str, ...]) -> Body | None:
        """The one body the question is about: the one the user's words name, unless the rewrite put another in for
        a pronoun ("how does he work with the GMG?" → "how does SRSG work with the GMG?" asks about both); else the
        one body of the earlier question a follow-up was read with."""
        body = self.bodies.asked_about(asked or question, excluded)
        if body is not None and asked is not None and carried_question(question, asked) is None:
            return self.bodies.asked_about(question, excluded)
        return body or self._carried_body(question, asked, excluded)

    def _carried_body(self, question: str, asked: str | None, excluded: tuple[str, ...]) -> Body | None:
        """For a follow-up that names no body and was read with the previous question carried in brackets ("when
        did that start? (gfmd - what is it?)"), the one body that question names: what the follow-up is about."""
        carried = carried_question(question, asked) if asked is not None else None
        if carried is None or self.glossary.find(asked):
            return None
        return self.bodies.asked_about(carried, excluded)

    def _tells_of(self, quote: Citation, body: Body, qtype: QuestionType) -> bool:
        """Whether a quote speaks of `body`, stating the detail the question pins if it pins one ("when did the GFMD
        start?" was answered by the GMG's first meeting, quoted with a GFMD sentence that states no date)."""
        return self.glossary.speaks_of(quote.text, quote.section, body) and (not pins_detail(qtype) or gives_detail(
            qtype, quote.text, self.keyword, self.glossary, str(quote.date or "")))

    def _states_detail(self, qtype: QuestionType, answer: CitedAnswer) -> bool:
        """Whether the passages the answer quotes state the detail the question pins (a year it names, a date, a
        period, a count, a budget, the present: specifics.py); an answer without it does not answer."""
        quoted = " ".join(c.text for c in answer.citations)
        dated = " ".join(str(c.date or "") for c in answer.citations)
        return gives_detail(qtype, quoted, self.keyword, self.glossary, dated)

    def _expansion(self, question: str, candidates: list[Candidate]) -> Candidate | None:
        """For a question asking what a body's name stands for, the first retrieved sentence (or list item) that
        spells out its full name (the glossary's) beside the short one; None for other questions. A list item counts
        however short ("International Organization for Migration (IOM)" is a short unpunctuated line, which other
        questions never get quoted alone)."""
        bodies = self.glossary.find(question)
        if len(bodies) != 1 or not EXPANSION.search(question) or bodies[0].full == bodies[0].name:
            return None
        full, short = bodies[0].full.lower(), bodies[0].name.lower()
        spelled = [c for c in candidates if (quotable(c) or c.list_item and not is_question(c.text))
                   and full in " ".join(c.text.split()).lower()
                   and short in c.text.lower()]
        return min(spelled, key=lambda c: (len(c.text), c.rank), default=None)

    def answerability(self, question: str, docs: list[Document]) -> float:
        """The reader's answerability logit for `question` over `docs` (what the threshold is compared with)."""
        candidates = self.reader.candidates(docs)
        return self.reader.read(question, candidates).answerability if candidates else -10.0

    def _answers(self, reading: Reading, unknown_names: list[str]) -> bool:
        # a question naming something the documents never mention ("Germany's policy", "funded by the EU") is not
        # answered by passages on the rest of its words
        return bool(reading.ranked) and reading.answerability >= self.threshold and not unknown_names

    @staticmethod
    def _unknown_names(reading: Reading, asked: str | None) -> list[str]:
        """The names the documents never mention, but not those of an earlier question that a follow-up with a topic
        of its own was read with ("which other member looks at development? (is brain drain worse in Africa?)"); a
        follow-up with none asks that question again ("which agencies do that? (does the GMG fund … in Syria?)")."""
        names = reading.question.unknown_names
        if asked is None or not content_words(asked, question_words()):
            return names
        return [n for n in names if n in asked]

    def _answer_parts(self, question: str, parts: list[str], candidates: list[Candidate]) -> CitedAnswer:
        """One sentence per sub-question (or per document, for "how do both notes describe …"), in order."""
        picks: list[tuple[Candidate, str, QuestionType]] = []
        evidences: list[float] = []
        ranked: list[Candidate] = []
        per_document = asks_about_each_document(question) and len(parts) == 1
        for part in resolve_parts(parts, self.glossary):
            part = without_document_phrase(part)
            reading = self.reader.read(part, candidates)
            ranked = reading.ranked
            evidences.append(reading.answerability)
            if not self._answers(reading, reading.question.unknown_names):
                continue
            taken = {id(c) for c, _, _ in picks}
            for cand in ranked:
                if id(cand) in taken:
                    continue
                if per_document and cand.source in {c.source for c, _, _ in picks}:
                    continue
                if not gives_detail(reading.question.qtype, cand.text, self.keyword, self.glossary, cand.dated):
                    break  # the part pins a detail its best sentence does not state: that part is not answered
                picks.append((cand, part, reading.question.qtype))
                if not per_document or len({c.source for c, _, _ in picks}) >= 2:
                    break
        if not picks:
            return self._abstain(question, ranked, max(evidences, default=-10.0))
        return self._compose(question, picks, candidates, max(evidences), one_each=per_document)

    # -- selection and composition ---------------------------------------------------------------------
    def _select(self, ranked: list[Candidate], who: bool = False) -> list[Candidate]:
        """The best sentence, then those scoring within the fitted margin of it, while the answer stays short; after one
        naming a member for a "who" question, none of another section naming no member nor any word of the question."""
        margin = self.model.neighbour_margin
        best = ranked[0]
        chosen, words = [best], len(best.display.split())
        budget = self.model.selection_words
        if best.text.rstrip().endswith(":"):
            return chosen  # a list's introduction: its items follow it in the answer
        for cand in (c for c in ranked if c is not best):
            if len(chosen) >= self.model.max_sentences or cand.score < ranked[0].score - margin:
                break
            if who and best.features.get("type_match") and cand.section != best.section and cand.features.get(
                    "type_miss") and not cand.features.get("exact_sentence"):  # not "Finding appropriate mechanisms …"
                continue
            if REFERS_BACK.match(cand.display) and not cand.features.get("exact_sentence") and not any(
                    c.source == cand.source and 0 <= cand.start - c.end <= 2 for c in chosen):
                continue  # "This will be done through regular consultations." says nothing without what "this" is
            if words + len(cand.display.split()) <= budget:
                chosen.append(cand)
                words += len(cand.display.split())
        return [best, *sorted(chosen[1:], key=lambda c: (c.source, c.start))]

    def _focus(self, cand: Candidate, question: str) -> str:
        """A long sentence made of ';'-separated clauses is shown as the clauses closest to the question
        ("UNHCR: They include … advocacy relating to asylum, statelessness …"). The citation quotes it whole."""
        clauses = [c.strip() for c in cand.display.split(";")]
        if len(cand.display.split()) <= self.model.selection_words or len(clauses) < 3:
            return cand.display
        q = self._focus_question(question)
        encoded = self.reader.encoder.encode(clauses)
        fit = [soft_coverage(q, e.words.vectors) + exact_coverage(q, set(self.keyword.terms(c)))
               for c, e in zip(clauses, encoded, strict=True)]
        order = sorted(range(len(clauses)), key=lambda i: -fit[i])
        keep = order[:1]
        for i in order[1:]:  # a second clause all but as close; more, closest first, until they say enough
            enough = sum(len(clauses[j].split()) for j in keep) >= FOCUS_MIN_WORDS
            if enough and (len(keep) >= 2 or fit[i] < fit[order[0]] - FOCUS_TIE):
                break
            keep.append(i)
        return elided(clauses, sorted(keep))

    def _focus_question(self, question: str) -> QuestionEvidence:
        """What picks the clauses: the question's own words without the body it asks about (the subject is not
        what picks a clause); a question with no words of its own ("and UNCTAD - same thing? (Which agency helps
        countries keep skilled people at home?)") is read with the context its rewrite carried."""
        own = re.sub(r"\s*\(.*\)\s*$", "", question)
        for text in dict.fromkeys((own, question)):  # the carried context only when there is one
            for body in self.glossary.find(text):
                spellings = sorted(body.spellings, key=len, reverse=True)
                text = re.sub("|".join(rf"\b{re.escape(x)}\b" for x in spellings), " ", text, flags=re.I)
            q = self.reader.question(text)
            if len(q.weights):
                return q
        return q

    def _compose(self, question: str, chosen: list[tuple[Candidate, str, QuestionType]],
                 candidates: list[Candidate], evidence: float, cap: int | None = None, one_each: bool = False
                 ) -> CitedAnswer:
        """The answer text: each chosen sentence (with its list, or focused on its clauses) and its [n]; the first
        sentence's passage grows while the answer stays within `cap` words (`max_words` unless given): forward, and
        back unless that sentence states the detail the question pins."""
        cap = self.max_words if cap is None else cap
        citations: list[Citation] = []
        sentences: list[str] = []
        used: set[tuple[str, int]] = set()
        single = len({part for _, part, _ in chosen}) == 1
        capped = single and not one_each  # not "how do the two notes describe …", "how does IOM differ from UNHCR"
        for position, (cand, part, qtype) in enumerate(chosen):
            key = (cand.source, cand.start)
            if key in used:
                continue
            peers = same_version(cand, candidates)  # what may be quoted with it: text of one version of its file
            items = self.lists.shown(cand, part, qtype, peers, scored=single, first=position == 0)
            start, end, shown = cand.start, cand.end, self._focus(cand, part)
            room = cap - sum(len(x.split()) - 1 for x in sentences)  # a later sentence keeps within the cap
            if position and capped and items and (items := self.lists.within(cand, items, peers, room)) is None:
                continue  # not "GMG: These include: …", 60 words of a list nobody asked for, after the answer
            if position == 0 and not items and shown == cand.display and cand.list_end is None:
                # The best sentence brings its neighbours in its section (the passage it belongs to), while the
                # answer fits.
                spare = cap - sum(len(c.display.split()) for c, _, _ in chosen)
                # A sentence stating the detail the question pins (a date, a count, a year…) answers on its own:
                # what comes before it would open the answer with something else ("when was the GMG's first
                # meeting?": not "The GMG meets at regular intervals. The Chair is held …"). Not for "who" questions:
                # "who chairs the group?" wants the rotating chair before the first meeting's UNCTAD.
                factoid = pins_detail(qtype) and gives_detail(qtype, cand.text, self.keyword, self.glossary, cand.dated)
                start, end, shown, taken = self._passage(cand, peers, spare,
                                                         {(c.source, c.start) for c, _, _ in chosen}, not factoid)
                used |= taken
            if items:
                end, shown = self.lists.listed(cand, items, peers, used)
            elif shown.endswith(":"):  # a list's introduction without its list ("How many …?"): a statement
                shown = shown[:-1].rstrip() + "."
            if start == cand.start and REFERS_BACK.match(cand.text):
                rest = sum(len(c.display.split()) for c, _, _ in chosen[position + 1 :])
                # A list may run past the cap ("These include: …"), not a later one: what it needs room for is its
                # introduction, or all it shows.
                own = len((cand.display if items and not (position and capped) else shown).split())
                spare = cap - sum(len(x.split()) for x in sentences) - own - rest
                start, shown = self._with_antecedent(cand, peers, shown, spare, used)
            if (position == 0 or not single) and qtype.who:
                shown = self.bodies.lead_with_body(cand, shown)
            if position and capped and len(shown.split()) > room:  # any later sentence that does not fit is left out
                continue
            used.add(key)
            text = span_text(peers, key[0], start, end) if (start, end) != (cand.start, cand.end) else cand.text
            citations.append(cand.citation(len(citations) + 1, end, text, start))
            if (start, end) != (cand.start, cand.end):  # a quote grown around the sentence chosen
                citations[-1].focus = (cand.start, cand.end)
            sentences.append(f"{shown} [{len(citations)}]")
            if position == 0 and items and single and len({c.source for c, _, _ in chosen}) == 1:
                break  # a list answer is complete on its own; more sentences would be padding
        return CitedAnswer(question=question, answer=" ".join(sentences), citations=citations, evidence=evidence)

    def _passage(self, cand: Candidate, candidates: list[Candidate], spare: int, chosen: set[tuple[str, int]],
                 grow_before: bool = True) -> tuple[int, int, str, set[tuple[str, int]]]:
        """`cand` with its neighbours in its section as one quoted span, as many as `spare` words allow: first the
        sentences right after it, then, with the words left and `grow_before`, those right before it (what an
        answer under an FAQ heading, or a sentence opening "It …", follows from). A chosen neighbour costs nothing
        more and is quoted here, not again. Returns the span's start and end, the shown text and the chosen
        sentences it took in."""
        section = sorted((c for c in candidates if c.source == cand.source and c.section == cand.section),
                         key=lambda c: c.start)
        after = [c for c in section if c.start >= cand.end]
        before = [c for c in reversed(section) if c.end <= cand.start and not c.fragment]
        start, end, taken = cand.start, cand.end, set()
        for nxt in after:
            words = joins(nxt, cand.source, end, nxt.start, candidates, chosen, spare)
            if words is None:
                break
            end, spare, taken = nxt.end, spare - words, taken | ({(nxt.source, nxt.start)} & chosen)
        for prv in before if grow_before else []:
            words = joins(prv, cand.source, prv.end, start, candidates, chosen, spare)
            if words is None or has_blank_line(span_text(candidates, cand.source, prv.end, start)):
                break  # nor from the paragraph before ("who chairs the GMG?" opened with the Geneva group's founding)
            start, spare, taken = prv.start, spare - words, taken | ({(prv.source, prv.start)} & chosen)
        if (start, end) == (cand.start, cand.end):
            return start, end, cand.display, taken
        return start, end, self.reader.attributed(span_text(candidates, cand.source, start, end), cand.section), taken

    def _with_antecedent(self, cand: Candidate, candidates: list[Candidate], shown: str, spare: int,
                         used: set[tuple[str, int]]) -> tuple[int, str]:
        """A sentence that opens by pointing back ("They include …", "It does these by …") is quoted with the
        sentence before it in its section, which says what "they" are, when that fits in `spare` words: "UNHCR is
        actively involved in a range of activities … They include …" instead of "UNHCR: They include …". Returns
        the span's start and the shown text (`cand`'s own when the sentence before cannot join)."""
        before = [c for c in candidates if c.source == cand.source and c.section == cand.section
                  and c.end <= cand.start and not c.fragment]
        prv = max(before, key=lambda c: c.start, default=None)
        if prv is None or (prv.source, prv.start) in used:
            return cand.start, shown
        if joins(prv, cand.source, prv.end, cand.start, candidates, set(), spare) is None:
            return cand.start, shown
        body = self.reader.section_body(cand.section)
        own = shown.removeprefix(f"{body.name}: ") if body else shown
        used.add((prv.source, prv.start))
        return prv.start, self.reader.attributed(f"{prv.text} {own}", cand.section)

    def _abstain(self, question: str, ranked: list[Candidate], evidence: float,
                 unknown_names: list[str] = ()) -> CitedAnswer:
        """The abstention, with the closest passages; it says which names of the question the notes never use."""
        closest = [c.citation(i) for i, c in enumerate(ranked[:3], start=1)]
        names = " or ".join(f"“{n}”" for n in dict.fromkeys(unknown_names))
        text = NEVER_MENTIONED.format(names=names) if names else ABSTAIN_TEXT
        return CitedAnswer(question=question, answer=text, abstained=True, closest=closest, evidence=evidence)
