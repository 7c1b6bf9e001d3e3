"""Values shared by the composition modules: inputs, issues and the composition error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph to compose: its name, the URL it is served at and its SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class CompositionIssue:
    """One reason composition failed, named as Apollo names it where a name exists."""

    code: str
    message: str
    subgraphs: tuple[str, ...]
    coordinate: str | None

    def __str__(self) -> str:
        where = [self.coordinate] if self.coordinate else []
        if self.subgraphs:
            where.append(subgraph_word(self.subgraphs))
        return (
            f"[{self.code}] {', '.join(where)}: {self.message}"
            if where
            else (f"[{self.code}] {self.message}")
        )


class CompositionError(Exception):
    """Composition failed; `.issues` holds every issue found, not only the first."""

    def __init__(self, issues: list[CompositionIssue]) -> None:
        self.issues = issues
        super().__init__(
            f"composition failed with {len(issues)} issue(s):\n"
            + "\n".join(f"  - {issue}" for issue in issues)
        )


def quote_list(names: list[str] | tuple[str, ...]) -> str:
    """`"a"`, `"a" and "b"`, `"a", "b" and "c"` — how issue messages list names."""
    quoted = [f'"{name}"' for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def subgraph_word(names: list[str] | tuple[str, ...]) -> str:
    """`subgraph "a"` or `subgraphs "a" and "b"`."""
    return ("subgraph " if len(names) == 1 else "subgraphs ") + quote_list(names)


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def did_you_mean(name: str, options: Sequence[str]) -> str:
    """Apollo's suggestion for a misspelt name: close options by edit distance."""
    threshold = len(name) * 4 // 10 + 1
    scored = {
        option: 1 if option.lower() == name.lower() else _distance(name, option)
        for option in set(options)
    }
    close = sorted((d, o) for o, d in scored.items() if d <= threshold)
    quoted = [f'"@{o}"' for _, o in close][:5]
    if not quoted:
        return ""
    if len(quoted) == 1:
        return f" Did you mean {quoted[0]}?"
    return f" Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"
