"""Feedback pages: one HTML page per student and a class report with plots.

    python -m autograder report --store PATH --out DIR

writes DIR/index.html (the class report: score histogram, pass rate of each check,
CIFAR-10 validation accuracy of the retrained classifiers, mean score per function, the
common mistakes (autograder/mistakes.py), a row per student) and
DIR/students/<student>.html (each check grouped by the function it checks: pass/fail
mark, points, the message). Plots are PNG embedded as data: URIs, so each page is one
self-contained file that can be mailed or uploaded.

Check messages can quote what student code printed or returned: every piece of text is
escaped by Jinja2's autoescape, and each page carries a Content-Security-Policy that lets
only its own inline script (hash-pinned) run. That script marks <body> with
`data-images="ok"` once every image has decoded, which a headless browser test reads.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from autograder.files import private_dir, write_private
from autograder.ids import unique_file_names
from autograder.mistakes import common_mistakes, wrong_behaviours
from autograder.probes import SIGNIFICANT
from autograder.store import Record

TEMPLATES = Path(__file__).with_name("templates")
MARKS = {"pass": "✓ pass", "partial": "◐ partial", "fail": "✗ fail"}
# Our script (kept out of the template so the page's CSP can pin its hash).
IMAGES_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var decoded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  document.body.setAttribute("data-images-decoded", String(decoded.length));
  document.body.setAttribute("data-images", decoded.length === images.length ? "ok" : "broken");
});
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(IMAGES_SCRIPT.encode()).digest()).decode()


def fmt(value: float) -> str:
    """Points as people write them: 10, 2.5, 0.33."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def when(timestamp: str) -> str:
    """'2026-03-01T10:00:00+00:00' as '2026-03-01 10:00 UTC'."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_of(test: dict[str, Any]) -> str:
    """'pass' (full points), 'partial' or 'fail' (no points)."""
    score, max_score = float(test["score"]), float(test["max_score"])
    if score >= max_score:
        return "pass"
    return "partial" if score > 0 else "fail"


@dataclass
class Group:
    """The checks of one function (target), with its subtotal."""

    target: str
    tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(float(t["score"]) for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(float(t["max_score"]) for t in self.tests)

    @property
    def status(self) -> str:
        return status_of({"score": self.score, "max_score": self.max_score})


def group_tests(tests: Sequence[dict[str, Any]]) -> list[Group]:
    """Checks grouped by target, in the order the grader ran them; hidden ones left out."""
    groups: dict[str, Group] = {}
    for test in tests:
        if test.get("visibility") == "hidden":
            continue
        target = test.get("target") or test["name"].split(":")[0]
        # Under its function's heading, "svm_loss_naive: loss, N=7" reads as "loss, N=7".
        label = test["name"].removeprefix(f"{target}: ")
        groups.setdefault(target, Group(target)).tests.append(
            {**test, "status": status_of(test), "label": label})
    return list(groups.values())


def leaderboard_value(test: dict[str, Any]) -> float | None:
    """The value a check measured for its leaderboard column (a CIFAR-10 accuracy of the
    grader's reference trained with the student's settings), or None for other checks and
    for a check that measured nothing."""
    value = test.get("value")
    if not test.get("leaderboard") or isinstance(value, bool) \
            or not isinstance(value, int | float):
        return None
    return float(value)


def cifar_accuracies(records: Sequence[Record]) -> dict[str, list[float]]:
    """The measured values of each leaderboard column across the class (in the order the
    checks list them): column title -> values."""
    found: dict[str, list[float]] = {}
    for record in records:
        if not record.graded:
            continue
        for test in record.result.tests:
            if test.get("leaderboard"):
                values = found.setdefault(str(test["leaderboard"]), [])
                value = leaderboard_value(test)
                if value is not None:
                    values.append(value)
    return found


@dataclass(frozen=True)
class CheckStats:
    """One check across the class."""

    name: str
    target: str
    max_score: float
    pass_rate: float
    mean: float


def check_stats(records: Sequence[Record]) -> list[CheckStats]:
    """Pass rate and mean points of each check over the graded submissions."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.graded:
            for test in record.result.tests:
                seen.setdefault(test["name"], []).append(test)
    return [CheckStats(name=name, target=tests[0].get("target") or name.split(":")[0],
                       max_score=float(tests[0]["max_score"]),
                       pass_rate=sum(status_of(t) == "pass" for t in tests) / len(tests),
                       mean=statistics.fmean(float(t["score"]) for t in tests))
            for name, tests in seen.items()]


# ------------------------------------------------------------------------- plots


@dataclass(frozen=True)
class Plot:
    title: str
    uri: str
    width: int
    height: int
    wide: bool = False


def _png(fig: Any, title: str, wide: bool = False) -> Plot:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    data = buffer.getvalue()
    # PNG IHDR: width and height are the big-endian ints at bytes 16..24.
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return Plot(title, "data:image/png;base64," + base64.b64encode(data).decode(), width, height,
                wide)


def make_plots(records: Sequence[Record]) -> list[Plot]:
    """The class report's figures, as embedded PNGs (over graded submissions only)."""
    import matplotlib

    matplotlib.use("Agg")
    graded = [r for r in records if r.graded]
    return [score_histogram(graded), accuracy_histogram(graded), function_means(graded),
            pass_rates(graded)]


def score_histogram(graded: Sequence[Record]) -> Plot:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 3.5))
    percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in graded]
    ax.hist(percents, bins=range(0, 105, 5), color="#4c72b0", edgecolor="white")
    ax.set(xlabel="score (% of max)", ylabel="submissions", xlim=(0, 100),
           title=f"Scores ({len(graded)} graded)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig, "Score histogram")


def accuracy_histogram(graded: Sequence[Record]) -> Plot:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    accuracies = cifar_accuracies(graded)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    bins = [i / 100 for i in range(0, 101, 2)]
    colors = itertools.cycle(("#4c72b0", "#dd8452", "#55a868", "#c44e52"))
    for (cls, values), color in zip(accuracies.items(), colors, strict=False):
        if values:
            ax.hist(values, bins=bins, alpha=0.6, color=color, label=f"{cls} (n={len(values)})")
    if any(accuracies.values()):
        ax.legend(loc="upper left")
    else:
        ax.text(0.5, 0.5, "no CIFAR-10 accuracy checks in these results", ha="center",
                va="center", transform=ax.transAxes)
    top = max((max(v) for v in accuracies.values() if v), default=0.5)
    ax.set(xlabel="accuracy", ylabel="submissions", xlim=(0, min(1.0, top + 0.1)),
           title="CIFAR-10 accuracy of the grader's reference, per student's settings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig, "CIFAR-10 accuracy (each student's hyperparameters)")


def function_means(graded: Sequence[Record]) -> Plot:
    import matplotlib.pyplot as plt

    by_target: dict[str, list[float]] = {}
    for record in graded:
        for group in group_tests(record.result.tests):
            if group.max_score:
                by_target.setdefault(group.target, []).append(
                    100 * group.score / group.max_score)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(by_target)
    ax.barh(range(len(names)), [statistics.fmean(v) for v in by_target.values()],
            color="#8172b3")
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.set_ylim(max(1, len(names)) - 0.5, -0.5)
    ax.set(xlabel="mean score (% of its points)", xlim=(0, 100), title="Mean score per function")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, "Mean score per function")


def pass_rates(graded: Sequence[Record]) -> Plot:
    import matplotlib.pyplot as plt

    stats = check_stats(graded)
    targets = list(dict.fromkeys(s.target for s in stats))
    palette = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.19 * max(1, len(stats))))
    ax.barh(range(len(stats)), [100 * s.pass_rate for s in stats],
            color=[palette(targets.index(s.target) % 10) for s in stats])
    ax.set_yticks(range(len(stats)), [_short(s.name) for s in stats], fontsize=8)
    ax.set_ylim(max(1, len(stats)) - 0.5, -0.5)
    ax.set(xlabel="submissions passing (%)", xlim=(0, 100), title="Pass rate of each check")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, "Pass rate of each check (colour: function)", wide=True)


def _short(name: str, limit: int = 70) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


# ------------------------------------------------------------------------- pages


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(fmt=fmt, when=when, marks=MARKS, script=IMAGES_SCRIPT,
                       script_hash=SCRIPT_HASH)
    return env


def student_page(record: Record, back_link: str = "../index.html") -> str:
    """The feedback page of one submission."""
    percent = 100 * record.score / record.max_score if record.max_score else 0.0
    return _environment().get_template("student.html").render(
        record=record, groups=group_tests(record.result.tests), percent=percent,
        back_link=back_link)


def class_page(records: Sequence[Record], links: dict[str, str]) -> str:
    """The class report."""
    graded = [r for r in records if r.graded]
    percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in graded]
    summary = {"submissions": len(records), "graded": len(graded),
               "errors": len(records) - len(graded),
               "mean": statistics.fmean(percents) if percents else 0.0,
               "median": statistics.median(percents) if percents else 0.0}
    rows = []
    for record in records:
        statuses = [status_of(t) for t in record.result.tests]
        percent = 100 * record.score / record.max_score if record.max_score else 0.0
        css = ("pass" if percent >= 100 else "partial" if percent > 0 else "fail") \
            if record.graded else "error"
        rows.append({"record": record, "link": links[record.submission], "percent": percent,
                     "passed": statuses.count("pass"), "checks": len(statuses), "css": css})
    accuracies = cifar_accuracies(records)
    note = "" if any(accuracies.values()) else (
        "No CIFAR-10 accuracy results: these submissions were graded without the data set.")
    return _environment().get_template("class.html").render(
        summary=summary, rows=rows, plots=make_plots(records), checks=check_stats(records),
        accuracy_note=note, links=links, mistakes=common_mistakes(records),
        behaviours=wrong_behaviours(records), significant=SIGNIFICANT)


def write_report(records: Sequence[Record], out: Path) -> Path:
    """Write out/index.html and out/students/<id>.html; returns the class report's path."""
    # Private like the store: the pages hold every student's grades and hidden-test results.
    private_dir(out)
    students = private_dir(out / "students")
    links = {}
    # Each page's file name is safe and bounded whatever the id (`ids.file_name`): a long
    # or odd name never stops the report of the whole class.
    names = unique_file_names([r.submission for r in records])
    for record in records:
        name = names[record.submission] + ".html"
        write_private(students / name, student_page(record))
        links[record.submission] = "students/" + quote(name)
    return write_private(out / "index.html", class_page(records, links))


def main(store_path: Path, out: Path) -> int:
    """The `report` subcommand."""
    from autograder.store import open_store

    with open_store(store_path) as store:
        records = store.records()
    index = write_report(records, out)
    print(f"class report: {index}; {len(records)} feedback pages in {out / 'students'}")
    return 0
