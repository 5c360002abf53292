"""The roles, playbooks and examples pass ansible-lint's production profile (.ansible-lint).

ansible-lint runs offline on a temporary copy of those folders: it keeps a cache in
<project>/.ansible, which must not end up in the checkout (or in a collection build).
maestro.ng itself resolves from the checkout through the copy's collections/ link.
"""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ["roles", "playbooks", "examples"]
FILES = [".ansible-lint", ".yamllint", "ansible.cfg", "galaxy.yml"]


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(REPO, "collections")),
    reason="not a source checkout (no collections/), e.g. under ansible-test units: it runs once",
)
def test_ansible_lint_is_clean(tmp_path):
    ansible_lint = os.path.join(os.path.dirname(sys.executable), "ansible-lint")
    if not os.path.exists(ansible_lint):
        pytest.fail("ansible-lint is not installed next to %s (make venv)" % sys.executable, pytrace=False)
    for folder in FOLDERS + ["meta"]:
        shutil.copytree(os.path.join(REPO, folder), tmp_path / folder)
    for name in FILES:
        shutil.copy(os.path.join(REPO, name), tmp_path / name)
    link = tmp_path / "collections" / "ansible_collections" / "maestro" / "ng"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO)
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
        NO_COLOR="1",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    proc = subprocess.run(
        [ansible_lint, "--offline", "-q", "--nocolor"] + FOLDERS,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
