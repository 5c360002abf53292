"""The house style (pyproject.toml [tool.ruff]): `ruff format` leaves every Python file as it is
and `ruff check` finds nothing, over plugins, maestro_cli, bench and tests; the engine's type
hints are complete and `mypy` (pyproject.toml [tool.mypy]) agrees with them."""

import ast
import collections
import os
import pathlib
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ["plugins", "maestro_cli", "bench", "tests"]
RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
MYPY = os.path.join(os.path.dirname(sys.executable), "mypy")
ANSIBLE_NAMES = ("DOCUMENTATION", "EXAMPLES", "RETURN")

pytestmark = pytest.mark.skipif(
    os.environ.get("MAESTRO_MATRIX") == "1" and not os.path.exists(RUFF),
    reason="make test-matrix: the style does not depend on ansible-core; make test checks it",
)


def run(*argv, env=None):
    """A tool of the venv, from the checkout: its exit code and output."""
    return subprocess.run(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False
    )


def ruff(*args):
    return run(RUFF, *args, *FOLDERS)


def test_ruff_format_leaves_every_file_as_it_is():
    proc = ruff("format", "--check", "--diff")
    assert proc.returncode == 0, "run `.venv/bin/ruff format %s`:\n%s" % (" ".join(FOLDERS), proc.stdout[-5000:])


def test_ruff_check_finds_nothing():
    proc = ruff("check", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_mypy_finds_nothing():
    # No cache: mypy notes a file's mtime in whole seconds, so an edit undone within the same
    # second (a test of this test) would be read from the cache.
    # Where ansible_collections/maestro/ng is found: the checkout's collections/ link, or, when
    # the checkout is itself ansible_collections/maestro/ng (ansible-test units), its root.
    root = os.path.dirname(os.path.dirname(os.path.dirname(REPO)))
    if os.path.basename(os.path.dirname(os.path.dirname(REPO))) != "ansible_collections":
        root = os.path.join(REPO, "collections")
    proc = run(MYPY, "--cache-dir=/dev/null", env=dict(os.environ, MYPYPATH=root))
    assert proc.returncode == 0, proc.stdout[-5000:]


def test_no_constant_is_defined_twice():
    """A public module-level constant (an UPPER_CASE name) of the engine or the maestro command has one home;
    the modules' DOCUMENTATION, EXAMPLES and RETURN are Ansible's names, one per module."""
    homes = collections.defaultdict(list)
    for folder in ("plugins", "maestro_cli"):
        for path in sorted(pathlib.Path(REPO, folder).rglob("*.py")):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                for target in targets:
                    name = getattr(target, "id", "")
                    if name.isupper() and not name.startswith("_") and name not in ANSIBLE_NAMES:
                        homes[name].append(str(path.relative_to(REPO)))
    assert {name: files for name, files in homes.items() if len(files) > 1} == {}


def _tables(path):
    """(the names a module-level constant table of ``path`` is over, its name): a dict's keys, a tuple's,
    list's or set's items, when they are literals and at least three."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        value = node.value
        if (
            isinstance(value, ast.Call)
            and getattr(value.func, "id", "") in ("frozenset", "set", "tuple")
            and value.args
        ):
            value = value.args[0]
        items = value.keys if isinstance(value, ast.Dict) else getattr(value, "elts", None)
        if items and len(items) >= 3 and all(isinstance(item, ast.Constant) for item in items):
            yield frozenset(item.value for item in items), getattr(target, "id", "?")


def test_no_table_is_written_twice():
    """Two constants of different files over the same names (a colour per tone, a word per command, the
    suffixes of environment files) are one table written twice: one must read the other."""
    homes = collections.defaultdict(set)
    for folder in ("plugins", "maestro_cli"):
        for path in sorted(pathlib.Path(REPO, folder).rglob("*.py")):
            for names, constant in _tables(path):
                homes[names].add("%s:%s" % (path.relative_to(REPO), constant))
    twice = {
        ", ".join(sorted(map(str, names))): sorted(where)
        for names, where in homes.items()
        if len({place.partition(":")[0] for place in where}) > 1
    }
    assert twice == {}


def _unannotated(path):
    """file:line name of each public function or method of ``path`` missing a parameter or return annotation."""
    missing = []

    def visit(node, owner=""):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, child.name + ".")
            elif isinstance(child, ast.FunctionDef) and (not child.name.startswith("_") or child.name == "__init__"):
                args = child.args.posonlyargs + child.args.args + child.args.kwonlyargs
                if owner and args and args[0].arg in ("self", "cls"):
                    args = args[1:]
                args += [arg for arg in (child.args.vararg, child.args.kwarg) if arg]
                if any(arg.annotation is None for arg in args) or (child.returns is None and child.name != "__init__"):
                    missing.append("%s:%d %s%s" % (path.relative_to(REPO), child.lineno, owner, child.name))

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return missing


def test_the_engines_public_functions_have_type_hints():
    """Every public function and method of plugins/module_utils says what it takes and gives."""
    engine = sorted(pathlib.Path(REPO, "plugins", "module_utils").rglob("*.py"))
    assert [line for path in engine for line in _unannotated(path)] == []
