"""The project skeleton a newcomer relies on: the README's commands, CI, and the environments."""

from __future__ import annotations

import ast
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
            if not any((corpus / kind / name).is_dir()
                       for corpus in (ROOT / "tests").glob("corpus*"))]
    assert not gone, f"SECURITY.md names corpus entries that do not exist: {gone}"


def _assignment_words() -> set[str]:
    """What each assignment names (its definitions, classes, methods, operations and their
    arguments, model files, data targets, the linear hyperparameters and CIFAR-10 split
    names), less the short and generic words an engine may use for itself."""
    from autograder import assignment

    words = {"learning_rate", "num_iters", "batch_size", "X_train", "y_train", "X_val",
             "y_val", "X_test", "y_test"}
    for name in assignment.names():
        spec = assignment.load(name)
        words |= set(spec.definitions) | {n for ns in spec.definitions.values() for n in ns}
        words |= {m for ms in spec.methods.values() for m in ms if not m.startswith("__")}
        words |= set(spec.operations) | set(spec.model_files) | set(spec.data_targets)
        words |= {a for op in spec.operations.values() for a in op["args"]}
    return {w for w in words if len(w) > 2} - {"name", "cls", "seed"}


def _code_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name or string) of every identifier and string constant of a module's code,
    its docstrings left out (they may show an example)."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
                          | ast.ClassDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs:
            found += [(node.lineno, w) for w in re.split(r"[^\w./]+", node.value) if w]
        elif isinstance(node, ast.Name):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.arg):
            found.append((node.lineno, node.arg))
    return found


def test_the_engine_names_no_assignment() -> None:
    """An assignment is a folder: nothing in autograder/ outside assignments/ names an
    assignment's functions, operations, hyperparameters or data, so a new one (the
    two-layer network) lands without an engine change for its own sake."""
    words = _assignment_words()
    assert {"svm_loss_naive", "learning_rate", "affine_forward"} <= words
    hits = [f"{path.relative_to(ROOT)}:{line}: {word}"
            for path in sorted((ROOT / "autograder").rglob("*.py"))
            if "assignments" not in path.relative_to(ROOT).parts
            for line, word in _code_names(ast.parse(path.read_text()))
            if word in words]
    assert not hits, "the engine names an assignment's own names:\n" + "\n".join(hits)


# The grading path: the modules that start sessions (grade: a submission's; grading_data:
# the reference timing's), run an edition's child operations in-kernel (inkernel: its
# library), or name the wire's reply type for the checks (outcome).
SANDBOX_IMPORTERS = {"grade.py", "grading_data.py", "inkernel.py", "outcome.py"}


def _imports_sandbox(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name == "autograder.sandbox" or a.name.startswith("autograder.sandbox.")
                   for a in node.names)
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "autograder":
            return any(a.name == "sandbox" for a in node.names)
        return node.module == "autograder.sandbox" \
            or node.module.startswith("autograder.sandbox.")
    return False


def test_only_the_grading_path_imports_the_sandbox() -> None:
    """The door is audited in one folder: no other module of the engine or of an
    assignment reaches into it (file and text helpers live in files.py and text.py)."""
    package = ROOT / "autograder"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "sandbox" or str(relative) in SANDBOX_IMPORTERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{relative}:{node.lineno}" for node in ast.walk(tree)
                      if _imports_sandbox(node)]
    assert not offenders, ("these modules import autograder.sandbox; import file and text "
                           f"helpers from autograder.files / autograder.text: {offenders}")


def test_the_package_imports_nothing_from_tests() -> None:
    """autograder/ runs where tests/ is absent (an installed kit, the Gradescope image): the
    demo's sample builders live in each assignment's samples module, never in tests/."""
    import ast

    local = {p.stem for p in (ROOT / "tests").glob("*.py")} | {"tests", "conftest"}
    found = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {m}"
                      for m in modules if m.split(".")[0] in local]
    assert not found, "autograder/ imports the kit's tests: " + "; ".join(found)


def _library_names(tree: ast.Module, libraries: tuple[str, ...]) -> list[str]:
    """String constants (not docstrings), names and attribute chains of `tree` that name
    one of `libraries`, each as 'line: text'."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    word = re.compile(rf"\b({'|'.join(libraries)})\b")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and word.search(node.value):
            found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Name) and node.id in libraries:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [f"{node.lineno}: import {m}" for m in modules
                      if m.split(".")[0] in libraries]
    return found


def test_the_source_rules_name_no_library() -> None:
    """autograder/rules/ knows torch and numpy only from an assignment's [rules] tables
    (library, scalar_factories, safe_loads, factories, converters, ...): a new edition on
    another library changes no line of it."""
    libraries = ("torch", "numpy", "np")
    found = [f"{path.relative_to(ROOT)}:{hit}"
             for path in sorted((ROOT / "autograder" / "rules").glob("*.py"))
             for hit in _library_names(ast.parse(path.read_text(encoding="utf-8")), libraries)]
    assert not found, ("autograder/rules/ names a library in code; put it in the "
                       f"assignment's [rules] table of assignment.toml instead: {found}")
