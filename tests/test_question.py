"""Question analysis and follow-up rewriting (pure functions, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.list_units import counted_items
from assistant.answering.parts import resolve_parts
from assistant.answering.question import QuestionType, is_name, question_words, split_parts, stated_count, whole_word
from assistant.antecedents import with_heads_named
from assistant.rewrite import rewrite_followup
from ingest.glossary import Glossary

GLOSSARY = Glossary.load(Path(__file__).resolve().parents[1] / "corpus" / "glossary.toml")


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who handles trafficking victims?", 1),
        ("When was the GMG created, and what work plan was it implementing by 2013?", 2),
        ("The notes mention two Dialogues. When were they held?", 1),
        ("Who chaired the first meeting, and who convenes the regular meetings?", 2),
    ],
)
def test_split_parts(question, parts):
    assert len(split_parts(question)) == parts


def test_a_year_in_the_post_2015_agenda_is_no_date():
    from assistant.answering.question import DATE_PATTERN

    assert not DATE_PATTERN.search("ensuring that migration is considered in the post-2015 development agenda")
    assert DATE_PATTERN.search("in October 2013") and DATE_PATTERN.search("a Work Plan (2013-2015)")


def test_question_types():
    assert QuestionType.of("Who handles trafficking victims?").who
    assert QuestionType.of("When was the GMG created?").when
    assert QuestionType.of("How many organizations are members?").how_many
    assert QuestionType.of("By how much did remittances grow?").how_many
    assert QuestionType.of("About how many agencies are in the GMG?").how_many  # "about" opens the question
    assert QuestionType.of("any idea of how many members it has?").how_many
    # "numbers on how many …" is the topic of a question asking who has them, not a count it asks for (it abstained
    # for want of a number in UNDESA's statistics passage)
    for question in ("where do I get numbers on how many migrants live in each country, which agency produces them",
                     "does DESA publish figures on how many international migrants there are",
                     "is there data about how much migrants send home?"):
        assert not QuestionType.of(question).how_many, question
    assert QuestionType.of("How long does each chair serve?").how_long
    assert QuestionType.of("How many staff work for the GMG?").counted == "staff"
    # the phrase running on into its verb: what is counted is its noun ("How many organisations belong to the GMG?"
    # was read as counting "belong" and abstained)
    for question, counted in [("How many organisations belong to the GMG?", "organisations"),
                              ("how many people attended the GFMD meeting in Mexico", "people"),
                              ("and how many countries ratified them?", "countries"),
                              ("how many internally displaced people are there?", "people"),
                              ("how many internally displaced are there?", "displaced"),
                              ("How many weeks before the expiry date should I apply?", None)]:  # a period
        assert QuestionType.of(question).counted == counted, question
    assert not QuestionType.of("How many members does the GMG have?").wants_list  # a number, not the list
    assert QuestionType.of("How many members are there, and who are they?").wants_list
    assert QuestionType.of("What is the GMG's annual budget?").attributes
    assert not QuestionType.of("How does UNHCR address mixed migration?").attributes  # a verb, not an address
    assert QuestionType.of("who's chairing it this year?").attributes  # a phrase of the reviewed list
    # a stance, which the notes never state (natural tune: "what was the GMG's position on covid-19 and migrants?"
    # was answered with the GMG's definition); not a post ("the purpose of the SRSG position", "apply for a position")
    assert QuestionType.of("whats the gmg's position on climate change and migration").attributes
    # posts to fill (near misses tune: "does the Global Migration Group offer internships?" was answered with its
    # definition); not a person's job
    assert QuestionType.of("Does UNODC have vacancies for anti-trafficking experts?").attributes
    assert not QuestionType.of("who was peter sutherland and what was his job at the un").attributes
    # judgements: criticism and a verdict of success (near misses tune: "Has IOM been criticised for putting border
    # management ahead of migrants' rights?" was answered with IOM's work)
    for question in ("Has the Global Migration Group been criticised as ineffective?", "what did critics say",
                     "Was the 2006 High-level Dialogue considered a success?"):
        assert QuestionType.of(question).attributes, question
    assert not QuestionType.of("what critical issues does the SRSG work on?").attributes
    # not "successful" describing a thing (review)
    assert not QuestionType.of("what does IOM do to support successful reintegration of returning migrants?").attributes
    for question in ("whats the purpose of the SRSG position, why did the SG create it?",
                     "How do I apply for a position in the UN Population Division?"):
        assert not QuestionType.of(question).attributes, question
    assert not QuestionType.of("Who chaired it in the year 2006?").attributes  # "this year", not any "year"
    # "when" after a topic set off by a dash or colon, or asked for (conversations tune, conv-27: "the factbook - when
    # did that come out?" was answered with the World Bank's reports, which name no date); not "when" in a clause
    for question in ("the factbook - when did that come out?", "the 2013 dialogue: when was it held?",
                     "can you tell me when the high-level dialogues were held?", "where and when is the next summit?"):
        assert QuestionType.of(question).when, question
    assert QuestionType.of("the factbook—when did that come out?").when  # a dash without spaces
    for question in ("Who set up the GMG, and when did it first meet?", "what role does OHCHR play when it comes to "
                     "migrants", "how many agencies were in the GMG when it was created",
                     "what does UNHCR do - when refugees arrive, who helps them?"):  # a clause, not a question (review)
        assert not QuestionType.of(question).when, question
    # two words between "which" and the body noun, but not a verb: "which countries are members of the GFMD?" asks
    # for countries (review)
    assert not QuestionType.of("which countries are members of the GFMD?").who


def test_attribute_evidence_words():
    from assistant.answering.question import attribute_words, count_synonyms, has_evidence_word

    budget = next(evidence for asked, evidence in attribute_words() if "budget" in asked)
    assert has_evidence_word("It is financed by voluntary contributions.", budget)
    assert has_evidence_word("The plan costs $2 million.", budget)
    assert not has_evidence_word("The GMG is implementing a Multi-Annual Work Plan.", budget)
    email = next(evidence for asked, evidence in attribute_words() if "email" in asked)
    assert has_evidence_word("Write to info@example.org for details.", email)
    assert "inhabitants" in count_synonyms()["people"]
    headquarters = next(evidence for asked, evidence in attribute_words() if "headquarters" in asked)
    assert has_evidence_word("IOM is a Geneva-based organization.", headquarters)
    # "who is the head of UNFPA?" over UNFPA's work (no head named) was answered
    (head,) = QuestionType.of("Who is the head of UNHCR?").attributes
    assert not QuestionType.of("Is the ILO a leader on labour migration?").attributes  # verbs and adjectives aside
    assert has_evidence_word("The Chair is held by the executive heads of its member organizations.", head)
    assert has_evidence_word("Peter Sutherland is the Special Representative of the Secretary-General.", head)
    assert not has_evidence_word("UNFPA seeks to improve data, research and institutional capacity.", head)
    # the present or the future: "is he still in the job?", "where's the forum meeting next year?"
    (now,) = QuestionType.of("is peter sutherland still in the job?").attributes
    assert QuestionType.of("where's the forum meeting next year").attributes == (now,)
    assert has_evidence_word("The GMG is currently focusing its discussions on a number of issues.", now)
    assert not has_evidence_word("Each Chairmanship culminates in a Forum Meeting.", now)


FRAME = question_words()
REMITTANCES = [("Can you list the members of the GMG?", "The GMG consists of 10 organizations: ILO; IOM; UNCTAD; …"),
               ("Which GMG members deal with remittances?", "The World Bank's engagement … [1] UNDP's aim is … [2]")]


def rewrite(question: str, history: list[tuple[str, str]]) -> str | None:
    found = rewrite_followup(question, history, GLOSSARY, FRAME)
    return found.text if found else None


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        ([("What does UNODC do?", "")], "Which protocols is it custodian of?",
         "Which protocols is UNODC custodian of?"),
        ([("What is UNDP's approach to migration?", "")], "And what about UNFPA?",
         "What is UNFPA's approach to migration?"),
        ([("Which agency is the focal point for trade?", "UNCTAD, the UN focal point …")], "What are its pillars?",
         "UNCTAD's pillars"),
        ([("What does the ILO do on labour migration?", "")], "Since when?", "ILO"),
        ([("What is UNFPA's approach to migration?", "")], "and what about unhcr?", "UNHCR"),  # in lower case
        ([("Who is the SRSG?", "Peter Sutherland is the SRSG.")], "Did he help create the GFMD?", "SRSG"),
        ([("When were the High-level Dialogues held?", "")], "was there an earlier one?", "High-level Dialogues"),
        # short questions that say too little to stand alone (forms of evals/golden/followups.jsonl, tune)
        ([("What does UNFPA do on migration data?", "")], "undesa too?", "UNDESA do on migration data"),
        ([("Is IOM a member of the GMG?", "")], "is the ilo?", "ILO a member of the GMG"),
        ([("Does UNHCR work on return?", "")], "the world bank as well?", "World Bank work on return"),
        ([("What does UNHCR do?", "")], "examples?", "UNHCR"),
        ([("What do IOM and UNHCR each do?", "")], "which is older?", "IOM and UNHCR"),
        ([("What does UNCTAD do on migration?", "")], "on what topics?", "UNCTAD"),
        ([("What is UNHCR's mandate?", "")], "does that include economic migrants?", "UNHCR"),
        ([("Who is the SRSG?", "Peter Sutherland is the SRSG.")], "who heads that office", "SRSG"),
        # a place or group, two things as a whole, more of the last answer, a correction (followups tune)
        ([("what does the gmg do", "")], "how many agencies are in there", "gmg"),
        # a member body the question names is in the group "there" points back to (fu-265, followups tune)
        ([("who is in the gmg?", "")], "why's the world bank in there if it's a un thing", "in the gmg"),
        ([("what did the 2013 high level dialogue adopt", "")], "was sutherland there", "high level dialogue"),
        # "they" after a question on several bodies side by side is all of them (round-13 probes); not a group that
        # only placed a member
        ([("what do the gmg and the gfmd do", "")], "how do they work together?", "how do gmg and gfmd work together?"),
        ([("gmg vs gfmd vs srsg", "")], "who coordinates them after 2013", "who coordinates gmg, gfmd and srsg"),
        ([("what does unhcr do in the gmg?", "")], "do they work on return?", "do unhcr work on return?"),
        # not the bodies the question names itself, nor "which of them" (review)
        ([("what do UNHCR and IOM do", "")], "is UNHCR older than them?", "is UNHCR older than IOM?"),
        ([("what do the gmg and the gfmd do", "")], "which of them is older?", "which gmg members is older?"),
        # a framing verb after "this" is no body noun: the verb stays (review)
        ([("what does the gmg do?", "")], "does this oversee the agencies?", "does this oversee the agencies? ("),
        # "do there" with a body named by its head noun asks about that body (review)
        ([("is the gfmd a un thing?", "")], "what does the bank do there?", "what does World Bank do there?"),
        # a part of a body put first as the topic points back like "the meetings" (round-12 probe: it stood alone)
        ([("gmg terms of reference", "")], "meetings - how often", "the gmg meetings - how often"),
        # "do there" is a place, not "is there"; named nothing that acts there (round-12 probe: it stood alone)
        ([("is the gfmd a un thing?", "")], "what do un agencies do there", "(is the gfmd a un thing?)"),
        ([("what do OHCHR and UNODC do on trafficking?", "")], "any overlap between the pair?", "OHCHR"),
        ([("How does the SRSG relate to the GFMD and the GMG?", "")], "do the three ever meet together?", "SRSG"),
        ([("explain smuggling and trafficking", "")], "which un office handles both", "smuggling"),
        ([("whats gats mode 4", "")], "give me more detail pls", "mode 4"),
        ([("what does unhcr say about labour migration", "")], "sorry, i meant ilo", "ILO say about labour"),
        ([("what does UNDP do on diasporas?", "")], "any budget figures for that work?", "UNDP"),
        # the noun a body's full name is built on points back to it, whatever else is named (conv-49, tune; round 8)
        ([("what research does the world bank do on migration", "")], "are you sure the bank is in the gmg?",
         "are you sure world bank is in the gmg?"),
        ([("what does unfpa do on migration", "")], "does the fund work on hiv", "does unfpa work on hiv"),
        ([("what research does the world bank do", "")], "is the bank a member of the gmg?", "is world bank a member"),
        ([("what does UNHCR do", ""), ("what does UNDP do", "")], "does IOM cooperate with the office?",
         "does IOM cooperate with UNHCR?"),  # the body whose full name has "office", before any member (review)
        ([("who is the SRSG?", "Peter Sutherland is the SRSG.")], "what does the representative do?", "SRSG do"),
        # "it's" is "it is": its "it" points back (round-8 probe: it was offered, not read)
        ([("What is the GFMD?", "")], "are you sure it's not run by the UN?", "are you sure GFMD's not run by"),
        ([("Who is the SRSG?", "Peter Sutherland is the SRSG.")], "how's that person picked", "SRSG"),
        # "the fund" with no fund in the chat is the one body whose name is built on it (review); not when the
        # question has a pronoun the chat resolves, or asks who else
        ([("what does UNHCR do?", "")], "what does the fund do?", "what does UNFPA do?"),
        ([("who is the srsg?", "Peter Sutherland is the SRSG.")], "the forum - does he chair it?", "(who is the srsg"),
        ([("does the SRSG report to anyone?", "")], "how does the post link up with the forum?", "SRSG"),
        # "its" after "the forum" is the forum, which is what points back (round-10 probe: "its" became the GFMD's)
        ([("is the global forum a un process?", "")], "when did the forum hold its most recent meeting",
         "when did global forum hold its most recent meeting"),
        # two bodies an answer gave to "which of them …?" are counted (the newest such turn), as are the two of a pair
        # a plural pronoun after a question about plural things means them, not the body that question names
        ([("What were the terms of reference of the GMG?", "")], "Who drafted them?", "(What were the terms of"),
        ([("what does unhcr do", "")], "do they work on return?", "do unhcr work on return"),
        (REMITTANCES, "Tell me more about the first one you mentioned.", "about World Bank"),
        (REMITTANCES, "Are you sure both of them work on remittances?", "World Bank and UNDP work on remittances"),
        ([*REMITTANCES, ("Tell me more about the World Bank.", "")], "And the other one?", "about the UNDP"),
        ([*REMITTANCES, ("What does IOM do?", ""), ("What does UNHCR do?", "")], "are they both in the GMG?",
         "are UNHCR and IOM both"),  # the pair counted before the topic moved on is not the one meant
    ],
)
def test_follow_up_rewrite(history, question, expected):
    assert expected in rewrite(question, history)


@pytest.mark.parametrize(
    "question",
    [
        "Who set up the GMG, and when did it first meet?",  # "it": the GMG, in the same question
        "Does OHCHR run its own project on trafficking?",
        "What does the World Bank do with its data on remittances?",
        "When the GFMD was set up, who proposed it?",
        "Which agency is the custodian of the trafficking protocol, and what else does it do?",
        "pensions for migrants - who covers that?",
        "Is it true that the GMG has ten members?",  # no reference at all
        "And who set up the GMG?",  # "And" opens a question of its own
        "Who chairs the GMG?",
        "what does the one that protects refugees do about statelessness?",  # "the one that …": its own noun
        "Which is the agency that counts migrants?",
        "Is UNHCR a member?",  # names its body and asks something of it
        "Only IOM works on return, right?",
        "What is migration?",
        "when were the two high-level dialogues on international migration held?",  # "the two" with its noun
        "the world bank and unctad both talk about remittances - how are they different?",
        "is there a forum where governments talk about migration?",  # "is there": no place
        # followups tune (fu-270, fu-308): a demonstrative whose noun has a phrase of its own, and "they" as people
        # at large, had appended the earlier question
        "those protocols on trafficking and smuggling - which un office looks after them?",
        "they say brain drain is getting worse, what does unctad say about it?",
        "does the ilo also set standards for domestic workers, or is that a convention?",  # named before "that"
        # keyword queries and full questions that look short or hold "there", "both", "more", "'s" (review)
        "Human trafficking", "Explain remittances", "who are refugees?", "Tell me more about trafficking",
        "Has there ever been a third High-level Dialogue?", "Who helps refugees, migrants, or both?",
        "Who's Peter Sutherland?", "Where's IOM?", "In 2006 and 2013, did UNHCR attend both?",
        "Who chairs the group that brings agency heads together?",
        "Does IOM have an office in Geneva, and who works there?",
        "what does the world bank do there?",  # "do there" about a body it names (round-10 probe)
        "members - how many countries have ratified the migrant workers convention?",  # a question of its own (review)
        # a body's head noun said with what it is ("the office of the high commissioner"; the World Bank named)
        "What does the Office of the High Commissioner for Human Rights do?", "is the world bank a UN bank?",
        "how does UNHCR differ from the office on drugs and crime?",  # the office named: the head of UNODC's name
        "what did the 2013 dialogue decide?",  # a year between "the" and the noun says which one (review)
        "it's unclear to me which agency handles trafficking",  # "it's" before a clause that asks: no reference
    ],
)
def test_standalone_questions_are_used_as_asked(question):
    assert rewrite(question, [("What does UNODC do?", "UNODC, as custodian of the Protocol …")]) is None


@pytest.mark.parametrize("question", [
    "who chairs that forum on migration?",  # a body noun points back whatever phrase follows it (review)
    "does that forum on migration and development meet every year?",
    "they claim remittances reduce poverty - do they measure it?",  # "they claim …" names no body of its own
])
def test_a_demonstrative_body_noun_or_a_generic_they_without_a_body_still_leans_on_the_chat(question):
    assert rewrite(question, [("what is the GFMD?", "The GFMD is a voluntary …")]) is not None


def test_the_issue_conversation_never_nests():
    """The conversation of issue #13: each follow-up is resolved, nothing is appended to standalone questions, and
    no rewrite holds an earlier one."""
    from assistant.conversation import core

    turns = [("What does the ILO do?", "ILO, the UN specialized agency on labour issues …"),
             ("Who set up the GMG, and when did it first meet?", "The GMG was established …"),
             ("Which agency is the custodian of the trafficking protocol?", "UNODC, as custodian of the Protocol …"),
             ("What else does it do?", "UNODC promotes international cooperation …"),
             ("What about the World Bank?", "The World Bank's engagement …"),
             ("Is it a member of the GMG?", "The GMG consists of 10 organizations …")]
    expected = [None, None, None, "What else does UNODC do?", "What else does World Bank do?",
                "Is World Bank a member of the GMG?"]
    history: list[tuple[str, str]] = []
    rewrites = []
    for (question, answer), want in zip(turns, expected, strict=True):
        found = rewrite_followup(question, history, GLOSSARY, FRAME)
        assert (found.text if found else None) == want
        rewrites += [found.text] if found else []
        assert not any(earlier in found.text for earlier in rewrites[:-1]) if found else True
        from assistant.models import CitedAnswer

        result = CitedAnswer(question=question, answer=answer, standalone_question=found and found.text,
                             core_question=found and found.core)
        history.append((core(result), answer))


def test_an_elliptical_follow_up_carries_one_earlier_question_only():
    first = rewrite_followup("Since when?", [("What does the ILO do on labour migration?", "…")], GLOSSARY, FRAME)
    assert first.text == "Since when? (What does the ILO do on labour migration?)"
    assert first.core == "What does the ILO do on labour migration?"
    second = rewrite_followup("Why?", [("What does the ILO do on labour migration?", "…"), (first.core, "…")],
                              GLOSSARY, FRAME)
    assert second.text == "Why? (What does the ILO do on labour migration?)"


def test_an_ellipsis_naming_another_body_leaves_the_earlier_answers_body_out():
    history = [("Which agency helps countries keep skilled people at home?",
                "UNDP: Particular attention is given to … retaining key skills …")]
    found = rewrite("and UNCTAD - same thing?", history)
    assert found.startswith("and UNCTAD - same thing? (Which agency helps") and "UNDP" not in found


def test_a_pronoun_is_replaced_by_the_body_as_the_conversation_spelled_it():
    answer = "The High-level Dialogue on International Migration and Development is a meeting of the Assembly …"
    assert rewrite("When were they held?", [("What were the big UN dialogues on migration?", answer)]) \
        == "When were High-level Dialogue on International Migration and Development held?"  # not "HLD"
    assert rewrite("what else does it do?", [("what does unodc do?", "UNODC, as custodian …")]) \
        == "what else does unodc do?"  # the user's own spelling first


def test_the_high_level_dialogues_in_the_plural_name_the_hld():
    """ "the high-level dialogues" names the HLD: the glossary lists its plural, as it lists any spelling."""
    assert [b.name for b in GLOSSARY.find("what were the high-level dialogues on migration?")] == ["HLD"]
    assert rewrite("when were they held?", [("what were the high-level dialogues on migration and development?",
                                             "The GMG is currently focusing its discussions on …")]) \
        == "when were high-level dialogues held?"  # not the GMG the answer led with
    assert "UNDP" not in {b.name for b in GLOSSARY.find("which development programmes does the ilo run?")}


def test_standalone_question_is_left_alone():
    history = [("What does UNODC do?", "UNODC …")]
    assert rewrite("Who chairs the GMG?", history) is None
    assert rewrite("which agencies are based in Geneva and who works there?", history) is None  # a place it names
    assert rewrite("What is the GMG?", []) is None


def _conversation(turns: list[str]) -> list[object]:
    """The rewrite of each turn as a Conversation would give them (history of core questions)."""
    history, rewrites = [], []
    for question in turns:
        found = rewrite_followup(question, history, GLOSSARY, FRAME)
        rewrites.append(found)
        history.append((found.core if found else question, ""))
    return rewrites


def test_an_ellipsis_that_asks_something_of_its_own_keeps_it():
    _, own, swapped = _conversation(["What does UNFPA do?", "What about UNDP's role in trafficking?",
                                     "What about the World Bank?"])
    assert own.text.startswith("What about UNDP's role in trafficking?")  # not "What does UNDP do?"
    assert swapped.text == "World Bank's role in trafficking?"


def test_follow_up_words_do_not_pile_up_after_a_question_typed_without_a_question_mark():
    """After "unhcr - what's their mandate exactly" (no "?"), each follow-up's core added its words to the last one's:
    three turns on, "and return?" was searched with "(unhcr - what's their mandate exactly stateless africa
    displaced)". Each core is the first question and one turn's own words."""
    _, _, africa, displaced, ret = _conversation([
        "unhcr - what's their mandate exactly", "do they cover stateless people", "in africa?",
        "what about people displaced inside their own country", "and return?"])
    assert africa.core == "unhcr - what's their mandate exactly? africa"
    assert "africa" not in displaced.core and "africa" not in ret.text and "displaced" in ret.text
    assert ret.text == "and return? (unhcr - what's their mandate exactly? displaced)"


def test_a_follow_up_keeps_its_own_topic_for_the_next_one():
    _, hiv, since = _conversation(["What does UNFPA do?", "And HIV?", "Since when?"])
    assert "UNFPA" in hiv.text and "HIV" in since.text and "UNFPA" in since.text


def test_referring_expressions_that_name_no_single_body_carry_the_question():
    _, agency, he, these = _conversation(["What does UNHCR do?", "And does that agency work on HIV?", "Who is he?",
                                          "What are these agencies?"])
    assert agency.text == "And does UNHCR work on HIV?"
    assert he.text.startswith("Who is he? (") and "UNHCR" not in he.text.split("(")[0]  # no person was named
    assert these.text.startswith("What are these agencies? (")


def test_the_encoder_cache_evicts_without_losing_a_call():
    import numpy as np

    from assistant.answering.evidence import Encoder

    class Pieces:
        def encode_tokens(self, texts):
            return [(np.ones((2, 4), dtype=np.float32), [(0, 1), (2, 3)]) for _ in texts]

    encoder = Encoder(Pieces(), max_items=2)
    encoder.encode(["a b", "c d"])
    assert [e.text for e in encoder.encode(["a b", "e f"])] == ["a b", "e f"]  # "a b" was cached, then evicted
    assert [e.text for e in encoder.encode(["g h", "i j", "k l"])] == ["g h", "i j", "k l"]
    assert len(encoder._cache) == 2


def test_focused_coverage_reads_all_words_when_the_question_only_names_its_topic():
    """ "what does the GMG do?" asks about nothing but its topic: focused coverage then reads every content word,
    instead of 0 for every sentence (the definition lost to "The Chair is held on a rotating basis")."""
    import numpy as np

    from assistant.answering.evidence import QuestionEvidence, soft_coverage

    words = np.eye(3, dtype=np.float32)[:2]  # two content words, unit vectors
    passage = np.eye(3, dtype=np.float32)[[0, 2]]  # the passage has the first word only
    q = QuestionEvidence("q", np.zeros(3), words, np.ones(2, dtype=np.float32), {}, QuestionType.of("q"),
                         focus=np.array([False, True]))
    assert soft_coverage(q, passage, focus=True) == 0.0  # the asked word is missing
    assert soft_coverage(q, passage) == 0.5
    topic_only = QuestionEvidence("q", np.zeros(3), words, np.ones(2, dtype=np.float32), {}, QuestionType.of("q"),
                                  focus=np.array([False, False]))
    assert soft_coverage(topic_only, passage, focus=True) == 0.5


def test_a_body_named_in_the_question_is_covered_by_a_passage_that_speaks_of_it_by_any_name():
    """ "the global forum on migration and development": a sentence on the GFMD that calls it "the GFMD" covers
    the name's words (softly and exactly) as fully as one that spells it out; a passage on another body does not."""
    import numpy as np

    from assistant.answering.evidence import QuestionEvidence, exact_coverage, soft_coverage

    words = np.eye(3, dtype=np.float32)[:2]  # "forum" (part of the name), "join"
    passage = np.eye(3, dtype=np.float32)[[1, 2]]  # has "join", not the name's word
    named = {"GFMD": (np.array([True, False]), frozenset({"forum"}))}
    q = QuestionEvidence("q", np.zeros(3), words, np.ones(2, dtype=np.float32), {"forum": 1.0, "join": 1.0},
                         QuestionType.of("q"), focus=np.array([False, True]), named=named)
    covered, stems = q.names_covered({"GFMD"})
    assert covered.tolist() == [True, False] and stems == {"forum"}
    assert soft_coverage(q, passage) == 0.5  # read literally
    assert soft_coverage(q, passage, covered=covered) == 1.0
    assert exact_coverage(q, {"join"} | stems) == 1.0
    assert q.names_covered({"GMG"}) == (None, frozenset())  # a passage on another body


def test_the_full_name_of_a_body_finds_what_its_short_name_finds(assistant):
    """Questions that spell out a body's name were answered from passages that spell it out too ("As the primary
    link between the United Nations System and the Global Forum on Migration and Development, the SRSG …";
    "… chaired by Secretary General of UNCTAD"), not from the body's own sentences, which call it "the GFMD"."""
    forum = assistant.ask("explain the Global Forum on Migration and Development to me")
    assert forum.citations[0].section == "Functions of the GFMD", forum.answer
    founded = assistant.ask("who founded the Global Migration Group")
    assert founded.answer.startswith("The GMG was established by the United Nations Secretary-General"), founded.answer


@pytest.mark.parametrize(
    "question",
    [
        "Which agency would help a country that wants its diaspora to invest at home?",  # its: the country
        "Which agency works on trafficking, and who funds it?",  # it: the agency
    ],
)
def test_a_pronoun_after_a_noun_phrase_of_its_own_question_is_left_alone(question):
    assert rewrite(question, [("Who set up the GMG?", "The GMG was established by the Secretary-General …")]) is None


def test_which_of_them_after_a_group_means_its_members():
    """ "which of them deal with refugees?" after "who's in the GMG?" was searched as "which of gmg deal with
    refugees?" and answered with the GMG's own list of issues: "them" are the group's members."""
    history = [("who's in gmg?", "The GMG consists of 10 organizations …")]
    assert rewrite("which of them deal with refugees?", history) == "which gmg members deal with refugees?"
    # not another partitive ("is the world bank one of the gmg members?" would ask for the list), nor a possessive
    assert "members" not in rewrite("is the world bank really one of them?", history)
    assert rewrite("which of their members deal with refugees?", history) == (
        "which of gmg's members deal with refugees?")


def test_a_correction_naming_a_body_by_its_noun_swaps_it_in():
    """ "no, I meant the forum" after "who chairs the GMG?" was read with that question in brackets and answered about
    the GMG's chair (round-5 blind probe): "the forum" is the one body with "forum" in its full name."""
    assert rewrite("no, I meant the forum", [("who chairs the GMG?", "The GMG meets at regular intervals …")]) \
        == "who chairs the GFMD?"
    assert rewrite("what about the group?", [("what does UNDP do on migration?", "UNDP …")]) \
        == "what does GMG do on migration?"
    # not a body the earlier question names already
    assert rewrite("what about the group?", [("does the GFMD work with the GMG?", "The GFMD …")]) \
        == "what about the group? (does the GFMD work with the GMG?)"
    # several bodies are agencies: which one is not said
    assert rewrite("and the agency?", [("who chairs the GMG?", "The GMG …")]) == "and the agency? (who chairs the GMG?)"


def test_an_ellipsis_describing_a_body_by_words_of_its_name_swaps_it_in():
    """ "and the labour one?" after a question on OHCHR was read with that question in brackets and answered about
    OHCHR again (round-14 blind probe): the one body whose full name holds the describing words is meant."""
    ohchr = [("what does ohchr do", "OHCHR promotes …")]
    assert rewrite("and the labour one?", ohchr) == "what does ILO do"
    assert rewrite("what about the refugee agency", ohchr) == "what does UNHCR do"
    assert rewrite("and the bank one?", [("what does undp do on remittances", "UNDP …")]) \
        == "what does World Bank do on remittances"
    # a noun only some names have must be the body's own: "the labour group" is no ILO
    assert rewrite("and the labour group?", ohchr) == "and the labour group? (what does ohchr do)"
    # words several names share say no one body, nor does an order among the bodies
    assert rewrite("and the development one?", ohchr) == "and the development one? (what does ohchr do)"
    assert rewrite("and the united nations one?", ohchr) == "and the united nations one? (what does ohchr do)"


def test_a_definite_noun_before_when_it_is_asked_still_points_back():
    """ "who leads the group at the moment" after a question on the ILO was used as asked, so the next turn's "the
    chair" became the ILO's (round-14 blind probe): "at the moment" says when, not which group."""
    ilo = [("what does the ilo do", "ILO, the UN specialized agency …")]
    assert rewrite("who leads the group at the moment", ilo) == "who leads GMG at the moment"
    assert rewrite("who chairs the group at present", ilo) == "who chairs GMG at present"
    assert rewrite("the agency in charge", ilo) == "the agency in charge (what does the ilo do)"


def test_they_after_a_question_on_a_groups_members_are_the_members():
    """ "list them alphabetically" after "gmg members?" was searched as "list gmg alphabetically" and abstained (round-5
    blind probe): "they"/"them" after a question on a group's members are those members, in the question's noun."""
    members = [("gmg members?", "The GMG consists of 10 organizations …")]
    assert rewrite("list them alphabetically", members) == "list gmg members alphabetically"
    assert rewrite("tell me more about them", [("which agencies are in the GMG?", "The GMG consists of …")]) \
        == "tell me more about GMG agencies"
    assert rewrite("how often do they meet?", members) == "how often do gmg meet?"  # the group meets
    assert rewrite("who chairs it?", members) == "who chairs gmg?"  # "it" is the group
    assert rewrite("what is their budget?", members) == "what is gmg's budget?"
    assert rewrite("is the world bank really one of them?", members) == "is the world bank really one of gmg?"
    # or after an answer that listed them, whatever the question ("who is in the gmg?", round-6 probe)
    listed = [("who is in the gmg?", "The GMG consists of 10 organizations …: " + "; ".join(
        b.name for b in GLOSSARY.bodies if b.member))]
    assert rewrite("can you list them alphabetically", listed) == "can you list gmg members alphabetically"
    assert rewrite("do they have a secretariat?", listed) == "do gmg have a secretariat?"  # the group's
    elided = [("who is in the gmg?", "The GMG consists of 10 organizations …: … UNHCR; …")]
    assert rewrite("can you list them", elided) == "can you list gmg"  # a list elided to one member lists none


def test_a_pronoun_means_the_body_the_question_asked_about_not_the_askers_own():
    """ "who's in it" after "hi, I just joined the migration team at UNDP, what's the GMG?" was searched as "who's in
    UNDP" (round-5 blind probe): the bodies of the clause that asks come first."""
    history = [("hi, I just joined the migration team at UNDP, what's the GMG?", "The GMG consists of 10 …")]
    assert rewrite("who's in it", history) == "who's in GMG"
    assert rewrite("and when did it start", history) == "and when did GMG start"
    assert rewrite("what else does it do?", [("Does the ILO work with IOM?", "ILO …")]) == "what else does ILO do?"
    # a sentence ends a clause; a clause that asks about no body ("can you help") is passed over
    for opening in ("hi. I'm at UNDP. What's the GMG?", "can you help, I'm at UNDP, what's the GMG?"):
        assert rewrite("who's in it", [(opening, "The GMG consists of 10 …")]) == "who's in GMG", opening
    # an ellipsis swaps the body asked about, not the asker's
    assert rewrite("what about the forum?", [("I'm at UNDP, what does the GMG do?", "The GMG …")]) \
        == "I'm at UNDP, what does the GFMD do?"


def test_which_of_them_after_several_bodies_names_them():
    """ "which of them does the most research?" after turns about the World Bank, UNDP and UNCTAD was searched as
    "which of UNCTAD does …": "them" are the bodies the conversation named; after one body alone, the earlier
    question says what is meant."""
    history = [("what does the World Bank do on remittances?", "The World Bank's engagement …"),
               ("and UNDP?", "UNDP: Particular attention …"), ("does UNCTAD look at remittances?", "UNCTAD: It has …")]
    assert rewrite("which of them does the most research?", history) == (
        "which of UNCTAD, UNDP and World Bank does the most research?")
    alone = rewrite("which of them does the most research?", history[-1:])
    assert "which of UNCTAD" not in alone and "(does UNCTAD look at remittances?)" in alone


def test_the_other_one_asks_the_earlier_question_of_it():
    """ "and the second one?" after "when was the first high-level dialogue on migration" was searched with the
    first one's question and answered with 2006."""
    history = [("when was the first high-level dialogue on migration", "The first meeting …")]
    assert rewrite("and the second one?", history) == "when was the second high-level dialogue on migration"
    assert rewrite("what about the last one?", history) == "when was the last high-level dialogue on migration"
    assert rewrite("and the second one, who chaired it?", history) != (
        "when was the second high-level dialogue on migration")
    # "same" and "other" set no order: the earlier question is carried as it was
    other = [("what other agencies work on trafficking", "OHCHR …")]
    assert rewrite("and the same one?", other) == "and the same one? (what other agencies work on trafficking? OHCHR)"
    assert rewrite("and?", [("what does IOM do?", "IOM is dedicated …")]) == "and? (what does IOM do?)"  # no crash
    # a year sets the thing apart as an ordinal does ("and the 2013 one?" abstained; round-19 probe)
    dated = [("what was the high level dialogue in 2006", "All GMG members have contributed …")]
    assert rewrite("and the 2013 one?", dated) == "what was the high level dialogue in 2013"
    assert rewrite("and the second one ?", history) == "when was the second high-level dialogue on migration"


def test_them_counted_out_is_replaced_whole():
    """ "how often do the three of them meet" became "how often do the three of SRSG, GFMD and GMG meet" and
    abstained (round-19 probe)."""
    history = [("what do the srsg, the gfmd and the gmg do together?", "The regular meetings between the SRSG …")]
    for question in ("how often do the three of them meet", "how often do all three of them meet",
                     "how often do all of them meet", "how often do all 3 of them meet"):
        assert rewrite(question, history) == "how often do srsg, gfmd and gmg meet", question  # spelt as said
    assert rewrite("which two of them are UN bodies?", history) == "which two of srsg, gfmd and gmg are UN bodies?"


def test_he_is_the_person_an_earlier_answer_named_after_its_lead():
    """ "does he hold meetings with the agencies?" after "who links the UN with the forum?", answered "As the
    primary link between the United Nations System and the Global Forum …, the SRSG …": he is the SRSG, though
    the answer named the forum first."""
    history = [("who links the UN with the forum", "As the primary link between the United Nations System and the "
                "Global Forum on Migration and Development, the SRSG on International Migration is uniquely placed")]
    assert rewrite("does he hold meetings with the agencies?", history) == "does SRSG hold meetings with the agencies?"


def test_that_after_a_preposition_and_too_without_a_body_lean_on_the_conversation():
    """ "does the ILO work on that too?" after "whats pension portability" was used as asked (it named the ILO
    before "that"), as was "is there a work plan too?" after questions on the GMG; both abstained. A question
    naming a body with "too" stands alone, and "that" after an earlier clause of its own is that clause's."""
    history = [("whats pension portability", "World Bank: … enhancing the portability of pensions …")]
    assert rewrite("does the ILO work on that too?", history) == (
        "does the ILO work on that too? (whats pension portability)")
    gmg = [("does the GMG have terms of reference", "According to its Terms of Reference, the GMG's …")]
    assert rewrite("is there a work plan too?", gmg) == (
        "is there a work plan too? (does the GMG have terms of reference)")
    assert rewrite("does undesa publish its own migration reports too?", gmg) is None
    assert rewrite("is the gfmd or is that a country?", gmg) is None
    # an earlier clause of the question says what "that" is
    iom = [("what does IOM do on labour migration", "IOM …")]
    assert rewrite("UNHCR protects refugees, but does IOM help with that as well?", iom) is None
    assert rewrite("what is pension portability and does the World Bank work on that at all?", iom) is None


def test_it_done_by_a_body_the_question_names_is_the_earlier_topic():
    """ "what does UNODC do on it" after "which agencies work on trafficking" (answered by OHCHR) was searched as
    "what does UNODC do on OHCHR"; "it" is the trafficking the earlier question asked about. Where the earlier
    question named a body, or "it" is the subject, it is still that body."""
    history = [("which agencies work on trafficking", "OHCHR promotes a human rights approach …")]
    assert rewrite("what does UNODC do on it", history) == (
        "what does UNODC do on it (which agencies work on trafficking)")
    assert rewrite("does it also work with IOM?", history) == "does OHCHR also work with IOM?"
    assert rewrite("does IOM work with it?", [("what does UNHCR do?", "UNHCR: …")]) == "does IOM work with UNHCR?"
    # after a question asking for one body, or when the answer gave the group, "it" is that body
    assert rewrite("does IOM cooperate with it?", [("which agency leads on labour migration?", "ILO, the UN …")]) == (
        "does IOM cooperate with ILO?")
    assert rewrite("does UNODC chair it", [("who chairs the group", "The GMG meets at regular intervals …")]) == (
        "does UNODC chair GMG")
    # the bodies a question asks for do something to it: the thing the earlier question was about, not the body its
    # answer gave ("which agency promotes OHCHR", round-6 probe); "it" of a named body is still that body
    convention = [("what is the migrant workers convention", "OHCHR promotes a human rights approach …")]
    assert rewrite("which agency promotes it", convention) == (
        "which agency promotes it (what is the migrant workers convention? OHCHR)")
    assert rewrite("which agencies work with it?", [("what does the GMG do?", "The GMG …")]) == (
        "which agencies work with GMG?")
    # after a question asking which body, "it" is the body its answer gave (review)
    assert rewrite("who heads it?", [("who deals with statelessness?", "UNHCR: They include …")]) == (
        "who heads UNHCR?")


def test_an_ellipsis_opening_with_a_preposition_replaces_what_followed_it():
    """ "and to the GMG?" after "what's SRSG's link to the forum" was searched as "what's GMG's link to the forum"
    (round-6 probe): what follows the same preposition in the earlier question is what the ellipsis replaces."""
    assert rewrite("and to the GMG?", [("what's SRSG's link to the forum", "")]) == "what's SRSG's link to the GMG"
    assert rewrite("and with UNDP?", [("how does IOM work with UNHCR on return?", "")]) == (
        "how does IOM work with UNDP on return?")
    assert rewrite("ok and in asia?", [("what does iom do in africa", "")]) == "what does iom do in asia"
    # like for like only (review): a body swaps the earlier question's body, not the phrase after its preposition
    assert rewrite("and for UNHCR?", [("what does IOM do for refugees?", "")]) == "what does UNHCR do for refugees?"
    assert rewrite("and about remittances?", [("what does the GMG say about migration and development", "")]) == (
        "what does the GMG say about remittances")  # the whole phrase, "and" included
    assert rewrite("and to UNHCR?", [("what does IOM want to do in africa", "")]) != (
        "what does IOM want to UNHCR in africa")  # "to do": a verb follows
    assert "(" in rewrite("and on it?", [("which agencies work on trafficking", "")])  # a pronoun: the context


def test_a_correction_naming_the_body_taken_back_swaps_it():
    """ "no, I meant UNFPA not UNDP" was searched with both bodies and answered about UNDP (round-6 probe)."""
    assert rewrite("no, I meant UNFPA, not UNDP", [("what does UNDP do on diasporas?", "")]) == (
        "what does UNFPA do on diasporas?")
    assert "UNDP" not in rewrite("no, I meant UNFPA not UNDP", [("diasporas?", "UNDP: Particular attention …")])
    assert rewrite("i meant not UNDP but UNFPA", [("what does UNDP do on diasporas?", "")]) == (
        "what does UNFPA do on diasporas?")
    # with no "i meant": a message that only takes a body back for another (round-7 probe: it stood alone, abstained)
    assert rewrite("sorry, UNFPA not UNDP", [("what does UNDP do on migration", "")]) == (
        "what does UNFPA do on migration")
    assert rewrite("no, not UNDP, UNFPA", [("what does UNDP do on diasporas?", "")]) == (
        "what does UNFPA do on diasporas?")
    # a "not" that takes back no body for another is part of the question (review)
    which = [("which agencies are in the GMG?", "The GMG consists of 10 organizations …")]
    assert "not in the GMG" in rewrite("what about agencies that are not in the GMG?", which)
    assert "not UNDP" in rewrite("and not UNDP?", [("what does UNFPA do on diasporas?", "")])


def test_they_both_are_the_two_bodies_last_named():
    history = [("how does IOM work with the ILO on labour migration", "ILO, the UN specialized agency …")]
    assert rewrite("are they both in the gmg?", history) == "are IOM and ILO both in the gmg?"
    assert rewrite("are both of them members?", history) == "are IOM and ILO members?"


def test_what_with_a_body_noun_asks_for_bodies():
    """ "what bodies are in the GMG?" asks who, as "which bodies …" does: "the first one you mentioned" after its
    answer is the first body listed (round-16 probe: it was read as the group)."""
    assert QuestionType.of("what bodies are in the global migration group?").who
    assert QuestionType.of("what agencies work on trafficking?").who
    assert not QuestionType.of("what countries are members of the gfmd?").who
    listed = [("what bodies are in the GMG?", "The GMG consists of 10 organizations: ILO; IOM; UNCTAD; …")]
    assert rewrite("what does the second one do?", listed) == "what does IOM do?"


def test_they_in_a_comparison_or_either_of_them_are_the_last_two_bodies():
    """ "how do they differ?" after a turn on UNDP and one on UNCTAD was searched as "how do UNCTAD differ?"
    (round-16 probe); "either of them" asks about one or the other. "from"/"between" alone compare nothing."""
    history = [("what does undp do on migration", "UNDP's aim is …"), ("what does UNCTAD do on migration", "UNCTAD …")]
    assert rewrite("how do they differ", history) == "how do UNCTAD and undp differ"
    assert rewrite("compare them", history) == "compare UNCTAD and undp"
    assert rewrite("does the note say anything about either of them", history) == (
        "does the note say anything about UNCTAD or undp")
    assert rewrite("what do they get from it", history) == "what do UNCTAD get from it"
    # after a question on things ("its own mandate on refugees"), "they" in a comparison is still the two bodies
    mandate = [("does iom have its own mandate on refugees or is that all unhcr", "… UNHCR …"),
               ("does UNODC have its own mandate on refugees or is that all unhcr", "… UNODC …")]
    assert rewrite("so how are they different", mandate) == "so how are UNODC and unhcr different"


def test_what_about_a_topic_then_a_question_on_it_is_one_question():
    """ "what about trafficking, who deals with that?" after "who funds IOM?" was searched as "… (who funds IOM?)"
    and answered with IOM: "that" is the trafficking it has just named. A topic alone, or a question after it that
    compares with something said before, still leans on the previous question."""
    history = [("who funds IOM?", "The documents don't say.")]
    for question in ("what about trafficking, who deals with that?", "how about remittances - who works on those?",
                     "what about the ilo, what does it do?"):
        assert rewrite(question, history) is None, question
    for question in ("what about trafficking?", "what about unhcr, does it do the same?",
                     "what about stateless people - same agency?", "what about unodc, who else works on it?",
                     # a yes/no question after the topic asks the previous question of it
                     "what about undp, does it do that too?", "what about refugees, is unhcr?",
                     "same for unodc, does it?"):
        assert rewrite(question, history) is not None, question
    after_trafficking = [("does IOM work on trafficking?", "IOM …")]
    assert rewrite("what about undp, does it do that too?", after_trafficking) == "does UNDP work on trafficking?"
    # a yes/no question in words of its own is a question of its own; one that only points back ("… handle that?")
    # asks the previous question of the topic
    after_data = [("does UNFPA do data too", "UNFPA seeks to improve data …")]
    assert rewrite("what about the World Bank, does it collect its own data or use DESA's?", after_data) is None
    assert rewrite("what about the world bank, does it handle that?", after_data) is not None


@pytest.mark.parametrize(
    ("question", "expected"),
    [("does the UN have a say in it?", "GFMD"),  # "it", an object, is not the clause's own subject
     ("What does the ILO think of them?", "GFMD")],
)
def test_an_object_pronoun_refers_past_its_own_clause(question, expected):
    assert expected in rewrite(question, [("Who runs the GFMD?", "The GFMD operates through …")])


def test_a_subject_pronoun_after_an_auxiliary_still_refers_back():
    """ "Which agency did it set up?": "it" is the subject, the body of the conversation, not the agency asked for."""
    assert "GMG" in rewrite("Which agency did it set up?", [("When was the GMG created?", "The GMG was established …")])


def test_a_pronoun_after_a_definite_noun_still_refers_back():
    assert "UNODC" in rewrite("What is the budget for it?", [("What does UNODC do?", "UNODC, as custodian …")])


def _read(question: str, history: list[tuple[str, str]]) -> tuple[str | None, tuple[str, ...]]:
    """(the rewrite, or None; the bodies left out of the search), as the chain computes them."""
    from assistant.others import excluded_bodies

    found = rewrite_followup(question, history, GLOSSARY, FRAME)
    return (found.text if found else None,
            excluded_bodies(question, found.text if found else question, history, GLOSSARY))


def test_who_else_leaves_out_the_bodies_the_last_answer_gave():
    """ "who else?" after "who works on remittances?" (answered: World Bank) searched "who else? (who works on
    remittances? World Bank)" and answered World Bank again."""
    from assistant.others import others_asked

    history = [("who works on remittances?", "World Bank: Operational work … remittances … [1]")]
    assert _read("who else?", history) == ("who else? (who works on remittances? besides World Bank)", ("World Bank",))
    assert _read("what about the other agencies?", history)[1] == ("World Bank",)
    assert _read("any other agencys working on it?", history)[1] == ("World Bank",)  # as typed
    # asked twice: both answers' bodies are left out
    twice = [*history, ("who works on remittances?", "UNCTAD: It has … remittances … [1]")]
    assert others_asked("anyone else?", twice, GLOSSARY) == ("UNCTAD", "World Bank")
    # more about the same body, not other bodies; and nothing to leave out without a conversation
    assert _read("what else does it do?", history)[1] == ()
    assert others_asked("which other agencies work on it?", [], GLOSSARY) == ()
    # the group the members are of says where to look, not whom to set aside (conversations tune, conv-31: "which
    # other gmg members work on remittances" after UNDP and the World Bank was answered with the GMG's own passages)
    both = [("is remittances a topic for undp too or just the world bank?", "UNDP: … [1] The World Bank's … [2]")]
    assert _read("which other gmg members work on remittances", both)[1] == ("UNDP", "World Bank")
    assert _read("any other members of the GMG working on it?", both)[1] == ("UNDP", "World Bank")
    assert _read("who else in the GMG works on it?", both)[1] == ("UNDP", "World Bank")  # review
    assert QuestionType.of("which other gmg members work on remittances").who


def test_it_after_any_other_agency_is_the_topic_even_with_older_bodies_in_the_conversation():
    """With IOM in an older turn, "does any other agency work on it?" after UNODC's answer was read "… on IOM?"."""
    history = [("what does IOM do?", "IOM is dedicated … [1]"),
               ("who handles trafficking?", "UNODC, as custodian … [1]")]
    text, excluded = _read("does any other agency work on it?", history)
    assert text == "does any other agency work on it? (who handles trafficking? besides UNODC)"
    assert excluded == ("UNODC",)
    # … but "besides them" / "except for them" is that agency, set aside by the pronoun
    assert _read("who else works on trafficking except for them?", history) == (
        "who else works on trafficking except for UNODC?", ("UNODC",))


def test_after_an_unanswered_question_a_question_with_its_own_topic_carries_only_its_bodies():
    """ "is any other member focused on rights?" after "what migrant stock figure did UNDESA report for 2020?" (not
    answered) was read with that question, whose year sank it too: it carries only the body, set aside."""
    unanswered = "The documents don't say. Nothing in the notes answers this question; the closest passages …"
    history = [("what migrant stock figure did UNDESA report for 2020?", unanswered)]
    assert _read("is any other member focused on rights?", history) == (
        "is any other member focused on rights? (besides UNDESA)", ("UNDESA",))
    assert _read("and who else works on refugees?", history)[0] == "and who else works on refugees? (besides UNDESA)"
    # an ellipsis asks the earlier question of another topic, unanswered or not: "how many stateless people …?"
    assert _read("and stateless people?", [("how many refugees does UNHCR look after now?", unanswered)])[0] == (
        "and stateless people? (how many refugees does UNHCR look after now?)")
    # with no words of its own, the question is still the earlier one's: "who else?" asks what it asked
    assert _read("who else?", history)[0] == (
        "who else? (what migrant stock figure did UNDESA report for 2020? besides UNDESA)")
    # an earlier question naming no body and asking for a detail the notes lack ("how many …", "when …") lends only
    # the words the notes use: "this" is trafficking, not the count (round-10 probe; it carried the count and sank)
    shares = {"trafficking": 0.1}.get
    counted = [("how many trafficking convictions were there last year", unanswered)]
    found = rewrite_followup("ok and does ohchr also work on this from a rights angle", counted, GLOSSARY, FRAME,
                             lambda word: shares(word, 0.0))
    assert found is not None and found.text == "ok and does ohchr also work on this from a rights angle (trafficking)"
    # one that asked for no such detail is carried whole: "the earlier one" needs its "2006" (fu-284, tune)
    found = rewrite_followup("was the gfmd born out of the earlier one?", [(
        "what did the 2006 dialogue achieve?", unanswered)], GLOSSARY, FRAME, lambda word: 0.1)
    assert found is not None and "2006" in found.text
    # answered, the earlier question is the context as before
    answered = [("how does UNHCR help stateless people?", "UNHCR: They include … statelessness … [1]")]
    assert _read("and displaced people?", answered)[0] == (
        "and displaced people? (how does UNHCR help stateless people?)")


def test_other_agencies_as_an_object_or_of_a_named_body_leave_nothing_out():
    history = [("who handles trafficking?", "UNODC, as custodian … [1]")]
    for question in ("Who works with other UN agencies on trafficking?", "What other agencies does IOM cooperate with?",
                     "Does UNHCR work with any other agency on trafficking?"):
        assert _read(question, history)[1] == (), question


def test_a_question_asking_for_bodies_sets_aside_those_it_names():
    assert _read("which agencies help out with the forum apart from iom?", []) == (None, ("IOM",))
    assert _read("besides IOM, UNHCR and the ILO, who works on refugees?", [])[1] == ("IOM", "UNHCR", "ILO")
    # "anyone" asks for bodies however the question opens; it used to keep UNCTAD and answer with it again
    assert _read("anyone besides UNCTAD looking at brain drain", [])[1] == ("UNCTAD",)
    assert _read("any other agency apart from unhcr on refugees?", [])[1] == ("UNHCR",)
    # a question about a body keeps its section: it holds the evidence
    assert _read("Are all the members UN agencies except the World Bank?", [])[1] == ()
    # an earlier question carried in brackets sets nothing aside
    carried = [("Which other agencies work on remittances with the World Bank?", "UNCTAD: It has … [1]")]
    assert _read("since when?", carried)[1] == ()


@pytest.mark.parametrize(("question", "expected"), [
    ("who chairs the group?", "who chairs gmg?"),
    ("how often does the chair change", "how often does the gmg chair change"),
    ("whats the budget?", "whats the gmg budget?"),
    ("how long does each chair last", "how long does the gmg chair last"),
])
def test_a_definite_noun_points_back_when_the_question_names_nothing(question, expected):
    """ "who chairs the group?" after "what is the gmg" was used as asked: no pronoun, so no follow-up."""
    history = [("what is the gmg", "The Global Migration Group (GMG) is an inter-agency group … [1]")]
    assert rewrite(question, history) == expected


def test_a_definite_noun_with_a_body_of_its_own_is_used_as_asked():
    history = [("what is the gmg", "The Global Migration Group (GMG) is an inter-agency group … [1]")]
    for question in ("Who chairs the GFMD?", "what is the post-2015 agenda?", "which agency handles refugees?",
                     "who is the head of unicef?", "what is the budget of the global compact?"):
        assert rewrite(question, history) is None, question


def test_a_definite_noun_resolves_only_to_a_body_it_fits():
    """ "the group" is the GMG even after a turn on UNHCR; "the agency" a member agency, never the GMG."""
    history = [("what is the gmg", "The Global Migration Group (GMG) is … [1]"),
               ("how does UNHCR fit in?", "UNHCR: In order to fulfil its mandate … [1]")]
    assert rewrite("who chairs the group?", history) == "who chairs gmg?"
    assert rewrite("what does the agency do on asylum?", history) == "what does UNHCR do on asylum?"
    gmg_only = history[:1]
    assert rewrite("what does the agency do?", gmg_only) == "what does the agency do? (what is the gmg)"


def test_a_bare_noun_the_last_turn_used_carries_the_previous_question():
    """ "has the convention been ratified much?" after an answer on the Domestic workers Convention was used as
    asked: the last turn says which convention. A noun said what it is right there, or with a noun of its own after
    it, stands alone, and so does a noun the last turn never used."""
    history = [("what about domestic workers?", "… promoting accession to the Domestic workers Convention … [1]")]
    assert rewrite("has the convention been ratified much", history) == (
        "has the convention been ratified much (what about domestic workers?)")
    for question in ("what is the convention on migrant workers?", "has the convention of 1990 been ratified",
                     "has the domestic workers convention been ratified?", "has the protocol been ratified much"):
        assert rewrite(question, history) is None, question


def test_words_most_passages_use_or_a_refusal_says_are_not_what_the_last_turn_brought_up():
    """ "which agency protects the migrants?" is no follow-up because the last answer said "migrants" (a word a
    third of the passages use), nor "what do the passages say …" because the last answer declined in those words."""
    history = [("who works on remittances?", "The World Bank … for migrants and their families … [1]")]
    share = {"migrants": 0.32}.get
    found = rewrite_followup("which agency protects the migrants?", history, GLOSSARY, FRAME,
                             lambda word: share(word, 0.1))
    assert found is None
    declined = [("what is the gmg budget?", "The documents don't say. Nothing in the notes answers this question; the "
                 "closest passages are listed for you to check.")]
    assert rewrite("what do the passages say about trafficking", declined) is None
    assert rewrite("when was it founded?", [("which agency has a mandate on refugees?", "UNHCR: In order … [1]")]) == (
        "when was UNHCR founded?")


def test_a_short_question_in_the_last_turns_words_asks_about_them():
    """ "which conventions?" after the ILO's answer ("It has pioneered international Conventions …") abstained as
    a keyword query; "has my country ratified them?" then took UNODC's protocols. A short question with a word
    of its own stays standalone."""
    history = [("What's the ILO's main focus on migration?", "ILO … It has pioneered international Conventions … [1]")]
    assert rewrite("which conventions?", history) == "which conventions? (What's the ILO's main focus on migration?)"
    assert rewrite("which protocols?", history) is None


def test_it_after_a_question_on_what_a_body_has_means_that_thing():
    """ "what's in it?" after "does the group have a work plan as well?" became "what's in GMG?" and answered with
    the GMG's definition: "it" is the work plan the last question brought up."""
    history = [("does GMG have a work plan as well?", "The GMG is implementing a Multi-Annual Work Plan … [1]")]
    assert rewrite("what's in it?", history) == "what's in it? (does GMG have a work plan as well?)"
    assert rewrite("what's in it?", [("what is the GMG?", "The Global Migration Group (GMG) is … [1]")]) == (
        "what's in GMG?")
    assert rewrite("What else does it do?", history) == "What else does GMG do?"  # a subject: the group


def test_an_object_them_after_a_question_on_things_means_the_things():
    """ "who at the un tracks them" after "explain remittances simply" (answered by the World Bank) became "who at
    the un tracks World Bank": "them" is the remittances. "… besides them?" still sets the answer's body aside."""
    history = [("explain remittances simply", "The World Bank's engagement … remittances … [1]")]
    assert rewrite("who at the un tracks them", history) == (
        "who at the un tracks them (explain remittances simply? World Bank)")
    refugees = [("which agency looks after refugees?", "UNHCR: In order to fulfil its mandate … [1]")]
    assert rewrite("anyone else dealing with stateless people besides them?", refugees) == (
        "anyone else dealing with stateless people besides UNHCR?")


def test_a_question_that_only_sets_something_aside_asks_the_previous_one():
    """ "who's involved besides governments?" after the ILO's standards was used as asked and answered with UNODC:
    what is left once "besides governments" is set aside ("who's involved") asks nothing of its own. A question
    with words of its own after what it sets aside stands alone."""
    history = [("Which agency sets international labour standards for migrant workers?", "ILO: It provides … [1]")]
    assert rewrite("who's involved besides governments?", history) == (
        "who's involved besides governments? (Which agency sets international labour standards for migrant workers?"
        " ILO)")
    assert rewrite("which agencies besides unhcr work with refugees?", history) is None


def test_the_job_is_the_office_the_conversation_is_about():
    """ "who held the job?" after "tell me about the special representative on migration" was searched with the
    earlier question appended and answered without his name: "the job" is the SRSG's (a person's office is what
    a definite noun means when the conversation has no other body); with an agency in it, the agency's."""
    srsg = [("tell me about the special representative on migration", "Peter Sutherland is the Special …")]
    assert rewrite("who held the job?", srsg) == "who held the special representative job?"
    assert rewrite("how important is the role?", srsg) == "how important is the special representative role?"
    both = [*srsg, ("and what does UNHCR do?", "UNHCR: In order to fulfil its mandate …")]
    assert rewrite("how often does the chair change?", both) == "how often does the UNHCR chair change?"
    # only an office noun may mean the person's office; one that does not end its phrase is no reference
    assert rewrite("who are the members?", srsg) == (
        "who are the members? (tell me about the special representative on migration)")
    assert rewrite("how is the job market for migrants?", [("what does IOM do?", "IOM is dedicated …")]) is None


def test_something_you_mentioned_is_from_the_conversation():
    """ "whats the tripartite thing you mentioned" after a question on the ILO was used as asked and abstained
    ("mentioned" is in no passage); read with the earlier question, the ILO's passage answers."""
    history = [("what does the ILO do on migration", "ILO, the UN specialized agency on labour issues, …")]
    assert rewrite("whats the tripartite thing you mentioned", history) == (
        "whats the tripartite thing you mentioned (what does the ILO do on migration)")
    assert rewrite("what did you say about the tripartite thing", history) is None  # not the phrase
    # "what do you mean by tripartite" names what it asks about: read with an earlier question the notes could not
    # answer ("how many countries have ratified them?") it abstained; alone it is answered
    assert rewrite("what do you mean by tripartite", history) is None


def test_an_ordinal_is_a_place_among_the_bodies_listed_or_named():
    """ "the second agency you listed" after the member list, "the second one, does it …?" after a question on two
    bodies, "the first one" two turns back: the body at that place (not the last body named); not a thing the last
    question named in the plural, nor a place past the end."""
    members = [("which agencies belong to the GMG", "The GMG consists of 10 organizations …: International Labour "
                "Organization (ILO); International Organization for Migration (IOM); United Nations Conference on "
                "Trade and Development (UNCTAD); … [1]")]
    assert rewrite("the second agency you listed, what does it do on migration", members) == (
        "International Organization for Migration, what does it do on migration")
    assert rewrite("and the last one?", [*members, ("IOM, what does it do on migration", "IOM is dedicated …")]) == (
        "UNCTAD, what does it do on migration")
    two = [("what do unctad and the world bank do on remittances", "UNCTAD: … World Bank: … [1]")]
    assert rewrite("the second one, does it have data online?", two) == "world bank, does it have data online?"
    turns = [("what does unodc do?", "UNODC, as custodian …"), ("what does iom do?", "IOM is dedicated …")]
    assert rewrite("go back to the first one - where is it based?", turns) == "go back to unodc - where is it based?"
    dialogues = [("what were the UN high level dialogues on migration and development?", "At the second High-level "
                  "Dialogue …, the Secretary-General tasked his Special Representative … the GFMD and the GMG …")]
    assert rewrite("when was the first one?", dialogues) == (
        "when was the first one? (what were the UN high level dialogues on migration and development?)")
    assert rewrite("the third one, does it set standards?", two).startswith("the third one, does ")  # no third
    # at the end of the question; picked from what the last turn gave, not read as an ellipsis of its question
    assert rewrite("the second agency you listed?", members) == "International Organization for Migration?"
    assert rewrite("what about the second one?", members) == "what about International Organization for Migration?"
    # the newest turn naming several bodies counts, not an older list
    assert rewrite("the second one, does it have data online?", [*members, *two]) == (
        "world bank, does it have data online?")
    # a rank, or a thing the last question asked about, is no body of the conversation
    for question in ("which was the first agency to join the GMG?", "is IOM the first agency to chair the gmg?",
                     "was the first agency to join a UN body?"):
        assert "Organization" not in (rewrite(question, members) or ""), question
    plan = [*turns, ("what are the objectives of the GMG work plan?", "The GMG is implementing a Multi-Annual …")]
    assert rewrite("what is the second one?", plan) == (
        "what is the second one? (what are the objectives of the GMG work plan?)")


def test_the_first_one_leans_on_the_conversation_even_in_a_question_naming_a_body():
    """ "did the GMG contribute to the first one?" after a question on the dialogues was used as asked (it names the
    GMG), so the dialogue was lost."""
    history = [("what were the high-level dialogues on migration and development?", "At the second High-level …")]
    assert rewrite("did the GMG contribute to the first one?", history) == (
        "did the GMG contribute to the first one? (what were the high-level dialogues on migration and development?)")
    assert rewrite("which one came first?", history) is not None
    # "one" with its noun in the question, or "one of …", stands alone
    for question in ("Of the two dialogues, did the GMG contribute to the first one?",
                     "Which one of the agencies handles refugees?", "Is UNHCR the only one working on asylum?"):
        assert rewrite(question, [("what does UNHCR do?", "UNHCR: …")]) is None, question


def test_questions_of_their_own_stay_as_asked():
    """Found in review: complete questions that an opener, "one", "besides" or a membership noun made follow-ups."""
    history = [("what is the gfmd?", "The GFMD is a voluntary, informal … process [1]")]
    for question in ("Only IOM works on return, right?", "On the whole, the GMG works well?",
                     "Anything new from the GFMD?", "In 2007 UNHCR chaired the GMG?",
                     "Besides money, what do migrants send home?",
                     "Apart from remittances, how do diasporas contribute to development?",
                     "Is UNHCR the one that protects refugees?", "Who is the one in charge of the GMG?",
                     "Is the ILO convention on domestic workers the latest one?",
                     "How many members does the ILO Governing Body have?",
                     "Can family members join migrant workers abroad?",
                     "Who are the observers at the Human Rights Council?"):
        assert rewrite(question, history) is None, question


def test_a_body_set_aside_does_not_stop_a_definite_noun_from_pointing_back():
    """ "which agencies help out with the forum apart from iom?" after a question on the GFMD: the forum is the
    GFMD (golden conv-29 says so); IOM, set aside, is not what the question is about. It was used as asked."""
    history = [("whats the gfmd budget", "The documents don't say.")]
    assert _read("which agencies help out with the forum apart from iom?", history) == (
        "which agencies help out with gfmd apart from iom?", ("IOM",))
    # "forum" is the noun the GFMD's full name is built on: the forum is the GFMD whatever other body is named (it
    # used to keep such questions standing alone: thirty-second session), also after a sentence-opening "Besides,"
    assert rewrite("does the forum work with iom?", history) == "does gfmd work with iom?"
    assert rewrite("Besides, does iom work with the forum?", history) == "Besides, does iom work with gfmd?"


@pytest.mark.parametrize(("searched", "asked", "carried"), [
    ("when did that start? (gfmd - what is it?)", "when did that start?", "gfmd - what is it?"),
    ("since when? (what is the GMG (the group)?)", "since when?", "what is the GMG (the group)?"),
    ("does ILO work on trafficking too?", "does it work on trafficking too?", None),  # a pronoun rewrite
    ("what does unodc do (in short)?", "what does unodc do (in short)?", None),  # the user's own brackets
])
def test_the_earlier_question_a_follow_up_carries(searched, asked, carried):
    from assistant.answering.question import carried_question

    assert carried_question(searched, asked) == carried


@pytest.mark.parametrize("question", ["through the country offices?", "anything on hiv?",
                                      "via the regional commissions?", "only in africa?", "just remittances?"])
def test_a_bare_phrase_continues_the_earlier_question(question):
    """ "through the country offices?" after "what does undp do on migration" was used as asked (and abstained)."""
    history = [("what does undp do on migration", "UNDP's aim is to maximize … [1]")]
    assert rewrite(question, history) == f"{question} (what does undp do on migration)"


def test_a_question_opening_with_a_preposition_stands_alone_when_it_asks():
    history = [("what does undp do on migration", "UNDP's aim is to maximize … [1]")]
    for question in ("In which year was the GMG created?", "For trafficking victims, who is responsible?",
                     "With whom does the GMG promote dialogue?"):
        assert rewrite(question, history) is None, question


def test_a_membership_noun_without_its_group_is_membership_of_the_conversations_group():
    """ "is the UN a member?" after "gfmd - what is it?" was used as asked (and abstained)."""
    history = [("gfmd - what is it?", "The GFMD is a voluntary, informal … process [1]")]
    assert rewrite("is the UN a member?", history) == "is the UN a member of gfmd?"
    assert rewrite("is the world bank a member?", [("what is the gmg", "The GMG is …")]) == (
        "is the world bank a member of gmg?")
    # a body that is no group leaves the question as asked; so do "members of …" and "member states"… of a group named
    assert rewrite("is the UN a member?", [("what does UNHCR do?", "UNHCR: …")]) is None
    assert rewrite("is the UN a member of the GMG?", history) is None
    assert rewrite("who are the GMG members?", history) is None
    assert rewrite("is it open to member states?", history) == "is gfmd open to member states?"
    assert rewrite("is unhcr a member or an observer?", history) == "is unhcr a member of gfmd or an observer?"


@pytest.mark.parametrize(("question", "word", "expected"), [
    ("Is UNICEF in the GMG?", "UNICEF", True),
    ("Does DESA measure SDG indicator 10.7.2?", "SDG", True),
    ("Is the GMG funded by the EU?", "EU", False),  # two letters: "NY", "GA" may shorten what the notes spell out
    ("What did the GMG do in Mar 2006?", "Mar", False),
    ("what does undp do? I'm from Kenya.", "Kenya", False),  # not in the sentence that asks
    ("Hi, I'm Anna. What does IOM do?", "Anna", False),
    ("¿Qué hace la OIM?", "Qué", False),
    ("what is Germany's policy", "Germany", True),
    ("Germany: what is its policy?", "Germany", False),  # a sentence starts with it
    ("is it funded? Who pays?", "Who", False),
    ("How Do I Apply For A Job At The GMG", "Apply", False),  # title case throughout
    ("is the gmg funded by the eu?", "eu", False),
])
def test_is_name(question, word, expected):
    start = question.index(word)
    assert is_name(question, start, start + len(word)) is expected


def test_whole_word_takes_the_hyphenated_parts():
    question = "the current ILO Director-General's view"
    start = question.index("Director")
    assert whole_word(question, start, start + len("Director")) == "Director-General"
    assert whole_word("a - b", 0, 1) == "a"


@pytest.mark.parametrize(("question", "parts"), [
    ("which agencies cover human rights of migrants and which cover labour rights",
     ["which agencies cover human rights of migrants", "which agencies cover labour rights"]),
    ("which agency deals with people smuggling and which one deals with refugees",
     ["which agency deals with people smuggling", "which one deals with refugees"]),  # 'one' is its own noun
    ("When was the GMG created, and what work plan was it implementing by 2013?",
     ["When was the GMG created", "what work plan was GMG implementing by 2013?"]),
])
def test_each_part_reads_alone(question, parts):
    assert resolve_parts(split_parts(question), GLOSSARY) == parts


def test_what_a_message_says_before_it_asks_is_dropped_when_the_notes_know_none_of_it():
    """ "I'm an evaluator. Which member covers migration statistics?" abstained: "evaluator", a word the notes never
    use, counted against the answer. What is said before a question is dropped when it names no body and the notes
    use none of its words, and the question stands on its own."""
    from assistant.preamble import without_preamble

    # the words "the documents" use
    known = {"remittances", "statistics", "migration", "team", "smuggling", "brain", "drain"}.__contains__

    def read(message: str) -> str:
        return without_preamble(message, GLOSSARY, known, FRAME)

    assert read("I'm an evaluator. Which member covers migration statistics?") == (
        "Which member covers migration statistics?")
    assert read("I'm a journalist. When was the GMG set up?") == "When was the GMG set up?"
    # an opening clause that says nothing the notes know, before a comma (round-8 probe: it abstained)
    assert read("ok whatever, is desa a member of the gmg") == "is desa a member of the gmg"
    kept = ["I'm looking at remittances. Which agencies work on remittances?",  # a topic the notes know
            "I work for Frontex. Does IOM cooperate with us?",  # a name "us" may point to
            "I'm an evaluator. Which agencies work on it?",  # a question that leans on what was said
            "really? i thought it was in geneva",  # what is said leans on the conversation
            "what did the GMG grow out of? was there an older group before it",  # two questions, one without '?'
            "Which member covers migration statistics?", "I'm an evaluator.",  # only asks; only tells
            "for remittances, which agency is in charge?", "in 2006, who chaired the gmg",  # a topic, a year
            "for seafarers, which convention applies?", "other than money, what does the world bank give?",
            "remittances sent home, who tracks that?"]  # a clause that narrows the question; one the notes know
    assert read("that reminds me, does unhcr help?") == "does unhcr help?"  # nothing the notes know (fu-260)
    # a clause about the asker names where the asker works, not what is asked (round-20 probes: "i'm new at undp …
    # what is it?" quoted UNDP's place in the member list; "ilo vs iom, what's the diff, the names confuse me"
    # abstained)
    assert read("I work for IOM. What does UNHCR do?") == "What does UNHCR do?"
    assert read("just joined the ilo migration branch - what's the gmg in a nutshell") == "what's the gmg in a nutshell"
    assert read('i\'m new at undp and my boss keeps saying "the gmg" in meetings - what is it actually?') == (
        "what is it actually? (GMG)")
    assert read("ilo vs iom, what's the diff, the names confuse me") == "ilo vs iom, what's the diff"
    assert read("does unodc run its own protocol on it, smuggling i mean") == (  # a tail the notes know a word of
        "does unodc run its own protocol on it, smuggling i mean")
    assert read("brain drain - which bodies mention that?") == "brain drain - which bodies mention that?"
    for message in kept:
        assert read(message) == message, message
    # a question whose pronoun means what was just said is read with the words of it the notes use (round-6 probe)
    assert read("I'm looking at remittances. Which agencies work on it?") == "Which agencies work on it? (remittances)"
    # not in a chat, where "it" may be what the conversation is about (review)
    assert without_preamble("I'm looking at remittances. Which agencies work on it?", GLOSSARY, known, FRAME,
                            in_chat=True) == "I'm looking at remittances. Which agencies work on it?"


def test_the_askers_own_head_is_not_asked_for():
    """ "My director wants to know how UNDP connects migration to human development." pinned a head (the
    "director" attribute) that no passage states, and abstained."""
    assert QuestionType.of("My director wants to know how UNDP connects migration to human development.").attributes \
        == ()
    assert QuestionType.of("Who is the director of UNHCR?").attributes  # a head asked for


def test_the_noun_a_full_name_is_built_on():
    """ "the bank", "the forum" point back to the body whose full name they head (Body.head)."""
    from ingest.glossary import Body

    assert {b.name: b.head for b in GLOSSARY.bodies}["World Bank"] == "bank"
    assert {b.name: b.head for b in GLOSSARY.bodies}["GFMD"] == "forum"  # before "on Migration and Development"
    assert Body("WHO", "World Health Organization (WHO)").head == "organization"
    assert Body("X", "").head == "x" and Body("GC", "the Global Compact").head == "compact"


@pytest.mark.parametrize(("question", "read"), [
    # the noun only one body's full name is built on, in a question that does not name that body otherwise
    ("whats the difference between the gmg and the forum in a nutshell",
     "whats the difference between the gmg and GFMD in a nutshell"),
    ("the bank does research too right?", "World Bank does research too right?"),
    ("What is the forum exactly?", "What is GFMD exactly?"),
    # words of its full name before it say which of the bodies sharing a noun is meant (round-11 probes)
    ("human rights office in the group, what do they do", "OHCHR in GMG, what do they do"),
    ("the refugee office's role", "UNHCR's role"),
    ("which un agencies are in the migration group?", "which un agencies are in GMG?"),
    # … but a word of its own makes another body ("the geneva migration group"), as does "a"; "groups" are several
    ("what is the geneva migration group", "what is the geneva migration group"),
    ("a trade conference in geneva", "a trade conference in geneva"),
    ("how do the groups differ", "how do the groups differ"),
    # read as asked: a noun said what it is right there, a year between, a noun several names share, a body named
    ("what is the bank of england doing", "what is the bank of england doing"),
    ("what did the 2013 dialogue agree", "what did the 2013 dialogue agree"),
    ("who heads the office", "who heads the office"),
    ("is the GFMD the same as the forum?", "is the GFMD the same as the forum?"),
])
def test_a_bodys_own_noun_is_read_as_that_body(question, read):
    """ "What is the forum exactly?" quoted the SRSG's regular meetings: with no conversation to resolve "the forum",
    it is the one body whose full name is built on "forum" (round-9 and round-11 probes)."""
    assert with_heads_named(question, GLOSSARY) == read


@pytest.mark.parametrize(("text", "count"), [
    ("In particular coordination and cooperation could be further developed in the following five areas:", 5),
    ("The GMG consists of 10 organizations that are actively involved in international migration:", 10),
    ("The GMG is currently focusing its discussions on a number of specific issues. These include:", None),
    ("Since 2006 the group has met on the following topics:", None),  # a year is no count
    ("Its one aim is this:", None),  # one item is no list to stop
])
def test_a_list_introduction_states_its_count(text, count):
    assert stated_count(text) == count



def test_a_follow_up_asks_its_own_kind_of_question_not_the_one_it_carries():
    """ "since when? (who's the srsg on migration)" was a who-question: the check that the answer speaks of the
    body asked about was skipped, and the GMG's first meeting answered (round-18 probe)."""
    carried = QuestionType.of("since when? (who's the srsg on migration)")
    assert carried.when and not carried.who
    assert QuestionType.of("and in 2006? (who chaired the GMG?)").who  # asks nothing of its own: the carried kind


class _Unit:
    def __init__(self, text: str):
        self.text = text


@pytest.mark.parametrize(("gaps", "count"), [
    (["\n1. ", "\n2. ", "\n3. ", "\n"], 3),  # numbered 1-3, prose after the third
    (["\n- 1. ", "\n- 2. ", "\n- 3. ", "\n- 4. "], None),  # numbered on past the count: it counts something else
    (["\n- ", "\n- ", "\n- ", "\n"], None),  # bullets cannot be counted
    (["\n1. ", "\n", "\n2. ", "\n"], None),  # an item's own line between the items
    (["\n- ", " Thurs", "\n", "\n3. "], None),  # debris between units is no marker (lkaugsburg_5599110)
])
def test_a_list_ends_at_its_count_only_when_its_items_are_numbered_to_it(gaps, count):
    intro = _Unit("It has three parts:")
    units = [_Unit(f"unit {i}") for i in range(len(gaps))]
    chain = [intro, *units]
    between = {(id(a), id(b)): gap for a, b, gap in zip(chain, chain[1:], gaps, strict=False)}
    assert counted_items(intro, units, lambda a, b: between[(id(a), id(b))]) == count



def test_round_20_and_21_question_readings():
    """Blind probe rounds 20 and 21 (2026-12-07): "which body counts how many migrants" asks for a body, not a
    number; "List every member …" and a "which" before a three-word group name ask which bodies; "the best at",
    "rn" ask for what dated notes only state in so many words; "which year" asks when."""
    of = QuestionType.of
    assert not of("which body actually counts how many migrants there are in the world").how_many
    assert of("which body actually counts how many migrants there are in the world").counted is None
    assert of("who chairs it and how many members are there?").how_many  # two questions in one
    assert of("how many agencies are in the gmg").how_many
    assert of("Which Global Migration Group members deal mainly with statistics?").who
    assert of("List every member of the Global Migration Group.").who and of("name the agencies in the gmg").who
    assert not of("list the main objectives of the gmg").who
    assert of("Which agency is the best at migration policy?").attributes
    assert of("who heads iom rn").attributes and of("who's the special rapporteur on migrants atm").attributes
    assert not of("who heads iom").attributes
    assert of("which year was that").when and of("in which year did it start?").when


def test_round_21_follow_up_readings():
    """ "and which one handles trafficking?" after "which GMG members deal with statistics?" asks that question's
    noun again (the bracketed earlier question pulled in the GMG's list of issues), and a later "it" is the member
    the answer gave, not the group that only scoped the question; "binding?" after "… non-binding …" leans on the
    answer; a pronoun whose antecedent is an earlier sentence of the same message is left alone."""
    history = [("Which Global Migration Group members deal mainly with statistics?", "UNDESA: They include … [1]")]
    assert rewrite("and which one handles trafficking?", history) == (
        "and which Global Migration Group member handles trafficking?")
    assert rewrite("which one?", history) != "which Global Migration Group member?"  # nothing of its own asked
    history.append(("and which Global Migration Group member handles trafficking?", "UNODC, as custodian … [1]"))
    assert rewrite("Does it also supervise the Refugee Convention?", history) == (
        "Does UNODC also supervise the Refugee Convention?")
    forum = [("is gfmd a un thing?", "The GFMD is a voluntary, informal, non-binding and government-led process …")]
    assert rewrite("binding?", forum) == "binding? (is gfmd a un thing?)"
    gmg = [("who's in gmg?", "The GMG consists of 10 organizations …")]
    assert "thought it wasnt" in rewrite("is the world bank in there too? i thought it wasnt a un agency", gmg)


def test_meeting_and_chairing_are_what_the_conversations_group_does():
    """ "how often do they meet?" and "who chairs it?" after "why is the world bank in the gmg?" were read as the
    World Bank's meetings and chair (round-20 and round-21 probes); a conversation with no group keeps its body."""
    history = [("who's in gmg", "The GMG consists of 10 organizations …"),
               ("and the world bank, why is it there if it's not un?", "The World Bank has also been … [1]")]
    assert rewrite("how often do they actually meet", history) == "how often do gmg actually meet"
    assert rewrite("ok thanks, and who chairs it?", history) == "ok thanks, and who chairs gmg?"
    assert rewrite("what else does it do?", history) == "what else does world bank do?"
    assert rewrite("who chairs it", [("what does unhcr do", "In order to fulfil its mandate …")]) == "who chairs unhcr"


def test_review_of_the_round_20_and_21_readings():
    """A helper's review of the change found these read worse; each is read as before it."""
    from assistant.ellipses import which_one_again
    from assistant.preamble import without_preamble

    def read(message: str) -> str:
        return without_preamble(message, GLOSSARY, lambda w: True, FRAME)

    # several bodies said, or a question comparing with the asker's own body, keep what was said
    for kept in ("I'm comparing ILO and IOM. Which of them works on labour migration?",
                 "I work at UNHCR, does IOM do refugee protection too?",
                 "The US works with IOM and UNHCR. What do they do?"):
        assert read(kept) == kept
    # "meet" with an object, a member that chairs, a group that led the answer, an abbreviation's full stop
    iom = [("who's in the gmg", "The GMG consists of 10 organizations …"), ("what does iom do", "IOM is dedicated …")]
    assert rewrite("does it meet the criteria for membership?", iom) == "does iom meet the criteria for membership?"
    assert rewrite("has it chaired before?", iom) == "has iom chaired before?"
    assert rewrite("when was it created?", [("who supports the gfmd?", "the GMG could assist the GFMD Chair …")]) == (
        "when was gfmd created?")
    assert rewrite("what does the U.N. think of it?", [("who's in the gmg", "The GMG consists of …")]) == (
        "what does the U.N. think of gmg?")
    # a count set off by a mark is asked; "which countries host …" asks for no body
    assert QuestionType.of("who is in the GMG, how many agencies?").how_many
    assert QuestionType.of("who are the members - how many are there?").how_many
    assert not QuestionType.of("which countries host UN agencies?").who
    assert not QuestionType.of("which agency spends the most time on trafficking?").attributes
    assert QuestionType.of("which gmg member spends the most on migration").attributes
    # "which one" only for a question of its own after a "which <noun>" question
    statistics = "Which GMG members deal with statistics?"
    for question in ("which one do you mean?", "which one of them also works on remittances?",
                     "which one, UNHCR or IOM, handles refugees?"):
        assert which_one_again(question, statistics, GLOSSARY) is None
    assert which_one_again("which one handles trafficking?", "what UN agencies, besides IOM, work on it?",
                           GLOSSARY) is None
    assert which_one_again("which one handles trafficking?", "which three members joined in 2006?", GLOSSARY) == (
        "which member handles trafficking?")


def test_applying_for_a_job_asks_for_posts_the_notes_must_speak_of():
    """ "how do i apply for a job with the global migration group?" was answered with the GMG's terms of reference
    (nat-105, tune); "what was his job at the un" asks his role."""
    assert QuestionType.of("how do i apply for a job with the global migration group?").attributes
    assert not QuestionType.of("what was his job at the un").attributes


def test_readings_of_the_round_22_probe():
    """Round 22 (blind probe): a quoted term is what "it" means, "this year" is now, "this group" is the chat's
    group, a membership noun ending its clause is membership of the chat's group, a "which …" question may follow a
    topic set off by a dash, the list's group is no place among its members, "give me" is no asker spoken of."""
    from assistant.preamble import speaks_of_asker, without_preamble

    unhcr = [("what does UNHCR do?", "In order to fulfil its mandate to protect refugees … UNHCR …")]
    assert rewrite("what does 'return' mean when IOM talks about it", unhcr) is None
    assert rewrite("what is the GMG's budget for this year?", unhcr) is None
    assert rewrite("and that year, who chaired it?", [("when was the GMG set up?", "In early 2006 …")]) is not None
    gmg = [("what is the GMG?", "The Global Migration Group (GMG) is an inter-agency group …")]
    assert rewrite("who makes the decisions in this group?", gmg) == "who makes the decisions in GMG?"
    assert rewrite("does that organization work with iom?", unhcr) == "does UNHCR work with iom?"
    assert rewrite("is the World Bank a member, even though it's not a UN agency?", gmg) == (
        "is the World Bank a member of GMG, even though it's not a UN agency?")
    members = [("which two members aren't UN agencies?", "The GMG consists of 10 organizations …: International "
                "Labour Organization (ILO); International Organization for Migration (IOM); World Bank.")]
    assert rewrite("what does the first one do?", members) == "what does International Labour Organization do?"
    assert QuestionType.of("remittances - which gmg members work on them").who
    assert not QuestionType.of("remittances - the figures, are they public?").who
    assert not speaks_of_asker("can you give me the basics of the GMG?", requests=False)
    assert speaks_of_asker("the names confuse me")
    message = "hi I just joined a migration team at a UN office, can you give me the basics of the GMG?"
    assert without_preamble(message, GLOSSARY, lambda w: True, FRAME) == "can you give me the basics of the GMG?"
    for judged in ("which countries are the worst for trafficking?", "whats the name of the boss of UNHCR"):
        assert QuestionType.of(judged).attributes, judged


def test_review_of_the_round_22_readings():
    """A helper's review of the change found these read worse; each is read as before it."""
    from assistant.preamble import without_preamble

    iom = [("what does IOM do?", "IOM is dedicated to promoting humane and orderly migration …")]
    assert rewrite("is it true that migration is increasing?", iom) != "is it true IOM is increasing?"
    assert rewrite("how big is this migration problem?", iom) != "how big is IOM problem?"
    assert rewrite("is 'return' something they handle?", iom) == "is 'return' something IOM handle?"
    gmg = [("what is the GMG?", "The Global Migration Group (GMG) is an inter-agency group …")]
    assert "GMG" not in (rewrite("do migrants' family members, like children, get any protection?", gmg) or "")
    for kept in ("my team works on statelessness, is UNHCR the lead agency?",
                 "I work on refugee protection, how does UNHCR fit into the GMG?"):
        assert without_preamble(kept, GLOSSARY, lambda w: True, FRAME) == kept
    assert without_preamble("what is the GMG, give me the short version", GLOSSARY, lambda w: True, FRAME) == (
        "what is the GMG")
    assert not QuestionType.of("what are the biggest issues the GMG is focusing on?").attributes


def test_answers_to_the_round_22_probe(assistant):
    """ "can you …" asks nothing of a passage's "can" ("The GMG can thus draw on …" answered "can you give me the
    basics of the GMG?"); a topic set off by a dash before "which gmg members …" is what they work on."""
    basics = assistant.ask("can you give me the basics of the GMG?")
    assert basics.answer.startswith("The Global Migration Group (GMG) is an inter-agency group"), basics.answer
    remittances = assistant.ask("remittances - which gmg members work on them")
    assert remittances.citations[0].section == "World Bank", remittances.answer
    assert assistant.ask("which countries are the worst for trafficking?").abstained


def test_readings_of_the_round_23_probe():
    """Round 23 (blind probe, chats): "though" opens a clause whose subject "it" is the body just named, "worth it"
    refers to nothing, an object pronoun in a relative clause may mean the main clause's subject, and "that
    position" leans on the chat as "that agency" does."""
    iom = [("what is IOM", "IOM is dedicated to promoting humane and orderly migration …")]
    for alone in ("Does the World Bank belong to the GMG even though it isn't a UN agency?",
                  "is the gmg worth it or should it be scrapped",
                  "Can the GFMD make binding decisions on the states that take part in it?"):
        assert rewrite(alone, iom) is None, alone
    assert rewrite("what does the agency that runs it do?", iom) is not None  # "it": still the chat's
    assert rewrite("does the UN have a say in it?", iom) is not None
    srsg = [("Could you summarise the role of the SRSG on migration?", "Peter Sutherland is the Special …")]
    assert rewrite("Who holds that position?", srsg) == (
        "Who holds that position? (Could you summarise the role of the SRSG on migration?)")


def test_a_body_spelled_out_beside_another_is_read_by_its_short_name(assistant):
    """ "is the world bank a member of the Global Migration Group?" quoted the Bank's work: with two bodies named, the
    words of a spelled-out name had to be in the sentence itself, and the member list says "The GMG" (round-23
    probe; "… of the GMG?" got the list)."""
    for question in ("is the world bank a member of the Global Migration Group?",
                     "Does the Global Migration Group include UNHCR?"):
        answer = assistant.ask(question)
        assert answer.answer.startswith("The GMG consists of 10 organizations"), answer.answer


def test_counts_asked_after_who():
    """A question opening with "who" may still ask for a number. Round 24 (2026-12-07) tried reading any later count
    after a bare "who" as what the body does ("Who produces the official estimates of the number of international
    migrants?" abstains for want of a number); a review found these, which ask for the number, and it was dropped."""
    of = QuestionType.of
    for question in ("who would know how many people work at UNHCR", "who has the number of IOM member states?",
                     "and who leads IOM how many staff does it have",
                     "who can tell me how many agencies are in the gmg",
                     "who chairs it and how many members are there?"):
        assert of(question).how_many, question


def test_round_24_a_plural_object_beside_a_named_body_means_the_things_asked_about():
    """Blind probe round 24 (2026-12-07): a plural object in a question naming its own body means the things an
    earlier question naming no body spoke of ("does unodc help governments put them in place" after a question on
    the two protocols had become "… put OHCHR in place"); not when that question asked which bodies (a review: "does
    IOM cooperate with them?" after "which organizations help refugees and asylum seekers?" is UNHCR), nor when it
    named one. Tried and dropped after the review: an object "it" after a follow-up that added a topic ("is there a
    target for cutting it" after "and the cost of remittances") read as the topic; "how can my country join it",
    "does anyone fund it" mean the body."""
    protocols = [("which un body deals with human trafficking", "OHCHR promotes a human rights approach … [1]"),
                 ("what are the two protocols? signed", "The documents don't say. …")]
    assert rewrite("does unodc help governments put them in place", protocols) == (
        "does unodc help governments put them in place (what are the two protocols? signed)")
    refugees = [("which organizations help refugees and asylum seekers?", "UNHCR: In order to fulfil … [1]")]
    assert rewrite("does IOM cooperate with them?", refugees) == "does IOM cooperate with UNHCR?"
    assert rewrite("does unodc work with them", [("what does ohchr do", "OHCHR promotes … [1]")]) == (
        "does unodc work with ohchr")  # the earlier question named a body: the pronoun is it (spelt as there)



def test_round_24_a_correction_that_restates_a_whole_question_is_that_question():
    """Round 24 (2026-12-07): "i meant" before a question that names its own body and leans on nothing asks that
    question ("i meant what does the world bank do on remittances" after a question on UNDP was read with it); one
    that names no body still leans on the chat (a review: "i meant how does the rotation work" after "who chairs the
    GMG?" abstained alone)."""
    undp = [("what does undp do on migration", "UNDP's aim is … [1]")]
    assert rewrite("i meant what does the world bank do on remittances", undp) == (
        "what does the world bank do on remittances")
    assert rewrite("no i meant what does ilo do", undp) == "what does ilo do"
    assert rewrite("i meant unctad", undp) == "what does UNCTAD do on migration"
    assert "GMG" in rewrite("i meant how does the rotation work", [("who chairs the GMG?", "The Chair … [1]")])
    assert rewrite("i meant what does it do on return", undp) == (
        "i meant what does it do on return (what does undp do on migration)")
