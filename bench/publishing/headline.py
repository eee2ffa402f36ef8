"""The headline tables as data: what the README, the results page, the card and the LaTeX all render."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HeadlineTable:
    """One task's headline table, free of any output format.

    `rows` hold plain cell text (no Markdown or LaTeX markup); `bold` the (row, column) positions to set in bold,
    column 0 being the model's name; `group_starts` maps a row index to the heading of the row group it opens
    (the corpus-informed models, outside the ranking); `notes` are the sentences of the caption.
    """

    task: str
    title: str
    header: list[str]
    rows: list[list[str]]
    bold: frozenset[tuple[int, int]] = frozenset()
    group_starts: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
