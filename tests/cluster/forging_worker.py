"""A dishonest Dask worker, for the tests: `dask worker --preload THIS_FILE`.

It replaces the kit's grading task with one that grades nothing and forges a result per
submission, as a worker taken over by an attacker could. What it sends depends on the
submission's name:

- `honest_twin`: a well-formed result with every check's full points and the submission's
  real content hash (what a working worker could send: stored as it is);
- `over_max`: one check scored above its points;
- `other_content`: the content hash of other content;
- `not_json`: text that is not JSON;
- `worker_failed`: what the kit's task sends when the grader raises on the worker;
- `pickled`: an object whose unpickling writes $FORGER_MARKER;
- `pickled_type`: an object whose type's unpickling writes $FORGER_MARKER (the worker sends
  every result's type pickled to the client).
"""

from __future__ import annotations

import copyreg
import json
import os
from pathlib import Path

import autograder.cluster
from autograder import intake
from autograder.assignment import load as load_assignment


def _payload(_: object = None) -> tuple:
    """What unpickling runs: it writes the marker file with the unpickler's pid and uid."""
    code = (f"import os; open({os.environ['FORGER_MARKER']!r}, 'w')"
            ".write(f'{os.getpid()} {os.getuid()}')")
    return (exec, (code,))


class Payload:
    __reduce__ = _payload


class SneakyType(type):
    """A metaclass whose classes pickle as the payload."""


copyreg.pickle(SneakyType, _payload)


class Sneaky(metaclass=SneakyType):
    pass


def forged(path: str, submission: str, rubric, cifar10_dir, assignment) -> object:
    spec = load_assignment(assignment)
    content_hash = intake.load_submission(Path(path), spec).content_hash
    checks = spec.check_module.build_checks(0, rubric)
    tests = [{"name": c.name, "score": float(c.points(rubric)),
              "max_score": float(c.points(rubric)),
              "output": "", "visibility": "visible", "target": ""} for c in checks]
    doc = {"submission": submission, "content_hash": content_hash,
           "score": sum(t["score"] for t in tests),
           "max_score": sum(t["max_score"] for t in tests), "tests": tests,
           "problems": [], "elapsed_s": 1.0, "limits": "", "confinement": ""}
    if submission == "over_max":
        tests[0]["score"] = tests[0]["max_score"] + 32
        doc["score"] += 32
    elif submission == "other_content":
        doc["content_hash"] = "0" * len(content_hash)
    elif submission == "not_json":
        return "score: 100"
    elif submission == "worker_failed":
        return json.dumps({"error": "GradingError: CIFAR-10 not found on this worker"})
    elif submission == "pickled":
        return Payload()
    elif submission == "pickled_type":
        return Sneaky()
    return json.dumps(doc)


autograder.cluster._grade_on_dask_worker = forged
