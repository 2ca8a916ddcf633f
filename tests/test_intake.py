"""Intake as a TA meets it: what a submission's notebooks hold, and what is wrong with them.

Submissions are built here from the reference cells (the source notebooks' definition cells) in the
nbgrader notebook layout; each test breaks one thing and checks the message the student
gets and which targets become ungradable. Nothing in a submission is ever executed.
"""

from __future__ import annotations

import json
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from corpus_cells import reference_cells

from autograder import assignment, intake
from autograder.intake import load_submission

SVM_CELLS = ("svm_loss_naive", "svm_loss_vectorized", "linear_classifier")
SOFTMAX_CELLS = ("softmax_loss_naive", "softmax_loss_vectorized")


def code_cell(source: str, grade_id: str | None = None, cell_type: str = "code") -> dict:
    cell = {"cell_type": cell_type, "metadata": {}, "source": source.splitlines(True)}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    if grade_id:
        cell["metadata"]["nbgrader"] = {"grade_id": grade_id, "solution": True, "grade": False,
                                        "locked": False, "schema_version": 3}
    return cell


def notebook(cells: list[dict], nbformat: int = 4) -> str:
    return json.dumps({"nbformat": nbformat, "nbformat_minor": 5, "metadata": {},
                       "cells": cells})


def write_submission(folder: Path, cells: dict[str, str] | None = None,
                     npz: bool = True) -> Path:
    """A submission folder like a student's: notebooks with other cells around the stubs."""
    cells = reference_cells() if cells is None else cells
    folder.mkdir(parents=True, exist_ok=True)
    svm = [code_cell("# Multiclass SVM", cell_type="markdown"),
           code_cell("import numpy as np\nX_dev = np.zeros((5, 3))")]
    svm += [code_cell(cells[g], g) for g in SVM_CELLS if g in cells]
    # The read-only cell, tampered with: intake must not take it.
    svm.append(code_cell("class LinearSVM(LinearClassifier):\n    pass\n", "linear_svm"))
    softmax = [code_cell(cells[g], g) for g in SOFTMAX_CELLS if g in cells]
    (folder / "svm.ipynb").write_text(notebook(svm))
    (folder / "softmax.ipynb").write_text(notebook(softmax))
    if npz:
        for name in ("svm_best.npz", "softmax_best.npz"):
            np.savez(folder / name, W=np.ones((4, 3)), learning_rate=1e-7, reg=2.5e4,
                     num_iters=1500, batch_size=200, val_accuracy=0.39)
    return folder


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def messages(submission) -> list[str]:
    return [str(p) for p in submission.problems]


def parse_here(path: Path):
    """Intake's parser in this process, where a test can lower its limits (load_submission
    runs it in a fresh interpreter, which reads the module's own constants)."""
    out = Path(tempfile.mkdtemp())
    return intake._parse(Path(path), out, assignment.load())


# --------------------------------------------------------------------------- good submissions


def test_a_complete_folder_has_no_problems(tmp_path):
    sub = load_submission(write_submission(tmp_path / "alice-linear"))
    assert sub.problems == []
    assert set(sub.cells) == {*SVM_CELLS, *SOFTMAX_CELLS}
    assert sub.cells["svm_loss_naive"] == reference_cells()["svm_loss_naive"]
    assert set(sub.model_files) == {"svm_best.npz", "softmax_best.npz"}
    assert len(sub.content_hash) == 64 and sub.name == "alice-linear"
    assert sub.ungradable == set()


def test_the_read_only_cells_are_never_taken_from_the_submission(tmp_path):
    sub = load_submission(write_submission(tmp_path / "s"))
    assert "linear_svm" not in sub.cells and "softmax_class" not in sub.cells


def test_nbgrader_layout_names_the_student(tmp_path):
    folder = write_submission(tmp_path / "submitted" / "alice" / "linear")
    sub = load_submission(folder)
    assert sub.name == "alice" and sub.problems == []


def test_a_zip_gives_the_same_submission_as_its_folder(tmp_path):
    folder = write_submission(tmp_path / "bob")
    from_folder = load_submission(folder)
    for prefix in ("", "linear/"):
        archive = zip_folder(folder, tmp_path / f"bob{len(prefix)}.zip", prefix)
        sub = load_submission(archive)
        assert sub.problems == []
        assert sub.cells == from_folder.cells
        assert sub.content_hash == from_folder.content_hash
        assert all(p.read_bytes() == (folder / n).read_bytes() for n, p in sub.model_files.items())


def test_a_path_relative_to_the_working_folder_is_read_as_the_absolute_one(
        tmp_path, monkeypatch):
    """`grade alice` and `batch submitted/` typed in the class's folder: the same
    submission as by its absolute path (once every check said "alice does not exist")."""
    folder = write_submission(tmp_path / "alice")
    archive = zip_folder(folder, tmp_path / "alice.zip", "")
    monkeypatch.chdir(tmp_path)
    for absolute, relative in ((folder, Path("alice")), (archive, Path("alice.zip"))):
        sub = load_submission(relative)
        assert sub.problems == []
        assert sub.cells == load_submission(absolute).cells
        assert set(sub.model_files) == {"svm_best.npz", "softmax_best.npz"}


def test_the_notebooks_may_sit_one_folder_down(tmp_path):
    write_submission(tmp_path / "carol" / "linear")
    assert load_submission(tmp_path / "carol").problems == []


def test_the_hash_follows_the_code_and_the_weights(tmp_path):
    base = load_submission(write_submission(tmp_path / "a")).content_hash
    cells = reference_cells()
    cells["svm_loss_naive"] += "\n# a comment\n"
    assert load_submission(write_submission(tmp_path / "b", cells)).content_hash != base
    folder = write_submission(tmp_path / "c")
    np.savez(folder / "svm_best.npz", W=np.zeros((4, 3)))
    assert load_submission(folder).content_hash != base
    assert load_submission(write_submission(tmp_path / "d")).content_hash == base


def test_intake_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    cells = reference_cells()
    cells["svm_loss_naive"] = f"open({str(marker)!r}, 'w').write('x')\n" + cells["svm_loss_naive"]
    sub = load_submission(write_submission(tmp_path / "s", cells))
    assert not marker.exists()
    # The rules read the cell and refuse its open(), which runs when the cell runs and so
    # counts against every loss; nothing else is wrong with it.
    assert {p.cell for p in sub.problems} == {"svm_loss_naive", "svm_loss_vectorized",
                                              "softmax_loss_naive", "softmax_loss_vectorized"}
    assert all("`open`" in p.message for p in sub.problems)


# --------------------------------------------------------------------------- broken notebooks


def test_invalid_json_names_the_notebook_and_what_to_do(tmp_path):
    folder = write_submission(tmp_path / "s")
    (folder / "softmax.ipynb").write_text('{"cells": [')
    sub = load_submission(folder)
    assert sub.ungradable == set(SOFTMAX_CELLS)
    [problem] = sub.problems
    assert problem.notebook == "softmax.ipynb"
    assert "is not a valid notebook (not JSON" in problem.message
    assert "download it again" in problem.message
    assert set(sub.cells) == set(SVM_CELLS)


def test_old_notebook_format_is_refused(tmp_path):
    folder = write_submission(tmp_path / "s")
    (folder / "svm.ipynb").write_text(notebook([], nbformat=3))
    sub = load_submission(folder)
    assert "uses notebook format 3, but version 4 is needed" in messages(sub)[0]
    assert sub.ungradable == set(SVM_CELLS)


def test_a_deleted_cell_is_reported_with_its_grade_id(tmp_path):
    cells = reference_cells()
    del cells["svm_loss_vectorized"]
    sub = load_submission(write_submission(tmp_path / "s", cells))
    assert messages(sub) == ["svm.ipynb, cell `svm_loss_vectorized`: is missing (the cell was "
                             "deleted or its metadata lost): copy the cell from the released "
                             "notebook and put your code back into it"]
    assert sub.ungradable == {"svm_loss_vectorized"}


def test_a_syntax_error_gives_the_line(tmp_path):
    cells = reference_cells()
    cells["softmax_loss_naive"] = "def softmax_loss_naive(W, X, y, reg):\n    loss = (1 +\n"
    sub = load_submission(write_submission(tmp_path / "s", cells))
    [problem] = sub.problems
    assert problem.cell == "softmax_loss_naive" and problem.targets == ("softmax_loss_naive",)
    assert "is not valid Python: '(' was never closed at line 2" in problem.message
    assert "softmax_loss_naive" not in sub.cells


def test_magics_are_removed_with_a_note(tmp_path):
    cells = reference_cells()
    cells["svm_loss_vectorized"] = ("%load_ext autoreload\n!pip list\n"
                                    + cells["svm_loss_vectorized"].replace(
                                        "    num_train = X.shape[0]\n",
                                        "    num_train = X.shape[0]\n    %time 1\n"))
    sub = load_submission(write_submission(tmp_path / "s", cells))
    [note] = sub.problems
    assert note.targets == () and "IPython magic or shell lines removed" in note.message
    assert "line 1 (`%load_ext autoreload`), 2 (`!pip list`)" in note.message
    source = sub.cells["svm_loss_vectorized"]
    assert source.startswith("pass\npass\ndef svm_loss_vectorized") and "    pass\n" in source


def test_a_renamed_function_is_a_missing_definition(tmp_path):
    cells = reference_cells()
    cells["svm_loss_naive"] = cells["svm_loss_naive"].replace("def svm_loss_naive",
                                                              "def svm_loss_loops")
    sub = load_submission(write_submission(tmp_path / "s", cells))
    assert messages(sub) == ["svm.ipynb, cell `svm_loss_naive`: no longer defines the function "
                             "`svm_loss_naive`; keep the names and signatures of the release "
                             "notebook"]


def test_a_classifier_without_predict_is_reported(tmp_path):
    cells = reference_cells()
    cells["linear_classifier"] = cells["linear_classifier"].replace("def predict",
                                                                    "def guess")
    sub = load_submission(write_submission(tmp_path / "s", cells))
    assert "`LinearClassifier` no longer has the method `predict`" in messages(sub)[0]
    assert sub.ungradable == {"linear_classifier"}


def test_definitions_inside_if_or_try_blocks_count(tmp_path):
    cells = reference_cells()
    cells["svm_loss_naive"] = ("try:\n    import statistics\nexcept ImportError:\n    pass\n"
                               "if True:\n    svm_loss_naive = lambda W, X, y, reg: (0.0, W)\n")
    assert load_submission(write_submission(tmp_path / "s", cells)).problems == []


def test_a_duplicated_or_markdown_cell_is_reported(tmp_path):
    folder = write_submission(tmp_path / "s")
    nb = json.loads((folder / "softmax.ipynb").read_text())
    nb["cells"].append(dict(nb["cells"][0]))
    nb["cells"][1]["cell_type"] = "markdown"
    (folder / "softmax.ipynb").write_text(json.dumps(nb))
    text = messages(load_submission(folder))
    assert any("cell `softmax_loss_naive`: appears twice" in m for m in text)
    assert any("cell `softmax_loss_vectorized`: is no longer a code cell" in m for m in text)


def test_a_cell_whose_source_is_not_text_is_reported_as_damaged(tmp_path):
    folder = write_submission(tmp_path / "s")
    nb = json.loads((folder / "softmax.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax_loss_naive":
            cell["source"] = 12
    (folder / "softmax.ipynb").write_text(json.dumps(nb))
    submission = load_submission(folder)
    text = messages(submission)
    assert any("cell `softmax_loss_naive`: has a damaged source (not text, but int)" in m
               for m in text), text
    assert "softmax_loss_naive" in submission.ungradable


def test_missing_files_are_named(tmp_path):
    folder = write_submission(tmp_path / "s", npz=False)
    (folder / "softmax.ipynb").unlink()
    sub = load_submission(folder)
    assert sub.ungradable == {*SOFTMAX_CELLS, "svm_best.npz", "softmax_best.npz"}
    assert any("softmax.ipynb is missing from the submission" in m for m in messages(sub))
    assert any("svm_best.npz is missing from the submission: it is written by the "
               "hyperparameter search cell of svm.ipynb" in m for m in messages(sub))


def test_a_path_that_is_nothing_is_one_clear_problem(tmp_path):
    sub = load_submission(tmp_path / "nothing-here")
    [problem] = sub.problems
    assert "does not exist" in problem.message and len(problem.targets) == 7


# --------------------------------------------------------------------------- hostile containers


def test_symlinked_files_are_refused(tmp_path):
    folder = write_submission(tmp_path / "s")
    secret = tmp_path / "grades.db"
    secret.write_bytes(b"SQLite")
    (folder / "svm_best.npz").unlink()
    (folder / "svm_best.npz").symlink_to(secret)
    sub = load_submission(folder)
    assert "svm_best.npz" not in sub.model_files
    assert "s/svm_best.npz is a link: the grader follows no link" in messages(sub)[0]
    assert sub.cells == {} and len(sub.ungradable) == 7   # the whole submission is refused


def test_zip_path_traversal_is_refused(tmp_path):
    archive = zip_folder(write_submission(tmp_path / "s"), tmp_path / "s.zip")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("../../etc/cron.d/evil", "* * * * * root rm -rf /")
    sub = load_submission(archive)
    assert sub.cells == {}
    assert "has a path that leaves the folder (..)" in messages(sub)[0]
    assert not (tmp_path.parent / "etc").exists()


def test_zip_symlink_members_are_refused(tmp_path):
    archive = zip_folder(write_submission(tmp_path / "s"), tmp_path / "s.zip")
    with zipfile.ZipFile(archive, "a") as z:
        link = zipfile.ZipInfo("svm_best.npz.link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/shadow")
    assert "is a symbolic link" in messages(load_submission(archive))[0]


def test_zip_bombs_are_refused_by_declared_size_and_member_count(tmp_path, monkeypatch):
    folder = write_submission(tmp_path / "s")
    (folder / "padding.bin").write_bytes(bytes(2 * 2**20))
    archive = zip_folder(folder, tmp_path / "s.zip")
    assert archive.stat().st_size < 100_000
    monkeypatch.setattr(intake.limits, "MAX_ZIP_UNCOMPRESSED", 2**20)
    assert "would unpack to more than 1048576 bytes" in messages(parse_here(archive))[0]
    monkeypatch.setattr(intake.limits, "MAX_ZIP_UNCOMPRESSED", 2**30)
    monkeypatch.setattr(intake.limits, "MAX_ZIP_MEMBERS", 3)
    assert "the .zip holds 5 files (limit 3)" in messages(parse_here(archive))[0]


def test_oversized_notebooks_and_weights_are_refused_unread(tmp_path, monkeypatch):
    folder = write_submission(tmp_path / "s")
    monkeypatch.setattr(intake.limits, "MAX_NPZ_BYTES", 100)
    sub = parse_here(folder)
    assert sub.model_files == {} and sub.ungradable == {"svm_best.npz", "softmax_best.npz"}
    monkeypatch.setattr(intake.limits, "MAX_NOTEBOOK_BYTES", 100)
    sub = parse_here(zip_folder(folder, tmp_path / "s.zip"))
    assert any("svm.ipynb is larger than 100 bytes" in m for m in messages(sub))


def test_a_damaged_zip_is_one_clear_problem(tmp_path):
    broken = tmp_path / "s.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    [problem] = load_submission(broken).problems
    assert "cannot be read as a .zip file" in problem.message


def test_zip_members_are_extracted_privately_and_cleaned_up(tmp_path):
    archive = zip_folder(write_submission(tmp_path / "s"), tmp_path / "s.zip")
    sub = load_submission(archive)
    folder = sub.model_files["svm_best.npz"].parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    del sub
    assert not folder.exists()


def test_the_sandbox_reads_the_weights_intake_located(tmp_path):
    from autograder.grade import open_session
    from autograder.sandbox import Limits

    sub = load_submission(zip_folder(write_submission(tmp_path / "s"), tmp_path / "s.zip"))
    with open_session(sub, assignment.load(), Limits()) as session:
        out = session.call("saved_weights", name="svm_best.npz")
    assert out.ok and out.value["num_iters"] == 1500


# --------------------------------------------------------------------------- malformed input
# Each of these once crashed `grade` or stopped a whole `batch`: now each is the
# submission's own problem, with a message, and reading it is bounded in memory and time.


def flag_names_utf8(archive: Path) -> None:
    """Set the UTF-8 flag (bit 11) on every entry, as a careless zip tool does."""
    data = bytearray(archive.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", data, at + flag_at)
            struct.pack_into("<H", data, at + flag_at, flags | 0x800)
            start = at + 4
    archive.write_bytes(bytes(data))


def test_a_zip_member_name_flagged_utf8_that_is_not_is_the_submissions_problem(tmp_path):
    folder = write_submission(tmp_path / "s")
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.iterdir()):
            out.write(path, path.name)
        out.writestr("notes-QQ.txt", b"x")
    archive.write_bytes(archive.read_bytes().replace(b"notes-QQ", b"notes-\xff\xfe"))
    flag_names_utf8(archive)
    sub = load_submission(archive)
    assert sub.cells == {}
    assert "cannot be read as a .zip file" in messages(sub)[0]
    assert "zip the folder again" in messages(sub)[0]


def test_a_damaged_deflate_stream_costs_that_notebook_only(tmp_path):
    folder = write_submission(tmp_path / "s")
    archive = zip_folder(folder, tmp_path / "s.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("svm.ipynb")
    # Scribble over the middle of svm.ipynb's compressed bytes (CRC and sizes stay).
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[body + 20:body + 60] = bytes(range(40))
    archive.write_bytes(bytes(data))
    sub = load_submission(archive)
    svm = [m for m in messages(sub) if m.startswith("svm.ipynb")]
    assert svm and "cannot be unpacked from the .zip" in svm[0]
    assert set(sub.cells) == set(SOFTMAX_CELLS)


def test_a_32mb_cell_of_assignments_is_refused_without_parsing_it(tmp_path):
    folder = write_submission(tmp_path / "s")
    nb = json.loads((folder / "svm.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "svm_loss_naive":
            cell["source"] = "x=1\n" * 6_500_000  # one string: 32.5 MB of JSON
    (folder / "svm.ipynb").write_text(json.dumps(nb))
    sub = load_submission(folder)
    (problem,) = [m for m in messages(sub) if "svm_loss_naive" in m]
    assert "holds 26000000 characters, more than the 1048576" in problem
    assert "svm_loss_naive" not in sub.cells and "svm_loss_vectorized" in sub.cells


def test_parsing_runs_with_bounded_memory(tmp_path, monkeypatch):
    """What the size caps let through is parsed in a process of its own: past its memory
    limit, the submission gets a message and the grader keeps its memory."""
    monkeypatch.setattr(intake.limits, "PARSE_MEMORY_BYTES", 40 * 2**20)
    sub = load_submission(write_submission(tmp_path / "s"))
    assert sub.cells == {} and len(sub.problems) == 1
    assert "could not be read: reading it stopped" in messages(sub)[0]


def test_lone_surrogates_and_undecodable_names_are_kept_readable(tmp_path):
    cells = {**reference_cells(),
             "svm_loss_naive": reference_cells()["svm_loss_naive"] + "\nNOTE = '\ud800'\n"}
    raw = tmp_path / "caf\udce9"  # a folder name that is not UTF-8 (b"caf\xe9")
    sub = load_submission(write_submission(raw, cells))
    # Readable, and marked as changed: two such names never share an id.
    assert sub.name.startswith("caf\ufffd~") and len(sub.name) == len("caf\ufffd~") + 8
    assert "\ufffd" in sub.cells["svm_loss_naive"]
    sub.name.encode("utf-8")
    assert len(sub.content_hash) == 64


# --------------------------------------------------------------------------- links
# A link anywhere between the class folder and a file the grader reads would grade another
# student's work as this one's. Each layout below is mallory's submission beside alice's;
# the honest twin builds the same layout from real folders and copies.


def _alice(submitted: Path) -> Path:
    """alice's nbgrader submission, with her starter-layout modules beside the notebooks."""
    from submissions import write_starter_submission

    alice = write_submission(submitted / "alice" / "linear")
    write_starter_submission(submitted / "alice" / "starter", reference_cells())
    return alice


def _copy_or_link(target: Path, place: Path, link: bool) -> None:
    import os
    import shutil

    place.parent.mkdir(parents=True, exist_ok=True)
    if link:
        place.symlink_to(os.path.relpath(target, place.parent))
    elif target.is_dir():
        shutil.copytree(target, place)
    else:
        shutil.copyfile(target, place)


def _folder_link(s: Path, link: bool) -> tuple[Path, str]:
    _copy_or_link(s / "alice" / "linear", s / "mallory" / "linear", link)
    return s / "mallory" / "linear", "linear is a link"


def _student_link(s: Path, link: bool) -> tuple[Path, str]:
    _copy_or_link(s / "alice", s / "mallory", link)
    return s / "mallory" / "linear", "mallory is a link"


def _file_link(s: Path, link: bool) -> tuple[Path, str]:
    mallory = write_submission(s / "mallory" / "linear")
    (mallory / "svm.ipynb").unlink()
    _copy_or_link(s / "alice" / "linear" / "svm.ipynb", mallory / "svm.ipynb", link)
    return mallory, "linear/svm.ipynb is a link"


def _starter_link(s: Path, link: bool) -> tuple[Path, str]:
    import shutil

    mallory = s / "mallory" / "linear"
    mallory.mkdir(parents=True)
    for notebook in ("svm.ipynb", "softmax.ipynb"):
        shutil.copyfile(s / "alice" / "starter" / notebook, mallory / notebook)
    _copy_or_link(s / "alice" / "starter" / "cs231n", mallory / "cs231n", link)
    return mallory, "linear/cs231n is a link"


def _zip_link(s: Path, link: bool) -> tuple[Path, str]:
    zip_folder(s / "alice" / "linear", s / "alice.zip")
    _copy_or_link(s / "alice.zip", s / "mallory.zip", link)
    return s / "mallory.zip", "mallory.zip is a link"


LINKS = {"assignment folder": _folder_link, "student folder": _student_link,
         "notebook file": _file_link, "starter module folder": _starter_link,
         "zip file": _zip_link}


def test_a_ta_s_hard_linked_snapshot_is_read_like_the_files_themselves(tmp_path):
    # `cp -al` or `rsync --link-dest` gives every file of the class a second name: a
    # refusal there would zero the class. No student can make one (a zip holds none,
    # nbgrader's exchange copies), so a hard link is the file itself.
    import os

    submitted = tmp_path / "submitted"
    _alice(submitted)
    zip_folder(submitted / "alice" / "linear", submitted / "alice.zip")
    snapshot = tmp_path / "snapshot"
    for path in [p for p in submitted.rglob("*") if p.is_file()]:
        (snapshot / path.relative_to(submitted)).parent.mkdir(parents=True, exist_ok=True)
        os.link(path, snapshot / path.relative_to(submitted))
    for path in (submitted / "alice" / "linear", submitted / "alice.zip"):
        sub = load_submission(path)
        assert sub.problems == [], messages(sub)
        assert set(sub.cells) == {*SVM_CELLS, *SOFTMAX_CELLS}


def _mallory(tmp_path, case, build, link):
    """mallory's submission built by `build` beside alice's, and what intake reads of it."""
    submitted = tmp_path / case / "submitted"
    _alice(submitted)
    path, message = build(submitted, link=link)
    sub = load_submission(path)
    assert sub.name == "mallory", case
    return sub, message


def test_a_link_in_any_component_refuses_the_whole_submission(tmp_path):
    for case, build in LINKS.items():
        sub, message = _mallory(tmp_path, case, build, link=True)
        assert sub.cells == {} and sub.modules == {}, case
        assert len(sub.ungradable) == 7, (case, messages(sub))
        assert any(message in m and "follows no link" in m for m in messages(sub)), \
            (case, messages(sub))


def test_the_same_layouts_from_real_folders_and_copies_are_read_in_full(tmp_path):
    for case, build in LINKS.items():
        sub, _ = _mallory(tmp_path, case, build, link=False)
        assert sub.problems == [], (case, messages(sub))
        assert set(sub.cells) == {*SVM_CELLS, *SOFTMAX_CELLS}, case


def test_a_linked_folder_on_the_way_down_is_not_searched_and_named(tmp_path):
    submitted = tmp_path / "submitted"
    _alice(submitted)
    (submitted / "mallory" / "linear").mkdir(parents=True)
    (submitted / "mallory" / "linear" / "work").symlink_to("../../alice/linear")
    sub = load_submission(submitted / "mallory" / "linear")
    assert sub.cells == {} and "svm_best.npz" not in sub.model_files
    assert any(m.startswith("work: not searched: the grader follows no link")
               for m in messages(sub)), messages(sub)


def test_a_link_member_of_a_zip_refuses_it(tmp_path):
    archive = zip_folder(write_submission(tmp_path / "s"), tmp_path / "mallory.zip")
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("softmax.ipynb", (tmp_path / "s" / "softmax.ipynb").read_text())
        link = zipfile.ZipInfo("svm.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "../../alice/linear/svm.ipynb")
    sub = load_submission(archive)
    assert sub.cells == {} and len(sub.ungradable) == 7
    assert "the .zip member 'svm.ipynb' is a symbolic link" in messages(sub)[0]


def test_a_refused_link_scores_zero_with_its_message(tmp_path):
    from autograder.grade import grade_submission

    submitted = tmp_path / "submitted"
    _alice(submitted)
    path, message = _starter_link(submitted, link=True)
    result = grade_submission(path)
    assert result.score == 0 and result.max_score > 0
    assert any(message in p for p in result.problems), result.problems


# ---------------------------------------------------------------- Python 2 code

PRINT_STATEMENT = "        print 'margins', margins\n"


def test_a_print_statement_is_named_as_python_2_with_its_line(tmp_path):
    cells = reference_cells()
    cells["svm_loss_naive"] = cells["svm_loss_naive"].replace(
        "        for j in range(num_classes):\n",
        PRINT_STATEMENT.replace("margins", "scores") + "        for j in range(num_classes):\n",
        1)
    line = cells["svm_loss_naive"].splitlines().index(PRINT_STATEMENT.rstrip().replace(
        "margins", "scores")) + 1
    [problem] = load_submission(write_submission(tmp_path / "s", cells)).problems
    assert (problem.notebook, problem.cell) == ("svm.ipynb", "svm_loss_naive")
    assert (f"is Python 2 code, a print statement at line {line} (`print 'scores', scores`): "
            "it must be Python 3, write print(...)") in problem.message


def test_python_2_in_a_starter_module_names_the_file(tmp_path):
    from submissions import write_starter_submission

    folder = write_starter_submission(tmp_path / "a1", reference_cells())
    path = folder / "cs231n/classifiers/softmax.py"
    path.write_text(path.read_text() + "\n\ntry:\n    pass\nexcept ValueError, error:\n"
                    "    pass\n")
    line = path.read_text().splitlines().index("except ValueError, error:") + 1
    [problem] = load_submission(folder).problems
    assert problem.notebook == "cs231n/classifiers/softmax.py"
    assert f"is Python 2 code, `except E, e:` at line {line}" in problem.message
    assert "it must be Python 3, write `except E as e:`" in problem.message


def test_a_bare_xrange_is_told_to_use_range(tmp_path):
    from autograder.grade import grade_submission

    cells = reference_cells()
    cells["svm_loss_naive"] = cells["svm_loss_naive"].replace(
        "for i in range(num_train)", "for i in xrange(num_train)", 1)
    result = grade_submission(write_submission(tmp_path / "s", cells),
                              targets=["svm_loss_naive"])
    assert result.score == 0
    assert all("NameError: name 'xrange' is not defined" in t["output"] and
               "xrange is Python 2; this code runs as Python 3: use range" in t["output"]
               for t in result.tests)


def test_checks_that_need_a_broken_starter_module_name_that_file(tmp_path):
    from submissions import write_starter_submission

    from autograder.grade import limits_for, open_session
    from autograder.rubric import load as load_rubric

    folder = write_starter_submission(tmp_path / "a1", reference_cells(), files={
        "cs231n/classifiers/linear_classifier.py": "class LinearClassifier(object)\n"})
    submission = load_submission(folder)
    assert [p.notebook for p in submission.problems] == [
        "cs231n/classifiers/linear_classifier.py"]
    spec = assignment.load()
    with open_session(submission, spec, limits_for(load_rubric(spec=spec))) as session:
        out = session.call("predict", cls="LinearSVM", W=np.zeros((3, 2)), X=np.ones((4, 3)))
    assert not out.ok
    assert ("LinearClassifier is not available: cs231n/classifiers/linear_classifier.py is "
            "missing or could not be parsed") in out.error
    assert "svm.ipynb" not in out.error


@pytest.mark.parametrize("line, what, fix", [
    ("    if num_train <> 0: pass\n", "the operator <>", "write !="),
    ("    exec 'pass'\n", "an exec statement", "write exec(...)"),
    ("    mode = 0644\n", "an octal literal such as 0777", "write 0o777"),
    ("    raise ValueError, 'no rows'\n", "`raise E, message`", "write `raise E(message)`"),
    ("    text = `num_train`\n", "backquotes", "write repr(...)"),
])
def test_python_2_spellings_are_named_with_their_python_3_form(tmp_path, line, what, fix):
    cells = reference_cells()
    cells["softmax_loss_naive"] = cells["softmax_loss_naive"].replace(
        "    num_train = X.shape[0]\n", "    num_train = X.shape[0]\n" + line, 1)
    [problem] = load_submission(write_submission(tmp_path / "s", cells)).problems
    assert problem.cell == "softmax_loss_naive"
    assert f"is Python 2 code, {what} at line" in problem.message
    assert f"it must be Python 3, {fix}" in problem.message
