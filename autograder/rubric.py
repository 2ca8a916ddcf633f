"""Load and validate rubric.toml: the engine's points, timeouts and budget, and the
assignment's own tables (tolerances, bands, thresholds), which its check module validates.

The rubric is data an instructor edits. A mistake in it (a missing or misspelled key,
a negative number, bands out of order) is reported with the file and the key, before
any submission is graded.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import assignment

# The default assignment's rubric (each assignment keeps its own in its folder).
DEFAULT_PATH = assignment.load().rubric_path

Bands = tuple[tuple[float, float], ...]


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Budget:
    """What one submission's own code may cost (wall clock); the grader's reference
    training is not part of it."""

    submission_seconds: float


@dataclass(frozen=True)
class Similarity:
    """The optional [similarity] table: `similarity` flags a pair of submissions whose
    score (the largest share of either one's own code that the other also holds) is at
    least `threshold`. It grades nothing, so it is no part of the rubric's hash."""

    threshold: float = 0.5


@dataclass(frozen=True)
class Rubric:
    """The validated contents of rubric.toml: the engine's part (points per check key,
    timeouts per operation, the budget) and the assignment's own tables (`own`, whatever
    its check module's `parse_rubric` made of them)."""

    source: str
    points: Mapping[str, Mapping[str, float]]
    timeouts: Mapping[str, float]
    budget: Budget
    own: Any = None
    similarity: Similarity = Similarity()

    def timeout(self, op: str) -> float:
        """Seconds one call of operation `op` may take."""
        return self.timeouts[op]

    def points_of(self, target: str, key: str) -> float:
        """The points of the check of `target` named by its rubric key."""
        return self.points[target][key]


class Table:
    """One TOML table, read key by key; every complaint names the file and the key."""

    def __init__(self, source: str, where: str, raw: object) -> None:
        self.source, self.where = source, where
        if not isinstance(raw, Mapping):
            self.fail(f"[{where}] must be a table")
        self.raw = raw
        self.used: set[str] = set()

    def fail(self, message: str) -> None:
        raise RubricError(f"{self.source}: {message}")

    def get(self, key: str) -> object:
        if key not in self.raw:
            self.fail(f"[{self.where}] is missing the key '{key}'")
        self.used.add(key)
        return self.raw[key]

    def table(self, key: str) -> Table:
        return Table(self.source, f"{self.where}.{key}" if self.where else key, self.get(key))

    def number(self, key: str, low: float = 0.0, high: float = math.inf,
               integer: bool = False) -> float:
        value = self.get(key)
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            self.fail(f"[{self.where}] {key} must be {kind}, got {value!r}")
        if not low <= value <= high:
            self.fail(f"[{self.where}] {key} must be between {low} and {high}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"[{self.where}] {key} must be a non-empty string, got {value!r}")
        return value

    def span(self, key: str, whole: bool = False) -> tuple[float, float]:
        """A `[low, high]` pair of finite numbers with 0 <= low <= high (the range a
        setting may take); `whole`: it may only allow whole numbers >= 1."""
        value = self.get(key)
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in value) and 0 <= value[0] <= value[1]):
            self.fail(f"[{self.where}] {key} must be a [low, high] pair of numbers with "
                      f"0 <= low <= high, got {value!r}")
        if whole and value[0] < 1:
            self.fail(f"[{self.where}] {key} must allow only whole numbers >= 1, got "
                      f"{list(value)}")
        return float(value[0]), float(value[1])

    def bands(self, key: str, increasing: bool) -> Bands:
        value = self.get(key)
        shape_ok = isinstance(value, list) and value and all(
            isinstance(b, list) and len(b) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)
            for b in value
        )
        if not shape_ok:
            self.fail(f"[{self.where}] {key} must be a list of [threshold, fraction] pairs, "
                      f"got {value!r}")
        bands = tuple((float(t), float(f)) for t, f in value)
        thresholds = [t for t, _ in bands]
        fractions = [f for _, f in bands]
        order = sorted(thresholds, reverse=not increasing)
        if thresholds != order or len(set(thresholds)) != len(thresholds):
            direction = "increasing" if increasing else "decreasing"
            self.fail(f"[{self.where}] {key}: thresholds must be strictly {direction}, "
                      f"best band first, got {thresholds}")
        if any(not 0 <= f <= 1 for f in fractions) or fractions[0] == 0 \
                or any(lo >= hi for hi, lo in itertools.pairwise(fractions)):
            self.fail(f"[{self.where}] {key}: fractions must lie in [0, 1] and fall "
                      f"strictly band by band, got {fractions}")
        if any(t <= 0 for t in thresholds):
            self.fail(f"[{self.where}] {key}: thresholds must be positive, got {thresholds}")
        return bands

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            self.fail(f"[{self.where or 'top level'}] has an unknown key '{unknown[0]}'")


def parse(data: Mapping[str, object], source: str = "rubric.toml",
          spec: assignment.Assignment | None = None) -> Rubric:
    """Validate a parsed rubric (a dict as tomllib returns it) of assignment `spec`
    (default: the NumPy one) and build a Rubric. The engine reads [points] (a table per
    check target; its keys must be exactly the keys the assignment's checks name),
    [timeouts] (one per operation of assignment.toml), [budget] and the optional
    [similarity]; the assignment's `parse_rubric` validates every other table."""
    spec = spec or assignment.load()
    checks = spec.check_module
    top = Table(source, "", data)

    points_table = top.table("points")
    points: dict[str, dict[str, float]] = {}
    for target in checks.TARGETS:
        table = points_table.table(target)
        points[target] = {key: float(table.number(key, 0.0, 1000.0)) for key in table.raw}
    points_table.done()

    timeout_table = top.table("timeouts")
    timeouts = {op: float(timeout_table.number(op, 0.1, 86_400.0)) for op in spec.operations}
    timeout_table.done()
    budget_table = top.table("budget")
    grading_budget = Budget(
        submission_seconds=float(budget_table.number("submission_seconds", 1.0, 86_400.0)))
    budget_table.done()
    similarity = Similarity()
    if "similarity" in top.raw:
        table = top.table("similarity")
        similarity = Similarity(threshold=float(table.number("threshold", 0.01, 1.0)))
        table.done()
    own = checks.parse_rubric(top, spec)
    top.done()

    rubric = Rubric(source=source, points=points, timeouts=timeouts, budget=grading_budget,
                    own=own, similarity=similarity)
    _match_points(rubric, checks.build_checks(0, rubric), points_table)
    return rubric


def _match_points(rubric: Rubric, checks: list, table: Table) -> None:
    """Every check's key has points in [points.<target>], and every key there is a check's."""
    named = {(check.target, check.key) for check in checks}
    for target, key in sorted(named):
        if key not in rubric.points.get(target, {}):
            table.fail(f"[points.{target}] is missing the key '{key}'")
    for target, keys in rubric.points.items():
        unknown = sorted(k for k in keys if (target, k) not in named)
        if unknown:
            table.fail(f"[points.{target}] has an unknown key '{unknown[0]}'")


def load(path: str | Path | None = None, spec: assignment.Assignment | None = None) -> Rubric:
    """Read and validate a rubric file of assignment `spec` (default: the one whose folder
    holds `path`, else the NumPy assignment; without `path`, `spec`'s own rubric.toml)."""
    if spec is None and path is not None and Path(path).parent.name in assignment.names() \
            and Path(path).resolve().parent.parent == assignment.FOLDER:
        spec = assignment.load(Path(path).parent.name)
    spec = spec or assignment.load()
    path = Path(path) if path is not None else spec.rubric_path
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RubricError(f"{path}: rubric file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, source=str(path), spec=spec)
