"""Every assignment's corpus, graded as a TA would check it: each submission gets its score
and its messages.

Every entry of every assignment's corpus (the CORPUS of its samples module: tests/corpus/
for the NumPy edition, tests/corpus_torch/ for the PyTorch one, ...) is built by that module
as a real submission (the release notebooks with the entry's cells, models trained on the
real CIFAR-10) and graded through the real pipeline: intake and its rules, the sandbox, the
hidden checks, CIFAR-10 retraining. Test ids name both: `linear:buggy/train_never_samples`.

An entry's expected.toml says the total it must get (`score`, or [low, high]), exactly
which checks fail (`fail`: name prefixes), what their messages must say (`says`: for each
name prefix, words every failing check's message contains; a list inside means one of
those words), and how it is graded:
- `cifar = false`: without the checks of the targets that need CIFAR-10 (the assignment's
  data targets), whose points its rubric.toml gives; this keeps the corpora affordable on
  two cores (the reference, the training bugs and the hyperparameter bugs go through it);
- `rules = false`: with the assignment's source rules off, so that an attack shows the
  sandbox containing it rather than intake refusing its source.
A corpus's corpus.toml gives these defaults for a kind of entry ([defaults.<kind>]) and
what the corpus must cover ([covers]). An assignment without samples (no samples.py yet,
or no corpus) is skipped, saying why.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest
from corpus_asserts import assert_graded, traces

from autograder import assignment as assignments
from autograder.assignments import samples
from autograder.grade import GradingData, grade_submission

# Every assignment's rubric totals 100 points (the header of each rubric.toml).
FULL_SCORE = 100.0


def _params() -> tuple[list, list]:
    """(assignment, entry) for every corpus entry; (assignment,) for every corpus."""
    entries, corpora = [], []
    for name in assignments.names():
        try:
            module = samples.load(name)
        except samples.SamplesUnavailable as exc:
            skip = pytest.mark.skip(reason=str(exc))
            entries.append(pytest.param(name, "", marks=skip, id=f"{name}:no-samples"))
            corpora.append(pytest.param(name, marks=skip, id=name))
            continue
        except Exception:
            # A samples module that does not import fails its own tests (samples.load
            # raises there again), not the collection of every other corpus.
            entries.append(pytest.param(name, "", id=f"{name}:samples-module"))
            corpora.append(pytest.param(name, id=name))
            continue
        entries += [pytest.param(name, entry, id=f"{name}:{entry}")
                    for entry in samples.corpus_entries(module.CORPUS)]
        corpora.append(pytest.param(name, id=name))
    return entries, corpora


ENTRIES, CORPORA = _params()


def corpus_settings(corpus: Path) -> dict[str, Any]:
    """The corpus's corpus.toml ({} when it has none)."""
    path = corpus / "corpus.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def cifar_points(name: str) -> float:
    """The points of the checks that need CIFAR-10, read from the assignment's rubric.toml."""
    spec = assignments.load(name)
    with spec.rubric_path.open("rb") as f:
        points = tomllib.load(f)["points"]
    return float(sum(sum(points[target].values()) for target in spec.data_targets))


def _reference_uids(data: GradingData) -> set[int]:
    """The uid of the run's reference timing session, which outlives every grade."""
    live = data.reference_timing._live
    return set() if live is None else {live.uid}


@pytest.mark.parametrize("assignment", CORPORA)
def test_each_corpus_covers_its_bugs_attacks_and_broken_cases(assignment):
    # corpus.toml [covers]: kind = a number (at least that many entries of the kind) or a
    # list (these entries of the kind, by name).
    corpus = samples.load(assignment).CORPUS
    entries = samples.corpus_entries(corpus)
    assert "correct" in entries, f"{corpus} has no correct/expected.toml"
    for kind, wanted in corpus_settings(corpus).get("covers", {}).items():
        names = {e.split("/")[1] for e in entries if e.startswith(f"{kind}/")}
        if isinstance(wanted, int):
            assert len(names) >= wanted, f"{corpus}: {len(names)} {kind} entries, not {wanted}"
        else:
            assert not set(wanted) - names, \
                f"{corpus}: no {kind}/ entry {sorted(set(wanted) - names)}"


@pytest.mark.parametrize("assignment", CORPORA)
def test_each_demo_sample_is_an_entry_of_its_corpus(assignment):
    # `./kit demo` builds these; a renamed or deleted entry would stop the demo midway.
    module = samples.load(assignment)
    assert isinstance(module, samples.AssignmentSamples)
    entries = samples.corpus_entries(module.CORPUS)
    assert module.DEMO and not set(module.DEMO) - set(entries), \
        f"{assignment}'s DEMO names no entry {sorted(set(module.DEMO) - set(entries))}"


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "entry"), ENTRIES)
def test_corpus_entry_gets_its_score_and_messages(assignment, entry, grading_data_of,
                                                  sample_models_of, tmp_path):
    module = samples.load(assignment)
    expected = samples.entry_spec(entry, module.CORPUS)
    defaults = corpus_settings(module.CORPUS).get("defaults", {}).get(entry.split("/")[0], {})
    graded = {key: expected.get(key, defaults.get(key, True)) for key in ("cifar", "rules")}
    data = grading_data_of(assignment)
    submission = module.build_entry(entry, tmp_path, sample_models_of(assignment))
    spec = assignments.load(assignment)
    if not graded["rules"]:
        spec = dataclasses.replace(spec, rules={})
    targets = None if graded["cifar"] else [
        t for t in spec.check_module.TARGETS if t not in spec.data_targets]

    before = traces(_reference_uids(data))
    result = grade_submission(submission, data=data, spec=spec, targets=targets)
    # Nothing the submission started or made outlives its grade.
    left = {kind: found - before[kind] for kind, found in traces(_reference_uids(data)).items()}
    assert not any(left.values()), f"{assignment}:{entry} left behind {left}"
    # A hostile model file's payload leaves a .pwned mark beside it if it ever runs.
    assert not list(tmp_path.rglob("*.pwned")), f"{assignment}:{entry}: a model file ran code"

    maximum = FULL_SCORE if graded["cifar"] else FULL_SCORE - cifar_points(assignment)
    assert_graded(f"{assignment}:{entry}", expected, result, maximum)
