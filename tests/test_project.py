"""The project skeleton a newcomer relies on: the README's commands, CI, and the environments."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from autograder.release import ROOT


def _requirement_names(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", spec.strip())
        out[match.group(1).lower()] = match.group(2).replace(" ", "")
    return out


def test_environment_yml_agrees_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_names(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed += [d for d in dep["pip"] if not d.startswith("-e")]
        elif not dep.startswith(("python=", "pip")):
            listed.append(dep)
    have = _requirement_names(listed)
    assert have == wanted, f"environment.yml {have} != pyproject.toml {wanted}"
    assert wanted["torch"] == "==2.13.0"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./kit demo" in readme and "./kit test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./kit test\b", ci, re.MULTILINE), (
        ".ci/run must call the README's test command"
    )


def test_code_is_ruff_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_every_test_security_md_names_exists() -> None:
    """SECURITY.md's invariants each name their tests: a renamed or deleted test must take
    its row along, or the threat model stops being true."""
    text = (ROOT / "SECURITY.md").read_text()
    named: list[tuple[str, str]] = []
    for row in text.splitlines():
        module = None
        for path, name in re.findall(r"`(?:(test_\w+\.py))?(?:::(\w+))?(?:\[[^\]]*\])?`", row):
            module = path or module
            if name:
                assert module, f"SECURITY.md names ::{name} without its file: {row[:120]}"
                named.append((module, name))
    assert len(named) >= 40
    missing = [f"{module}::{name}" for module, name in named
               if not re.search(rf"^def {name}\(", (ROOT / "tests" / module).read_text(),
                                re.MULTILINE)]
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"
    entries = re.findall(r"`(hostile|buggy|honest)/(\w+)`", text)
    assert entries
    gone = [f"{kind}/{name}" for kind, name in entries
            if not any((ROOT / "tests" / corpus / kind / name).is_dir()
                       for corpus in ("corpus", "corpus_torch"))]
    assert not gone, f"SECURITY.md names corpus entries that do not exist: {gone}"
