"""CS231n's starter layout: the definitions come from the module files the assignment
names (`Assignment.starter_modules`), each of which must parse and still define what the
checks call; the notebooks beside them carry only the searches and answers."""

from __future__ import annotations

from pathlib import Path

from autograder.assignment import Assignment
from autograder.intake.definitions import missing_definitions
from autograder.intake.findings import apply_rules
from autograder.intake.names import lenient, submission_name
from autograder.intake.parsing import parse_python
from autograder.intake.submission import STARTER, Problem, Submission, content_hash


def uses_starter_layout(files: dict[str, bytes], spec: Assignment) -> bool:
    """Whether the submission holds any of the starter's module files."""
    return any(path in files for path in spec.starter_modules)


def read_starter(source: Path, files: dict[str, bytes], model_files: dict[str, Path],
                 problems: list[Problem], spec: Assignment) -> Submission:
    """The submission in the starter layout: each definition is its module's source."""
    modules = starter_modules(files, problems, spec)
    # Every definition's file, handed in or not: the messages name it.
    origins = {g: path for path, ids in spec.starter_modules.items() for g in ids}
    cells = {g: modules[path] for g, path in origins.items() if path in modules}
    sources = {path: _text(files[path]) for path in spec.starter_modules if path in files}
    return Submission(source=source, name=submission_name(source), cells=cells,
                      problems=problems, content_hash=content_hash(cells, model_files),
                      model_files=model_files, layout=STARTER, modules=modules,
                      origins=origins, findings=apply_rules(cells, problems, spec, origins),
                      sources=sources)


def _text(data: bytes) -> str:
    """A module file's text, whatever bytes it holds."""
    return lenient(data.decode("utf-8", "surrogateescape"))


def starter_modules(files: dict[str, bytes], problems: list[Problem],
                    spec: Assignment) -> dict[str, str]:
    """Module file -> its source, for the starter files that parse and still define what
    the checks call; a missing or broken file is a Problem for every definition in it."""
    modules: dict[str, str] = {}
    for path, grade_ids in spec.starter_modules.items():
        if path not in files:
            problems.append(Problem(path, None, f"{path} is missing from the submission: "
                                    "submit the whole assignment folder, as the starter "
                                    "code's collect script zips it", grade_ids))
            continue
        text = _text(files[path])
        tree, error = parse_python(text)
        if tree is None:
            problems.append(Problem(path, None, f"{error}; fix it so "
                                    "that the file imports", grade_ids))
            continue
        missing = next((m for m in (missing_definitions(tree, spec.definitions[g], spec)
                                    for g in grade_ids) if m), None)
        if missing:
            problems.append(Problem(path, None, f"{missing}; keep the names and signatures "
                                    "of the starter code", grade_ids))
            continue
        modules[path] = text
    return modules
