"""The written answers as a PDF, read back as a TA or Gradescope would read it.

A student fills the released notebooks' inline-question cells; `python -m autograder pdf`
prints them with headless Chromium. The PDF's text (pypdf) must hold every question and
its answer in the release's order, labelled with the student and the notebook, and no other
cell; page 1 rendered to an image (pypdfium2) must show text and the student's embedded
image. Hostile markdown in an answer must neither run nor fetch anything. The browser
tests skip without Chromium (fail with CS231N_REQUIRE_BROWSER=1, as in CI).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from test_report import chromium_binary

from autograder.release import ROOT

RELEASE = ROOT / "release" / "linear"
NOTEBOOKS = ("svm.ipynb", "softmax.ipynb")
ANSWERS = {
    "svm_inline_q1": "The hinge max(0, x) has a kink at zero, so a numeric gradient that "
                     "straddles it disagrees. ![my sketch](attachment:kink.png)",
    "svm_inline_q2": "The weights look like blurry class templates: a car is red in front.",
    "softmax_inline_q1": "With small random weights every class gets probability "
                         "$\\frac{1}{10}$, so the loss is $-\\log(0.1)$.",
    "softmax_inline_q2": "True: an example beyond every margin adds zero hinge loss, while "
                         "softmax always adds a positive loss.",
}


def red_png() -> str:
    """A 40x40 pure red PNG, base64 (the student's drawing attached to an answer cell)."""
    import matplotlib.image

    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, np.tile([1.0, 0.0, 0.0], (40, 40, 1)), format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def cells(notebook: str) -> list[dict]:
    return json.loads((RELEASE / notebook).read_text())["cells"]


def grade_id(cell: dict) -> str | None:
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def answered(folder: Path, answers: dict[str, str], extra: str = "") -> Path:
    """The released notebooks with `answers` written into their answer cells (and `extra`
    appended to each), as a student saves them in `folder`."""
    folder.mkdir(parents=True)
    for notebook in NOTEBOOKS:
        nb = json.loads((RELEASE / notebook).read_text())
        for cell in nb["cells"]:
            if grade_id(cell) in answers:
                cell["source"] = answers[grade_id(cell)] + extra
                if "attachment:kink.png" in cell["source"]:
                    cell["attachments"] = {"kink.png": {"image/png": red_png()}}
        (folder / notebook).write_text(json.dumps(nb))
    return folder


def run_pdf(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "pdf", *map(str, args)],
                          capture_output=True, text=True, timeout=400)


def pdf_text(path: Path) -> str:
    """The PDF's text, as one line of words (ligatures and line breaks undone)."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return words(text)


def words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def plain(markdown: str) -> str:
    """What a reader sees of a markdown cell: no emphasis marks, no image syntax."""
    return words(re.sub(r"!\[[^\]]*\]\([^)]*\)|[*_]", "", markdown))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    chromium_binary()
    tmp = tmp_path_factory.mktemp("answers")
    submission = answered(tmp / "alice", ANSWERS)
    out = tmp / "out" / "alice.pdf"
    proc = run_pdf(submission, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "4 written answers" in proc.stdout
    return out, pdf_text(out)


def test_every_question_and_answer_is_in_the_pdf_in_question_order(
        printed: tuple[Path, str]) -> None:
    _, text = printed
    expected = []
    for notebook in NOTEBOOKS:
        nb = cells(notebook)
        expected.append(notebook)
        for index, cell in enumerate(nb):
            if grade_id(cell) in ANSWERS:
                expected += [f"alice · {notebook} · {grade_id(cell)}",
                             plain("".join(nb[index - 1]["source"])),
                             plain(ANSWERS[grade_id(cell)])]
    positions = [text.find(piece) for piece in expected]
    assert -1 not in positions, [p for p, at in zip(expected, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    # Math stays readable as its TeX text (no LaTeX, no MathJax offline).
    assert "$\\frac{1}{10}$" in text


def test_nothing_else_of_the_notebooks_is_printed(printed: tuple[Path, str]) -> None:
    _, text = printed
    asked = {grade_id(c) for n in NOTEBOOKS for c in cells(n)} & set(ANSWERS)
    assert len(asked) == 4
    for notebook in NOTEBOOKS:
        nb = cells(notebook)
        for index, cell in enumerate(nb):
            question = index + 1 < len(nb) and grade_id(nb[index + 1]) in ANSWERS
            if grade_id(cell) in ANSWERS or question:
                continue
            for line in "".join(cell["source"]).splitlines():
                if len(words(line)) >= 25:          # every distinctive line of the cell
                    assert plain(line) not in text, (notebook, index, line)
    assert "YOUR ANSWER HERE" not in text


def test_page_one_shows_the_text_and_the_embedded_image(printed: tuple[Path, str]) -> None:
    import pypdfium2

    path, _ = printed
    pdf = pypdfium2.PdfDocument(path)
    pixels = np.asarray(pdf[0].render(scale=1.5).to_pil().convert("RGB"), dtype=float) / 255
    pdf.close()
    dark = (pixels.mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.5, dark          # text on a white page, not a blank or black one
    red = (pixels[..., 0] > 0.85) & (pixels[..., 1] < 0.15) & (pixels[..., 2] < 0.15)
    assert red.sum() > 400                   # the student's 40x40 drawing, scaled


class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A web server on this machine that records every request it gets."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Counter.hits.clear()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()


def test_hostile_markdown_neither_runs_nor_loads(tmp_path: Path, server: str) -> None:
    chromium_binary()
    hostile = (
        "\n\n<script>document.write('PWNED-BY-SCRIPT')</script>"
        f"<img src=\"http://{server}/img\" onerror=\"document.write('PWNED-BY-ONERROR')\">"
        f"\n\n![remote](http://{server}/markdown-image.png)"
        f"\n\n<iframe src=\"http://{server}/frame\"></iframe>"
        f"<link rel=stylesheet href=\"http://{server}/style.css\">"
        f"<meta http-equiv=\"refresh\" content=\"0; url=http://{server}/refresh\">"
        f"<div style=\"background: url(http://{server}/background)\">styled</div>")
    submission = answered(tmp_path / "mallory", ANSWERS, extra=hostile)
    proc = run_pdf(submission, "--out", tmp_path / "mallory.pdf")
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(tmp_path / "mallory.pdf")
    assert "PWNED" not in text
    assert plain(ANSWERS["softmax_inline_q2"]) in text         # the page itself printed
    assert Counter.hits == []


def test_a_zip_and_a_renamed_notebook_are_read_too(tmp_path: Path) -> None:
    chromium_binary()
    folder = answered(tmp_path / "bob", ANSWERS)
    archive = tmp_path / "bob.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for notebook in NOTEBOOKS:
            zf.write(folder / notebook, f"bob/{notebook}")
    proc = run_pdf(archive, "--out", tmp_path / "zip.pdf")
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(tmp_path / "zip.pdf")
    assert "bob · svm.ipynb · svm_inline_q1" in text
    assert plain(ANSWERS["softmax_inline_q2"]) in text
    # One notebook, renamed: its answer cells tell which of the assignment's it is.
    renamed = tmp_path / "mine.ipynb"
    renamed.write_bytes((folder / "softmax.ipynb").read_bytes())
    proc = run_pdf(renamed, "--assignment", "linear", "--student", "bob", "--out",
                   tmp_path / "one.pdf")
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(tmp_path / "one.pdf")
    assert plain(ANSWERS["softmax_inline_q1"]) in text
    assert plain(ANSWERS["svm_inline_q1"]) not in text and "svm.ipynb" not in text


def test_a_notebook_without_answers_is_refused_with_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "carol"
    folder.mkdir()
    nb = json.loads((RELEASE / "svm.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"] if grade_id(c) not in ANSWERS]
    (folder / "svm.ipynb").write_text(json.dumps(nb))
    proc = run_pdf(folder, "--out", tmp_path / "carol.pdf")
    assert proc.returncode == 1
    assert "holds no written answers of linear" in proc.stderr
    assert not (tmp_path / "carol.pdf").exists()
    # A folder of no assignment: the user is told to name it.
    (tmp_path / "empty").mkdir()
    proc = run_pdf(tmp_path / "empty", "--out", tmp_path / "empty.pdf")
    assert proc.returncode == 2 and "--assignment" in proc.stderr


def test_an_answer_cell_holding_its_question_and_a_deleted_one(tmp_path: Path) -> None:
    """The PyTorch edition asks each question inside its answer cell, after a code cell."""
    chromium_binary()
    nb = json.loads((ROOT / "release" / "linear_torch" / "linear_classifier.ipynb").read_text())
    kept = []
    for cell in nb["cells"]:
        if grade_id(cell) == "softmax_inline_q1":
            cell["source"] = "".join(cell["source"]).replace(
                "YOUR ANSWER HERE", "Ten classes, equally likely at the start.")
        if grade_id(cell) != "inline_q_templates":       # the student deleted this one
            kept.append(cell)
    nb["cells"] = kept
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "linear_classifier.ipynb").write_text(json.dumps(nb))
    proc = run_pdf(tmp_path / "dave" / "linear_classifier.ipynb", "--out", tmp_path / "d.pdf")
    assert proc.returncode == 0, proc.stderr
    assert "inline_q_templates" in proc.stderr and "missing" in proc.stderr
    text = pdf_text(tmp_path / "d.pdf")
    assert text.index("Why do we expect the loss to be close to") \
        < text.index("Ten classes, equally likely at the start.") \
        < text.index("inline_q_templates") \
        < text.index("No answer: this cell is missing from the notebook.")
    assert "dave · linear_classifier.ipynb · softmax_inline_q1" in text
    assert "softmax_loss_naive(W, X_dev" not in text                # the code cell before it


def test_an_answer_too_long_or_too_deeply_nested_is_bounded_and_said_so(tmp_path: Path) -> None:
    """A cell of 90,000 nested <div>s kept the parent rendering and Chromium laying out for
    minutes; now each answer prints its first 20,000 characters, deep markup as text, and
    the PDF and stderr say which answers were not printed whole."""
    chromium_binary()
    long = "START " + "many words " * 5_000 + "THE-END"
    answers = {**ANSWERS, "svm_inline_q2": "Deep: " + "<div>" * 90_000 + "x" + "</div>" * 90_000,
               "softmax_inline_q2": long}
    proc = run_pdf(answered(tmp_path / "eve", answers), "--out", tmp_path / "eve.pdf")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"svm_inline_q2`: .*nests deeper than 64 elements", proc.stderr)
    assert re.search(r"softmax_inline_q2`: cut: only its first 20000 characters", proc.stderr)
    assert "svm_inline_q1" not in proc.stderr            # the others are printed whole
    text = pdf_text(tmp_path / "eve.pdf")
    assert text.count("Not printed whole:") == 2
    assert "printed as plain text" in text and "only its first 20000 characters" in text
    assert "Deep: <div><div>" in text                     # the markup, shown as text
    assert "START many words" in text and "THE-END" not in text
    assert plain(ANSWERS["softmax_inline_q1"]) in text


def processes() -> dict[int, tuple[str, int, int]]:
    """Every process of the machine that has not exited (zombies left out): pid -> (its
    state, its parent's pid, its session)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue      # it exited meanwhile
        state, ppid, _, sid = stat[stat.rindex(")") + 2:].split()[:4]
        if state != "Z":
            found[int(entry.name)] = (state, int(ppid), int(sid))
    return found


def wait_for(condition: Callable[[], object], what: str, seconds: float = 120) -> object:
    """Poll `condition()` until it is true (a bound on a hang, not a timing check)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"still waiting for {what} after {seconds} s")


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_chromium_runs_in_its_own_session_and_dies_with_the_process_that_started_it(
        tmp_path: Path) -> None:
    """A `pdf` killed while Chromium prints leaves no Chromium behind. (The page's script
    never ends, so Chromium would print until its limit.)"""
    chromium_binary()
    (tmp_path / "slow.html").write_text("<!DOCTYPE html><body>x<script>while (true) {}</script>")
    code = ("import sys; from pathlib import Path; from autograder.printing import print_pdf; "
            "print_pdf(Path(sys.argv[1]).read_text(), Path(sys.argv[2]))")
    # Killed, the parent leaves its temporary folder: in the test's own, then.
    parent = subprocess.Popen([sys.executable, "-c", code, tmp_path / "slow.html",
                               tmp_path / "slow.pdf"], env={**os.environ, "TMPDIR": str(tmp_path)})
    session = 0

    def in_session() -> list[int]:
        return [pid for pid, (_, _, sid) in processes().items() if sid == session]

    try:
        session = wait_for(lambda: next((pid for pid, (_, ppid, sid) in processes().items()
                                         if ppid == parent.pid and sid == pid), None),
                           "Chromium to start in a session of its own")
        wait_for(lambda: len(in_session()) > 1, "Chromium's helper processes")
        parent.kill()
        parent.wait()
        wait_for(lambda: not in_session(), "Chromium to exit after its parent", 60)
    finally:
        parent.kill()
        parent.wait()
        if session:     # whatever the outcome, nothing of this test outlives it
            with contextlib.suppress(OSError):
                os.killpg(session, signal.SIGKILL)
    assert not (tmp_path / "slow.pdf").exists()


def test_a_print_past_its_time_limit_is_killed_with_every_process_it_started(
        tmp_path: Path) -> None:
    """The time limit takes the browser's whole process group, not its first process only."""
    from autograder.printing import PrintError, run_group

    pidfile = tmp_path / "helper.pid"
    with pytest.raises(PrintError, match="did not print within 2 s"):
        run_group(["sh", "-c", f"sleep 600 & echo $! > {pidfile}; wait"], 2)
    helper = int(pidfile.read_text())
    wait_for(lambda: helper not in processes(), "the helper to be killed")
