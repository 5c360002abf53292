"""Shared set-up for the unit tests of the environment model.

* puts ``collections/`` on ``sys.path`` so ``ansible_collections.maestro.ng`` imports
  (``collections/ansible_collections/maestro/ng`` is a symlink to the repository root);
* ``write_env``: writes an environment file (and any env/include files it needs)
  into a fresh temporary folder and returns its path;
* ``load_env``: the same, then ``environment.load`` it;
* ``FIXTURES``: the folder of the fixture files kept in the repository.
"""

import os
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

FIXTURES = os.path.join(HERE, "fixtures")


def dedent(text):
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def write_env(tmp_path):
    """``write_env(yaml_text, name="env.yaml", **files)`` -> path of the written file.

    ``files`` maps file names (``"env1.env"``, or ``"sub/x.yaml"`` via a dict) to
    their text; all texts are dedented so tests can indent them inline.
    """

    def write(text, name="env.yaml", files=None, **more):
        extra = dict(files or {})
        extra.update(more)
        for file_name, content in extra.items():
            target = tmp_path / file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dedent(content), encoding="utf-8")
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def load_env(write_env):
    """``load_env(yaml_text, environ=None, **files)`` -> Environment."""
    from ansible_collections.maestro.ng.plugins.module_utils.model import environment

    def load(text, environ=None, name="env.yaml", files=None, **more):
        path = write_env(text, name=name, files=files, **more)
        return environment.load(path, environ=environ if environ is not None else {})

    return load


@pytest.fixture
def load_error(write_env):
    """``load_error(yaml_text, **files)`` -> the MaestroError text, file shown as ``env.yaml``."""
    from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
    from ansible_collections.maestro.ng.plugins.module_utils.model import environment

    def load(text, environ=None, name="env.yaml", files=None, **more):
        path = write_env(text, name=name, files=files, **more)
        with pytest.raises(MaestroError) as info:
            environment.load(path, environ=environ if environ is not None else {})
        return str(info.value).replace(os.path.dirname(path) + os.sep, "")

    return load


@pytest.fixture
def fixture_path():
    """``fixture_path("good", "envfiles.yaml")`` -> absolute path in tests/unit/fixtures."""

    def path(*parts):
        return os.path.join(FIXTURES, *parts)

    return path
