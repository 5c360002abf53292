"""The whole repository passes ansible-lint's production profile (.ansible-lint): roles, playbooks,
examples, meta and galaxy.yml (its tags: the galaxy[tags] rule).

ansible-lint runs offline on a temporary copy of the repository's tracked files: it keeps a cache in
<project>/.ansible, which must not end up in the checkout (or in a collection build). maestro.ng
itself resolves from the checkout through the copy's collections/ link.
"""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tracked_copy(folder):
    """The repository's files as git has them (tracked, with their changes, and new files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = os.path.join(REPO, name)
        if os.path.isfile(source) and not os.path.islink(source):
            os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
            shutil.copy(source, os.path.join(folder, name))
    link = folder / "collections" / "ansible_collections" / "maestro" / "ng"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(REPO)


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(REPO, "collections")) or not os.path.isdir(os.path.join(REPO, ".git")),
    reason="not a source checkout (no collections/ or .git), e.g. under ansible-test units: it runs once",
)
def test_ansible_lint_is_clean_on_the_whole_repository(tmp_path):
    ansible_lint = os.path.join(os.path.dirname(sys.executable), "ansible-lint")
    if not os.path.exists(ansible_lint):
        pytest.fail("ansible-lint is not installed next to %s (make venv)" % sys.executable, pytrace=False)
    tracked_copy(tmp_path)
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
        NO_COLOR="1",
        PYTHONWARNINGS="ignore:DSA is deprecated",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    proc = subprocess.run(
        [ansible_lint, "--offline", "-q", "--nocolor"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
