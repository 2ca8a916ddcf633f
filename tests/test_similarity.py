"""`python -m autograder similarity`: a class's submissions compared pair by pair, as a TA
reads the outputs.

The class is built the way students make submissions (the release notebooks with cells
filled in, CS231n's starter layout, a .zip): alice hands in the reference solution, bob
alice's code with every variable renamed and other comments, frank alice's code in the
starter layout, carol a solution written independently (tests/similarity/), grace carol's
code with alice's svm_loss_vectorized, dave and erin the release untouched, and a student
whose id is HTML hands in carol's code with a comment that closes the page's markup.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import itertools
import keyword
import re
import shutil
import stat
import tokenize
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from submissions import write_starter_submission, write_submission, zip_submission
from test_report import chromium, screenshot

from autograder import cli
from autograder.assignment import load as load_assignment
from autograder.assignments.linear.samples import reference_cells
from autograder.assignments.samples import read_cells
from autograder.intake import load_submission
from autograder.rubric import RubricError
from autograder.rubric import load as load_rubric
from autograder.store import rubric_hash

SPEC = load_assignment("linear")
INDEPENDENT = Path(__file__).with_name("similarity") / "independent_cells.py"
HOSTILE_ID = '<img src=x onerror="document.body.dataset.pwned=1">'
BREAKOUT = "# </pre></section><script>document.body.dataset.pwned = 2</script>\n"
LOSSES = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
          "softmax_loss_vectorized")


def renamed(cells: Mapping[str, str]) -> dict[str, str]:
    """Each cell with every variable and argument renamed (the names the grader calls and
    attributes kept) and every comment replaced: a copy made to hide that it is one."""
    kept = {n for names in SPEC.definitions.values() for n in names}
    kept |= {m for methods in SPEC.methods.values() for m in methods} | {"self"}
    out = {}
    for grade_id, source in cells.items():
        tree = ast.parse(source)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Store)} | {a.arg for a in ast.walk(tree)
                                                     if isinstance(a, ast.arg)}
        new = {name: f"my_{name.lower()}_value" for name in sorted(names - kept)}
        tokens, previous = [], ""
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            text = tok.string
            if tok.type == tokenize.NAME and text in new and previous != ".":
                text = new[text]
            elif tok.type == tokenize.COMMENT:
                text = "# my own note"
            tokens.append((tok.type, text))
            previous = tok.string
        out[grade_id] = tokenize.untokenize(tokens)
    return out


def locals_of(source: str) -> set[str]:
    tree = ast.parse(source)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)} - set(keyword.kwlist)


def losses_agree(cells: Mapping[str, str]) -> bool:
    """Whether the cells' four losses give the reference's loss and gradient."""
    rng = np.random.default_rng(0)
    W, X = 0.01 * rng.standard_normal((20, 4)), rng.standard_normal((9, 20))
    y = rng.integers(0, 4, 9)
    reference = reference_cells()
    for name in LOSSES:
        theirs, ours = {"np": np}, {"np": np}
        exec(cells[name], theirs)      # the test's own fixture code, not a submission
        exec(reference[name], ours)
        (loss_a, grad_a), (loss_b, grad_b) = theirs[name](W, X, y, 0.1), ours[name](W, X, y, 0.1)
        if not (np.isclose(loss_a, loss_b) and np.allclose(grad_a, grad_b)):
            return False
    return True


def run(*args: str) -> tuple[int, str, str]:
    """`python -m autograder similarity ARGS` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["similarity", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nbgrader's submitted/ folder of the class (bob as bob.zip)."""
    root = tmp_path_factory.mktemp("class")
    submitted, scratch = root / "submitted", root / "scratch"
    alice = reference_cells()
    independent = read_cells(INDEPENDENT)
    write_submission(submitted / "alice" / "linear", alice)
    zip_submission(write_submission(scratch / "bob", renamed(alice)), submitted / "bob.zip")
    write_submission(submitted / "carol" / "linear", independent)
    write_submission(submitted / "grace" / "linear",
                     {**independent, "svm_loss_vectorized": alice["svm_loss_vectorized"]})
    write_submission(submitted / "dave" / "linear", {})
    write_submission(submitted / "erin" / "linear", {})
    write_starter_submission(submitted / "frank" / "linear", alice)
    # Run as code, this would leave a file beside the class: it must never be.
    ran = f"open({str(root / 'ran')!r}, 'w').close()\n"
    hostile = {**independent, "svm_loss_naive": BREAKOUT + ran + independent["svm_loss_naive"]}
    write_submission(submitted / HOSTILE_ID / "linear", hostile)
    return submitted


@pytest.fixture(scope="module")
def outputs(klass: Path) -> tuple[Path, str]:
    """The outputs folder of one run over the class, and what it printed."""
    out = klass.parent / "similarity"
    code, stdout, stderr = run(str(klass), "--out", str(out))
    assert code == 0, stderr
    return out, stdout


def scores(out: Path) -> dict[frozenset[str], tuple[float, str]]:
    with (out / "pairs.csv").open(newline="") as fh:
        return {frozenset((row["a"], row["b"])): (float(row["score"]), row["flagged"])
                for row in csv.DictReader(fh)}


def score(out: Path, a: str, b: str) -> float:
    return scores(out)[frozenset((a, b))][0]


def test_the_class_is_built_as_described() -> None:
    """The fixture's premises: bob's copy keeps none of alice's variable names yet computes
    exactly what hers does; carol's independent solution is a correct one."""
    alice, bob = reference_cells(), renamed(reference_cells())
    for grade_id in LOSSES:
        assert not locals_of(alice[grade_id]) & locals_of(bob[grade_id]), grade_id
    assert losses_agree(bob)
    assert losses_agree(read_cells(INDEPENDENT))


def test_a_copy_with_every_variable_renamed_scores_high_and_is_flagged(
        outputs: tuple[Path, str]) -> None:
    out, stdout = outputs
    value, flagged = scores(out)[frozenset(("alice", "bob"))]
    assert value >= 0.9 and flagged == "yes"
    assert "alice  bob" in stdout


def test_the_same_code_is_found_across_the_notebook_and_starter_layouts(
        outputs: tuple[Path, str]) -> None:
    out, _ = outputs
    assert score(out, "alice", "frank") >= 0.9
    assert score(out, "bob", "frank") >= 0.9


def test_independently_written_solutions_score_low(outputs: tuple[Path, str]) -> None:
    out, _ = outputs
    for other in ("alice", "bob", "frank"):
        assert score(out, other, "carol") < 0.25, other
        assert scores(out)[frozenset((other, "carol"))][1] == ""


def test_students_who_only_submitted_the_release_score_zero(outputs: tuple[Path, str]) -> None:
    out, _ = outputs
    assert score(out, "dave", "erin") == 0.0
    for other in ("alice", "bob", "carol", "frank", "grace", HOSTILE_ID):
        assert score(out, "dave", other) <= 0.02 and score(out, "erin", other) <= 0.02


def test_pairs_csv_holds_every_pair_highest_first_and_the_flags_are_counted(
        outputs: tuple[Path, str]) -> None:
    out, stdout = outputs
    students = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", HOSTILE_ID]
    with (out / "pairs.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["a", "b", "score", "flagged"]
    assert {frozenset((r["a"], r["b"])) for r in rows} == {
        frozenset(p) for p in itertools.combinations(students, 2)}
    assert len(rows) == 28
    values = [float(r["score"]) for r in rows]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
    flagged = {frozenset((r["a"], r["b"])) for r in rows if r["flagged"] == "yes"}
    assert flagged == {frozenset(p) for p in (
        ("alice", "bob"), ("alice", "frank"), ("bob", "frank"), ("carol", HOSTILE_ID),
        ("carol", "grace"), ("grace", HOSTILE_ID))}
    assert "8 submissions, 28 pairs; 6 flagged" in stdout
    # They hold the students' code: the grader's user alone reads them.
    for name in ("pairs.csv", "index.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600


def test_cells_the_grader_refuses_are_compared_and_no_student_code_runs(
        outputs: tuple[Path, str], klass: Path) -> None:
    """The hostile student's losses break the assignment's rules (a call at the top level
    of the cell): the grader will not run them, but they are still that student's work."""
    submission = load_submission(klass / HOSTILE_ID / "linear", SPEC)
    assert set(LOSSES) - set(submission.cells) and set(LOSSES) <= set(submission.sources)
    out, _ = outputs
    assert score(out, "carol", HOSTILE_ID) >= 0.9   # every cell was read...
    assert not (klass.parent / "ran").exists()      # ...and none was run
    # compared whole: as far from alice as carol is
    assert score(out, "alice", HOSTILE_ID) == pytest.approx(score(out, "alice", "carol"),
                                                           abs=0.05)


def test_the_flag_threshold_is_a_rubric_setting(
        outputs: tuple[Path, str], klass: Path, tmp_path: Path) -> None:
    """grace copied one function of alice's: found, below the default threshold."""
    partial = score(outputs[0], "alice", "grace")
    assert 0.1 < partial < 0.5 and scores(outputs[0])[frozenset(("alice", "grace"))][1] == ""
    rubric = tmp_path / "rubric.toml"
    text = SPEC.rubric_path.read_text()
    rubric.write_text(text + "\n[similarity]\nthreshold = 0.1\n")
    code, stdout, stderr = run(str(klass), "--out", str(tmp_path / "out"),
                               "--rubric", str(rubric))
    assert code == 0, stderr
    assert scores(tmp_path / "out")[frozenset(("alice", "grace"))] == (partial, "yes")
    assert "flagged (score >= 0.1" in stdout and "alice  grace" in stdout
    # A setting of the similarity report, not of grading: stored grades stay current.
    assert rubric_hash(load_rubric(rubric, spec=SPEC)) == rubric_hash(load_rubric(spec=SPEC))

    for bad in ("1.5", '"high"', "0"):
        rubric.write_text(text + f"\n[similarity]\nthreshold = {bad}\n")
        with pytest.raises(RubricError, match=r"\[similarity\] threshold"):
            load_rubric(rubric, spec=SPEC)
        code, _, stderr = run(str(klass), "--out", str(tmp_path / "bad"), "--rubric",
                              str(rubric))
        assert code == 2 and "[similarity] threshold" in stderr
    rubric.write_text(text + "\n[similarity]\nthreshold = 0.5\nthreshhold = 0.4\n")
    with pytest.raises(RubricError, match="unknown key 'threshhold'"):
        load_rubric(rubric, spec=SPEC)


def test_a_folder_that_is_one_submission_or_a_missing_release_is_refused(
        klass: Path, tmp_path: Path) -> None:
    code, _, stderr = run(str(klass / "alice" / "linear"), "--out", str(tmp_path / "o"))
    assert code == 2 and "is one submission" in stderr
    code, _, stderr = run(str(klass), "--out", str(tmp_path / "o"), "--release",
                          str(tmp_path / "nowhere"))
    assert code == 2 and "--release" in stderr


def test_index_html_shows_the_top_pairs_side_by_side_in_a_browser(
        outputs: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = outputs
    page = out / "index.html"
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    # (a, b) -> (flagged, the section's markup), as the browser built the page
    sections = {(a, b): (flagged, body) for a, b, flagged, body in re.findall(
        r'<section class="pair" id="pair-\d+" data-a="([^"]*)" data-b="([^"]*)" '
        r'data-score="[^"]*" data-flagged="(\w+)">(.*?)</section>', dom, flags=re.DOTALL)}
    flagged, body = sections[("alice", "bob")]
    assert flagged == "yes"
    # Both sides shown, each with its own code highlighted where the other holds it too.
    assert body.count('<pre class="code">') == 2
    marked = "".join(re.findall(r'<mark class="shared">(.*?)</mark>', body, flags=re.DOTALL))
    assert "correct_class_score" in marked and "my_correct_class_score_value" in marked
    assert sections[("alice", "grace")][0] == "no"
    # Only pairs that share code are shown: the release alone is nothing to read.
    assert not [pair for pair in sections if "dave" in pair or "erin" in pair]
    # The hostile id and the code that closes the markup are text, and nothing ran.
    assert "data-pwned" not in dom
    assert "&lt;img src=x onerror=" in dom and "&lt;/pre&gt;&lt;/section&gt;&lt;script&gt;" in dom
    pixels = screenshot(tmp_path, page, "similarity.png", 1600)
    assert pixels[..., :3].std() > 0.05   # not a blank page


def test_real_students_of_one_starter_score_low_and_its_template_is_left_out(
        tmp_path: Path) -> None:
    """Real EECS 498 A2 code (tests/real_eecs498/): two students who completed the same
    starter on their own, and one who handed the starter back, compared with that starter
    as the release (--release), in the PyTorch edition's starter layout."""
    real = Path(__file__).with_name("real_eecs498")
    release, submitted = tmp_path / "release", tmp_path / "submitted"
    release.mkdir()
    shutil.copyfile(real / "starter.linear_classifier.py.txt", release / "linear_classifier.py")
    for student, source in (("Xecades", "Xecades"), ("Kodp", "Kodp"),
                            ("unchanged", "starter")):
        (submitted / student / "linear_torch").mkdir(parents=True)
        shutil.copyfile(real / f"{source}.linear_classifier.py.txt",
                        submitted / student / "linear_torch" / "linear_classifier.py")
    code, stdout, stderr = run(str(submitted), "--assignment", "linear_torch", "--release",
                               str(release), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    assert "3 submissions, 3 pairs; 0 flagged" in stdout
    assert score(tmp_path / "out", "Kodp", "Xecades") < 0.25
    assert score(tmp_path / "out", "Kodp", "unchanged") == 0.0
    assert score(tmp_path / "out", "Xecades", "unchanged") == 0.0


def test_a_cell_far_larger_than_a_solution_is_compared_on_its_start_and_said_so(
        tmp_path: Path) -> None:
    alice = reference_cells()
    padded = alice["svm_loss_naive"] + "\n" * 300_000 + "# the end\n" * 30_000
    write_submission(tmp_path / "class" / "alice" / "linear", alice)
    write_submission(tmp_path / "class" / "huge" / "linear", {**alice, "svm_loss_naive": padded})
    code, stdout, stderr = run(str(tmp_path / "class"), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    assert "huge: only its first 200000 characters are compared" in stderr
    assert score(tmp_path / "out", "alice", "huge") > 0   # its start is alice's cell


# Statements that do nothing, as a copy would hold one after each of its statements to
# break up every passage it shares ({i}: the indentation of the statement before).
PADDING = {
    "pass": "{i}pass",
    "ellipsis": "{i}...",
    "string": "{i}'x'",
    "zero": "{i}0",
    "underscore": "{i}_ = None",
    "dead_name": "{i}unused = 0\n{i}del unused",
    "dead_branch": "{i}if False:\n{i}    print('never')",
}


def padded(cells: Mapping[str, str], padding: str) -> dict[str, str]:
    """Each cell with `padding` after every simple statement inside a definition."""
    out = {}
    for grade_id, source in cells.items():
        after = {node.end_lineno: " " * node.col_offset
                 for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.stmt) and node.col_offset and not hasattr(node, "body")}
        out[grade_id] = "\n".join(
            line + ("\n" + padding.format(i=after[n]) if n in after else "")
            for n, line in enumerate(source.split("\n"), start=1))
    return out


def test_a_copy_padded_with_statements_that_do_nothing_is_flagged_as_the_plain_copy(
        tmp_path: Path) -> None:
    """A copy with `pass` (or `...`, a constant, `_ = None`, a dead name or branch) after
    every statement scores as the copy without it; independent work padded the same way
    stays low."""
    alice, carol = reference_cells(), read_cells(INDEPENDENT)
    submitted = tmp_path / "class"
    write_submission(submitted / "alice" / "linear", alice)
    write_submission(submitted / "plain_copy" / "linear", alice)
    write_submission(submitted / "carol" / "linear", carol)
    write_submission(submitted / "carol_padded" / "linear", padded(carol, PADDING["pass"]))
    for name, padding in PADDING.items():
        copy = padded(alice, padding)
        assert losses_agree(copy), name              # still alice's working code
        assert copy["svm_loss_naive"].count("\n") > alice["svm_loss_naive"].count("\n") + 5
        write_submission(submitted / f"copy_{name}" / "linear", copy)
    # A cell that does not parse is read line by line: its lines of padding are found too.
    broken = {g: source + "\ndef unfinished(:\n" for g, source in
              padded(alice, PADDING["pass"]).items()}
    write_submission(submitted / "copy_broken" / "linear", broken)
    code, _, stderr = run(str(submitted), "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    found = scores(tmp_path / "out")
    plain, flagged = found[frozenset(("alice", "plain_copy"))]
    assert plain >= 0.9 and flagged == "yes"
    for name in (*PADDING, "broken"):
        value, flagged = found[frozenset(("alice", f"copy_{name}"))]
        assert value == pytest.approx(plain, abs=0.02) and flagged == "yes", name
        assert found[frozenset(("carol", f"copy_{name}"))][0] < 0.25, name
    assert found[frozenset(("carol", "carol_padded"))][0] >= 0.9
    for other in ("alice", "copy_pass", "copy_dead_branch"):
        assert found[frozenset((other, "carol_padded"))][0] < 0.25, other


PLAIN = '''def scale(x, y):
    total = x * y
    for row in total:
        row += 1
    return total
'''


@pytest.mark.parametrize("padded_source", [
    PLAIN.replace("    total = x * y\n", "    total = x * y\n    total = total\n    x += 0\n"
                  "    total *= 1\n    assert True\n"),
    PLAIN.replace("    for row", "    if True:\n        for row").replace(
        "        row += 1", "            row += 1\n    else:\n        total = None"),
    PLAIN.replace("    return", "    while 0:\n        x = y\n    for _ in ():\n"
                  "        print(x)\n    spare = x.shape\n    del spare\n    return"),
])
def test_what_is_fingerprinted_of_a_padded_function_is_the_plain_function(
        padded_source: str) -> None:
    """Left out of a student's own code: self-assignments, identity updates, `assert True`,
    a branch that always or never runs, a store nothing reads; what is left, spaces aside,
    is the function without them."""
    from autograder.similarity.own import own_code

    compared = own_code(padded_source, "")
    assert len(compared) == len(padded_source)        # offsets into the text hold
    assert "".join(compared.split()) == "".join(own_code(PLAIN, "").split())


def test_a_store_another_scope_may_read_is_kept() -> None:
    from autograder.similarity.own import own_code

    source = "def f():\n    global seen\n    seen = 0\n    count = 1\n"
    assert "seen = 0" in own_code(source, "") and "count = 1" not in own_code(source, "")
    assert "LIMIT = 3" in own_code("LIMIT = 3\n_ = 0\n", "")   # a cell's name: other cells read it
    assert "_ = 0" not in own_code("LIMIT = 3\n_ = 0\n", "")
