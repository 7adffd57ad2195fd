"""A list in a passage: an introduction ending in ':' and the units after it that are its items."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.answering.question import stated_count

if TYPE_CHECKING:
    from assistant.answering.reader import Candidate


def mark_lists(candidates: list[Candidate], max_items: int = 12) -> None:
    """A sentence ending with ':' introduces the units after it in its chunk and section (until the next
    introduction; as many as it counts, `counted_items`): what it says is its items, so its features are measured
    over them too."""
    by_chunk: dict[int, list[Candidate]] = {}
    for cand in candidates:
        by_chunk.setdefault(id(cand.chunk), []).append(cand)
    for group in by_chunk.values():
        group.sort(key=lambda c: c.start)
        for i, intro in enumerate(group):
            if not intro.text.rstrip().endswith(":"):
                continue
            items = []
            for item in group[i + 1 : i + 1 + (counted_items(intro, group[i + 1 :], _gap) or max_items)]:
                if item.section != intro.section or item.text.rstrip().endswith(":"):
                    break
                items.append(item)
            if items:
                intro.list_end = items[-1].end
                for item in items:
                    item.list_item = True


def counted_items(intro: Candidate, following: list[Candidate], between: Callable[[Candidate, Candidate], str]
                  ) -> int | None:
    """How many units a list's introduction counts out ("in the following five areas:"), when the units right after
    it are numbered 1 to that count ("1.", "- 2)" in the text `between` two units) and the next one is not numbered
    on: the list ends there, though its last item ends with ';' and prose follows ("First, with reference to …").
    None else: no count, bullets that cannot be counted, items with lines of their own between them ("three areas:
    1. outpatient care. "Outpatient" means …"), or a number that counts something else ("up to the age of 12:")."""
    count = stated_count(intro.text)
    if count is None or len(following) < count:
        return None
    units = [intro, *following[: count + 1]]
    numbers = [_item_number(between(a, b)) for a, b in zip(units, units[1:], strict=False)]
    if numbers[:count] != list(range(1, count + 1)) or numbers[count:] == [count + 1]:
        return None
    return count


def _item_number(gap: str) -> int | None:
    """The number a list item opens with in the text before it ("\n1. ", "\n- 4) "); None for a bullet alone or
    other text."""
    for token in gap.split():
        number = token.rstrip(".)")
        if number.isdigit() and number != token:
            return int(number)
        if token not in ("-", "*", "•"):
            return None
    return None


def _gap(before: Candidate, after: Candidate) -> str:
    """The chunk's text between two of its units."""
    base = int(after.chunk.metadata["start"])
    return after.chunk.page_content[before.end - base : after.start - base]
