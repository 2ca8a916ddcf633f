"""What the door needs to know of an assignment, as plain data (no engine types).

The grading path hands the session an assignment's JSON description (what
`autograder.assignment.dumps` writes; a dict of it works too) and the door reads only
these parts of it: the notebooks and their definition cells (`notebooks`, `also_in`,
`needs`), the trusted classes the child adds (`trusted`), the operations the child
serves with their arguments and reply schemas (`operations`), the model files a
submission may hold (`model_files`), the distributions student code may import
(`child_distributions`) and the child's operations module (`child_operations`, by
default `child.py` in the assignment's `folder`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildSpec:
    """One assignment, as the door sees it."""

    notebooks: tuple[str, ...]
    definitions: Mapping[str, tuple[str, ...]]     # grade_id -> the names it must define
    notebook_of: Mapping[str, str]                 # grade_id -> the notebook that holds it
    also_in: Mapping[str, tuple[str, ...]]         # grade_id -> other notebooks it runs in
    needs: Mapping[str, tuple[str, ...]]           # target -> the grade_ids it needs
    trusted: Mapping[str, Mapping[str, str]]       # class -> {notebook, base, cell, source}
    operations: Mapping[str, Mapping[str, object]]  # op -> {args, optional, shared, reply}
    model_files: tuple[str, ...]
    child_operations: Path
    child_distributions: tuple[str, ...]

    @classmethod
    def read(cls, description: str | Mapping[str, object]) -> ChildSpec:
        """From an assignment's JSON description (text or parsed); KeyError/TypeError
        when a part the door needs is missing or malformed."""
        raw = json.loads(description) if isinstance(description, str) else description
        notebooks = {str(nb): {str(g): tuple(names) for g, names in cells.items()}
                     for nb, cells in raw["notebooks"].items()}
        child = raw.get("child_operations") or Path(str(raw["folder"])) / "child.py"
        return cls(
            notebooks=tuple(notebooks),
            definitions={g: names for cells in notebooks.values() for g, names in cells.items()},
            notebook_of={g: nb for nb, cells in notebooks.items() for g in cells},
            also_in={str(g): tuple(nbs) for g, nbs in (raw.get("also_in") or {}).items()},
            needs={str(t): tuple(cells) for t, cells in (raw.get("needs") or {}).items()},
            trusted={str(c): {k: str(v) for k, v in t.items()}
                     for c, t in (raw.get("trusted") or {}).items()},
            operations={str(op): {"args": list(o["args"]),
                                  "optional": list(o.get("optional", [])),
                                  "shared": list(o.get("shared", [])),
                                  "reply": dict(o["reply"])}
                        for op, o in (raw.get("operations") or {}).items()},
            model_files=tuple(raw.get("model_files") or ()),
            child_operations=Path(child),
            child_distributions=tuple(raw.get("child_distributions") or ("numpy",)))

    def namespaces_of(self, grade_id: str) -> tuple[str, ...]:
        """The notebooks whose namespaces a definition cell runs in."""
        return (self.notebook_of[grade_id], *self.also_in.get(grade_id, ()))

    def cells_needed(self, target: object) -> tuple[str, ...]:
        """The definition cells an operation on `target` (a function or class) needs."""
        if target in self.needs:
            return self.needs[target]
        return (target,) if target in self.notebook_of else ()

    def to_child(self) -> dict:
        """What the harness needs (it cannot read the assignment's folder): the notebooks,
        where each definition runs, what it must define, and the trusted classes."""
        return {"notebooks": list(self.notebooks), "notebook_of": dict(self.notebook_of),
                "namespaces_of": {g: list(self.namespaces_of(g)) for g in self.definitions},
                "definitions": {g: list(n) for g, n in self.definitions.items()},
                "trusted": {k: dict(v) for k, v in self.trusted.items()}}
