"""Parsing in a process of its own: a fresh interpreter under RLIMIT_AS and RLIMIT_CPU
(`limits.PARSE_MEMORY_BYTES`, `limits.PARSE_SECONDS`), so that a notebook built to make
`json` or `ast` use gigabytes, a zip bomb or a damaged archive costs that submission a
clear message, never the grader's memory or the rest of the batch."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from autograder.assignment import Assignment
from autograder.assignment import dumps as assignment_json
from autograder.intake import limits
from autograder.intake.names import submission_name
from autograder.intake.submission import Problem, Submission, all_targets, from_json

# -I puts neither the current folder nor PYTHONPATH on sys.path: the child imports this
# kit from where this file lies.
_PARSER = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
           "from autograder.intake import main; main(sys.argv)")


def parse_bounded(source: Path, extract_to: Path, spec: Assignment) -> Submission:
    """`intake._parse(source)` in a fresh interpreter, under RLIMIT_AS and RLIMIT_CPU."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.PARSE_MEMORY_BYTES,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU,
                           (limits.PARSE_SECONDS, limits.PARSE_SECONDS + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    name = submission_name(source)
    why = None
    try:
        run = subprocess.run(
            # Absolute (links left as they are, for the walk to refuse): the parser runs
            # in extract_to, where a path relative to the caller's folder names nothing.
            [sys.executable, "-I", "-c", _PARSER, os.fsencode(os.path.abspath(source)),
             os.path.abspath(extract_to), assignment_json(spec)],
            capture_output=True, preexec_fn=limit, timeout=2 * limits.PARSE_SECONDS,
            cwd=extract_to, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        if run.returncode == 0:
            return from_json(source, name, json.loads(run.stdout))
        why = (f"reading it stopped ({_exit_reason(run.returncode)}; the limits are "
               f"{limits.PARSE_MEMORY_BYTES // 2**30} GiB and {limits.PARSE_SECONDS} s)")
    except subprocess.TimeoutExpired:
        why = f"reading it took more than {2 * limits.PARSE_SECONDS} s"
    except (ValueError, KeyError, TypeError):
        why = "reading it gave no usable result"
    return _unreadable(source, name, why, spec)


def _unreadable(source: Path, name: str, why: str, spec: Assignment) -> Submission:
    """The submission that could not be parsed: one problem, every target ungradable."""
    problem = Problem(source.name, None, f"could not be read: {why}; it is damaged or built "
                      "to be far larger than a notebook: submit the notebooks as Jupyter "
                      "saved them (and their .npz files), zipped by an ordinary tool",
                      all_targets(spec))
    return Submission(source=source, name=name, cells={}, problems=[problem],
                      content_hash=hashlib.sha256(f"unreadable {name}".encode(
                          "utf-8", "surrogatepass")).hexdigest())


def _exit_reason(code: int) -> str:
    if code == 3:
        return "out of memory"
    if code < 0:
        return {9: "killed: out of time or memory", 24: "out of CPU time"}.get(
            -code, f"signal {-code}")
    return f"status {code}"
