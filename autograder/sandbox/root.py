"""What of this Python installation the sandbox's child sees: planned here, in the parent.

The child's root file system is an allow-list (`rootfs.build_root`, in the child). Its Python
part is planned here, in the trusted parent, from the distributions student code needs,
never from "Python's folders" (a folder Python installs into also holds the kit once it is
installed non-editable: its hidden checks, oracle, inputs, reference and rubric):

- `show`: the interpreter and its standard library (os.py's folder, lib-dynload, the
  interpreter's LIBDIR with the shared libraries a conda build loads lazily), bound whole;
- `sites`: every folder distributions install into (site-packages, dist-packages) that
  the root could otherwise show, each replaced by an empty read-only folder;
- `entries`: inside those, the top-level entries (packages, modules, .libs folders,
  .dist-info) of the needed distributions and their dependency closure, read with
  importlib.metadata (requirements without an extra), never the kit's;
- `hide`: the kit's own folders (its packages, or the checkout of an editable install) and
  its .dist-info, masked wherever they would still appear (a checkout under /usr).

The needed distributions are data: the harness's own (numpy) and the assignment's
`child_distributions` (assignment.toml). The same plan serves every install mode the
README documents (an editable checkout, a venv, the Gradescope image's venv over the
system Python, a conda env whose site-packages lies inside its standard library folder).
"""

from __future__ import annotations

import functools
import glob
import importlib.metadata
import importlib.util
import os
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import asdict, dataclass

# What the child's root holds besides Python itself: the system's programs and libraries
# (read-only) and the few files the dynamic loader and the C library read.
SYSTEM_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime")
# What the harness itself imports, whatever the assignment's student code needs.
HARNESS_DISTRIBUTIONS = ("numpy",)
# The kit's own top-level package: everything installed beside it is the kit too.
KIT_PACKAGE = __name__.partition(".")[0]
# The system's install folders, visible through /usr whatever interpreter runs the grader
# (Debian's dist-packages, other distributions' site-packages, /usr/local's).
SYSTEM_SITE_PATTERNS = ("/usr/lib/python3*/*-packages", "/usr/lib64/python3*/*-packages",
                        "/usr/local/lib/python3*/*-packages",
                        "/usr/local/lib64/python3*/*-packages")
SITE_NAMES = ("site-packages", "dist-packages")


@dataclass(frozen=True)
class ChildPython:
    """Host paths the child's root holds of Python (see the module's docstring)."""

    show: tuple[str, ...]
    sites: tuple[str, ...]
    entries: tuple[str, ...]
    hide: tuple[str, ...]

    def to_wire(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in asdict(self).items()}


def _real(paths: Iterable[str]) -> set[str]:
    return {os.path.realpath(p) for p in paths if p and os.path.exists(p)}


def _inside(path: str, folders: Iterable[str]) -> bool:
    """Whether `path` is one of `folders` or lies below one of them."""
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _outermost(paths: set[str]) -> list[str]:
    """The paths no other one contains (a folder inside a shown one comes with it)."""
    return sorted(p for p in paths if not any(p != q and _inside(p, [q]) for q in paths))


def _site_folders(shown: Iterable[str]) -> set[str]:
    """Every folder distributions are installed into that a root could show: this
    interpreter's, the system's, and any inside a folder shown whole (a LIBDIR that
    holds another Python's lib/python3.X/site-packages)."""
    prefixes = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    found = set(__import__("site").getsitepackages(prefixes))
    found |= {p for p in sys.path if os.path.basename(p.rstrip("/")) in SITE_NAMES}
    patterns = [*SYSTEM_SITE_PATTERNS, *(os.path.join(folder, tail) for folder in shown
                                         for tail in ("python3*/*-packages", "*-packages"))]
    for pattern in patterns:
        found |= {p for p in glob.glob(pattern) if os.path.basename(p) in SITE_NAMES}
    return {p for p in _real(found) if os.path.isdir(p)}


def _interpreter() -> set[str]:
    """The interpreter, its standard library, its extension modules and LIBDIR."""
    stdlib = os.path.dirname(os.__file__)
    parts = {sys.executable, stdlib, sysconfig.get_config_var("LIBDIR") or stdlib}
    parts |= {p for p in sys.path if os.path.basename(p.rstrip("/")) == "lib-dynload"}
    parts |= {p for p in sys.path if p.endswith(".zip")}
    return _real(parts)


def _name(requirement: str) -> str | None:
    """The distribution a requirement names, unless only an extra asks for it."""
    spec, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return match.group(1) if match else None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(names: Iterable[str], kit: str | None) -> list[importlib.metadata.Distribution]:
    """The installed distributions `names` and everything they require (not the kit)."""
    todo, seen, found = list(names), set(), []
    while todo:
        name = _normal(todo.pop())
        if name in seen or name == kit:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional dependency this platform does not install
        found.append(dist)
        todo += [n for n in map(_name, dist.requires or ()) if n]
    return found


def _top_entries(dist: importlib.metadata.Distribution) -> set[str]:
    """Host paths of a distribution's top-level entries in its install folder."""
    base = str(dist.locate_file(""))
    tops = {str(f).split("/")[0] for f in dist.files or ()}
    if not tops:
        # No RECORD (a distribution's own packaging): its top_level.txt, or its name.
        names = (dist.read_text("top_level.txt") or dist.metadata["Name"]).split()
        tops = {os.path.basename(p) for n in names
                for p in glob.glob(os.path.join(base, n.replace("-", "_")) + "*")}
    own = getattr(dist, "_path", None)
    paths = {os.path.join(base, t) for t in tops
             if t and t not in ("..", "__pycache__") and not os.path.isabs(t)}
    return _real(paths | ({str(own)} if own else set()))


@functools.cache
def _kit() -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """The kit's distribution name, its top-level packages, and its metadata folders."""
    owners = importlib.metadata.packages_distributions().get(KIT_PACKAGE, [])
    name, packages, metadata = None, {KIT_PACKAGE}, set()
    for owner in owners:
        dist = importlib.metadata.distribution(owner)
        name = _normal(owner)
        packages |= set((dist.read_text("top_level.txt") or "").split())
        if getattr(dist, "_path", None):
            metadata.add(str(dist._path))
    return name, tuple(sorted(packages)), tuple(sorted(_real(metadata)))


def _kit_folders(sites: set[str]) -> set[str]:
    """The kit's packages where they are installed; for a checkout (an editable install)
    the checkout itself, tests, notebooks and corpus included."""
    _, packages, metadata = _kit()
    folders = set(metadata)
    for package in packages:
        spec = importlib.util.find_spec(package)
        for location in _real((spec.submodule_search_locations or []) if spec else []):
            parent = os.path.dirname(location)
            folders.add(location if parent in sites else parent)
    return folders


@functools.cache
def child_python(distributions: tuple[str, ...] = ()) -> ChildPython:
    """The Python part of the child's root for student code that imports `distributions`
    (and the harness, which imports numpy). Computed once per grader process."""
    system = [p for p in SYSTEM_PATHS if os.path.isdir(p) and not os.path.islink(p)]
    show = {p for p in _interpreter() if not _inside(p, system)}
    sites = _site_folders(show)
    kit_name, kit_packages, _ = _kit()
    dists = _closure((*HARNESS_DISTRIBUTIONS, *distributions), kit_name)
    entries = set()
    for dist in dists:
        entries |= {e for e in _top_entries(dist)
                    if os.path.basename(e).split(".")[0].split("-")[0] not in kit_packages}
        sites |= _real([str(dist.locate_file(""))])
    # A site inside a shown or system folder is masked there; one elsewhere only holds
    # what is put into it.
    return ChildPython(show=tuple(_outermost(show)), sites=tuple(sorted(sites)),
                       entries=tuple(sorted(entries)),
                       hide=tuple(sorted(_kit_folders(sites))))
