"""pytest imports test modules by basename (rootdir mode, no packages): two test files with one
name in different folders break collection of the whole suite, so every name must be unique."""

import collections
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_module_name_is_unique():
    names = collections.defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        names[path.name].append(str(path.relative_to(TESTS)))
    assert not {name: paths for name, paths in names.items() if len(paths) > 1}
