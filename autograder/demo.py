"""The kit's main job, end to end: release every assignment, grade sample submissions of each.

The sample submissions are the graded corpora the tests hold (`tests/corpus/` for the
NumPy edition, `tests/corpus_torch/` for the PyTorch one: the reference solution,
realistic bugs, broken and hostile submissions), built the way a student makes them (the
release notebooks with cells filled in, plus the models really trained on CIFAR-10) into
nbgrader's `submitted/<student>/<assignment>/` layout, and one NumPy submission in CS231n's
own starter layout. Each assignment's are graded in parallel into its own grade store,
exported (CSV, Gradescope results.json) and reported (HTML), and its score table printed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from autograder import batch, export, release, report
from autograder.release import ROOT
from autograder.store import GradeStore
from cs231n_data import cifar10
from cs231n_data.download import MD5, URL, DownloadError, download_cifar10

TESTS = ROOT / "tests"
# A cross-section of the corpus: every kind of outcome, about two minutes on 2 cores.
SAMPLES = (
    "correct",
    "buggy/svm_naive_no_average",
    "buggy/svm_vectorized_reg_grad_no_factor_2",
    "buggy/softmax_naive_unstable",
    "buggy/softmax_vectorized_missing_minus_one",
    "buggy/softmax_vectorized_mutates_X",
    "buggy/train_never_samples",
    "buggy/predict_returns_scores",
    "buggy/undertrained_hyperparameters",
    "broken/invalid_json",
    "broken/deleted_cell",
    "broken/syntax_error",
    "broken/missing_npz",
    "hostile/read_secrets",
    "hostile/fork_bomb",
    "hostile/monkeypatch_numpy",
    # The reference solution in CS231n's own starter layout (cs231n/classifiers/*.py),
    # graded from its module files, with the models its search saved beside them.
    "starter/correct",
)
# The PyTorch edition's (tests/corpus_torch/).
TORCH_SAMPLES = (
    "correct",
    "buggy/svm_vectorized_is_the_loop",
    "buggy/svm_naive_dW_shares_W",
    "buggy/svm_vectorized_autograd",
    "broken/syntax_error",
    "hostile/top_level_monkeypatch",
    "hostile/pickle_model",
)


def build_samples(submitted: Path, entries: tuple[str, ...] = SAMPLES) -> list[Path]:
    """Write each corpus entry as submitted/<student>/linear/ and return the folders."""
    if not (TESTS / "submissions.py").is_file():
        raise FileNotFoundError(f"{TESTS} is missing: the demo's samples are the test corpus "
                                "of a kit checkout")
    sys.path.insert(0, str(TESTS))
    from corpus_cells import attack_cells, reference_cells
    from submissions import ModelStore, build_entry, write_starter_submission, write_submission

    from cs231n_data import get_cifar10_data

    folders = []
    with tempfile.TemporaryDirectory(prefix="demo-") as scratch:
        models = ModelStore(get_cifar10_data(), Path(scratch))
        for entry in entries:
            student = entry.replace("/", "-")
            if entry.startswith("hostile/"):
                # Attacks are sandbox tests, not graded corpus entries: the reference
                # solution with the attack's cells swapped in.
                built = write_submission(Path(scratch) / "built" / student,
                                         attack_cells(entry.split("/", 1)[1]),
                                         models.reference())
            elif entry == "starter/correct":
                built = write_starter_submission(Path(scratch) / "built" / student,
                                                 reference_cells())
                for name, path in models.reference().items():
                    shutil.copyfile(path, built / name)
            else:
                built = build_entry(entry, Path(scratch) / "built", models)
            target = submitted / student / release.ASSIGNMENT
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(built, target)
            folders.append(target)
    return folders


def build_torch_samples(submitted: Path, entries: tuple[str, ...] = TORCH_SAMPLES
                        ) -> list[Path]:
    """Write each torch corpus entry as submitted/<student>/linear_torch/."""
    sys.path.insert(0, str(TESTS))
    from torch_submissions import SPEC, ModelStore, build_entry

    from cs231n_data import get_cifar10_tensors

    folders = []
    with tempfile.TemporaryDirectory(prefix="demo-torch-") as scratch:
        models = ModelStore(get_cifar10_tensors(num_dev=0), Path(scratch))
        for entry in entries:
            student = entry.replace("/", "-")
            built = build_entry(entry, Path(scratch) / "built", models)
            target = submitted / student / SPEC.source
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(built, target)
            folders.append(target)
    return folders


def ensure_cifar10(url: str = URL, md5: str = MD5) -> Path | None:
    """The CIFAR-10 folder the demo trains and grades with: $CIFAR10_DIR's, or else the
    package's own folder, downloaded there once when it is not yet (the official archive,
    MD5 checked, with a progress bar). None, having said why and what to do, when neither
    can be had."""
    folder = cifar10.cifar10_dir()
    if (folder / cifar10.TEST_BATCH).is_file():
        return folder
    if os.environ.get("CIFAR10_DIR"):
        print(f"error: CIFAR10_DIR={os.environ['CIFAR10_DIR']} holds no CIFAR-10 (no "
              f"{cifar10.TEST_BATCH} in {folder}): point it at a cifar-10-batches-py folder, "
              "or unset it to have the demo download the data set", file=sys.stderr)
        return None
    print(f"0. CIFAR-10 is not in {folder}: downloading it once (about 170 MB) from {url}")
    try:
        return download_cifar10(folder.parent, url=url, md5=md5)
    except DownloadError as exc:
        hint = "" if "CIFAR10_DIR" in str(exc) else (
            " (or set CIFAR10_DIR to an existing cifar-10-batches-py folder)")
        print(f"error: could not download CIFAR-10: {exc}{hint}", file=sys.stderr)
        return None


def run(out: Path, workers: int = 2) -> int:
    """Release, build the samples, grade them, export and report; print the score tables."""
    if ensure_cifar10() is None:
        return 2
    for folder, bundle in release.release_all(out):
        print(f"1. released {folder.relative_to(ROOT)} with nbgrader; student bundle {bundle}")
    errors = 0
    for step, (assignment, build) in enumerate(
            (("linear", build_samples), ("linear_torch", build_torch_samples)), start=2):
        where = out / assignment
        submitted = where / "submitted"
        samples = build(submitted)
        print(f"{step}. {assignment}: built {len(samples)} sample submissions in {submitted}, "
              f"grading them with {workers} workers (student code runs in the sandbox)")
        with GradeStore(where / "grades" / "grades.sqlite") as store:
            run_ = batch.run_batch(submitted, store, workers=workers, assignment=assignment)
            print(batch.format_table(run_, store))
            records = store.records()
        lines = export.export(records, csv_path=where / "grades.csv",
                              gradescope=where / "gradescope")
        index = report.write_report(records, where / "report")
        print("   " + "; ".join(lines) + f"; HTML class report {index}")
        errors += len(run_.errors)
    return 1 if errors else 0
