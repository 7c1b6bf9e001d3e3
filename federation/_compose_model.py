"""Values shared by the composition modules: inputs, issues and the composition error."""

from __future__ import annotations

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
