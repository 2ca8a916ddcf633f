"""Feedback pages and the class report, checked as HTML and in a real headless Chromium.

The browser tests skip with a reason when no Chromium is installed (Debian: `apt-get
install chromium`), unless CS231N_REQUIRE_BROWSER=1, as in CI, where they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_export import make_result, make_store

from autograder.report import MARKS, leaderboard_value, write_report
from autograder.store import open_store

HOSTILE = ('<script>document.body.dataset.pwned = "script"</script>'
           '<img src=x onerror="document.body.dataset.pwned = \'img\'">')
CLASS = {
    "alice": make_result("alice", {}),
    "bob": make_result("bob", {"svm_loss_naive": 0.5, "softmax_loss_naive": 0.0,
                               "Softmax": 0.0}),
    # A check message quoting what student code printed or returned.
    "mallory": make_result("mallory", {"svm_loss_naive": 0.0}, output=HOSTILE),
    "John Smith #2": make_result("John Smith #2", {"linear_classifier": 0.0}),
}


@pytest.fixture
def report(tmp_path: Path) -> Path:
    store = make_store(tmp_path / "grades" / "grades.sqlite", CLASS, errors=("carol",))
    with open_store(store) as s:
        return write_report(s.records(), tmp_path / "report")


def test_feedback_page_groups_checks_by_function_with_total_on_top(report: Path) -> None:
    page = (report.parent / "students" / "bob.html").read_text()
    total = page.index('id="total"')
    assert f"Total: {CLASS['bob'].score:g} / 100" in page[total:total + 200]
    headings = re.findall(r'<section class="group" id="(\w+)"', page)
    assert headings == ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
                        "softmax_loss_vectorized", "linear_classifier", "LinearSVM", "Softmax"]
    assert total < page.index('<section class="group"')
    # Marks a student can scan: svm_loss_naive is half right on each check, softmax naive wrong.
    svm = page[page.index('id="svm_loss_naive"'):page.index('id="svm_loss_vectorized"')]
    assert svm.count(MARKS["partial"]) == 11 and MARKS["pass"] not in svm
    softmax = page[page.index('id="softmax_loss_naive"'):]
    softmax = softmax[:softmax.index("</section>")]
    assert softmax.count(MARKS["fail"]) == 12


def test_student_text_is_escaped(report: Path) -> None:
    page = (report.parent / "students" / "mallory.html").read_text()
    assert "<script>document.body" not in page and "<img src=x" not in page
    assert "&lt;script&gt;document.body.dataset.pwned" in page


def test_pages_are_private(report: Path) -> None:
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    for page in [report, *(report.parent / "students").iterdir()]:
        assert stat.S_IMODE(page.stat().st_mode) == 0o600, page


def test_failed_grading_is_shown_as_not_graded(report: Path) -> None:
    page = (report.parent / "students" / "carol.html").read_text()
    assert "Not graded" in page and "the grading process was killed" in page
    index = report.read_text()
    assert "not graded: the grading process was killed" in index


def test_accuracy_is_read_from_the_leaderboard_checks_only() -> None:
    test = {"name": "LinearSVM: CIFAR-10 validation accuracy", "score": 6, "max_score": 6,
            "output": "validation accuracy 0.393 (needs 0.37) after training with ...",
            "value": 0.393, "leaderboard": "SVM val accuracy"}
    assert leaderboard_value(test) == 0.393
    # A check that measured a value but is no leaderboard column is not plotted.
    assert leaderboard_value({k: v for k, v in test.items() if k != "leaderboard"}) is None
    # A retraining that produced no predictions has no accuracy to plot.
    assert leaderboard_value({k: v for k, v in test.items() if k != "value"}) is None


# ------------------------------------------------------------------ in a real browser


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    reason = "Chromium not installed (apt-get install chromium)"
    if os.environ.get("CS231N_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CS231N_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium(tmp_path: Path, url: str, *args: str) -> str:
    """Run headless Chromium on `url` (a fresh profile, nothing from the network)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    proc = subprocess.run(
        [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
         "--virtual-time-budget=10000", *args, url],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def screenshot(tmp_path: Path, page: Path, name: str, height: int) -> np.ndarray:
    import matplotlib.image

    png = tmp_path / name
    chromium(tmp_path, page.as_uri(), f"--screenshot={png}", f"--window-size=1280,{height}")
    return matplotlib.image.imread(png)


def test_class_report_renders_rows_and_decoded_plots(report: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path, report.as_uri(), "--dump-dom")
    # Our page script ran after load and found every plot decoded (naturalWidth > 0).
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images="ok"' in body and 'data-images-decoded="4"' in body
    for student in [*CLASS, "carol"]:
        assert f'data-student="{student}"' in dom
    assert 'href="students/John%20Smith%20%232.html"' in dom
    assert (report.parent / "students" / "John Smith #2.html").is_file()
    pixels = screenshot(tmp_path, report, "class.png", 2400)
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels[..., :3].std() > 0.05  # not a blank page


def test_feedback_page_in_browser_shows_hostile_text_without_running_it(
        report: Path, tmp_path: Path) -> None:
    page = report.parent / "students" / "mallory.html"
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert "data-pwned" not in dom
    assert "&lt;script&gt;document.body.dataset.pwned" in dom  # shown as text
    pixels = screenshot(tmp_path, page, "mallory.png", 1400)
    assert pixels[..., :3].std() > 0.05


def test_the_report_is_written_for_every_id_a_student_chose(tmp_path: Path) -> None:
    """A 251-byte name once stopped `report` for the whole class (ENAMETOOLONG)."""
    import dataclasses

    from test_export import hostile_class

    store = make_store(tmp_path / "grades.sqlite", {**hostile_class(), **CLASS})
    with open_store(store) as s:
        records = s.records()
    # A store written before ids were made in one place may hold the raw name.
    records.append(dataclasses.replace(records[0], submission="b" * 251))
    index = write_report(records, tmp_path / "report")
    pages = list((tmp_path / "report" / "students").iterdir())
    assert len(pages) == len(records)
    assert all(len(p.name.encode()) <= 255 for p in pages)
    assert (tmp_path / "report" / "students" / "alice.html").is_file()   # the honest twin
    html = index.read_text()
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\x1b" not in html


def test_an_html_id_is_text_in_the_browser(tmp_path: Path) -> None:
    from autograder.ids import submission_id

    name = submission_id('<img src=x onerror="document.body.dataset.pwned=1">')
    store = make_store(tmp_path / "grades.sqlite", {name: make_result(name, {}), **CLASS})
    with open_store(store) as s:
        index = write_report(s.records(), tmp_path / "report")
    dom = chromium(tmp_path, index.as_uri(), "--dump-dom")
    assert "data-pwned" not in dom
    assert "&lt;img src=x onerror=" in dom
