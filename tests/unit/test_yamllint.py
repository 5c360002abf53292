"""The collection's YAML passes yamllint (.yamllint: line length 120, yes/no allowed)."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ["roles", "playbooks", "examples", "meta", "changelogs"]


def test_yamllint_is_clean():
    yamllint = os.path.join(os.path.dirname(sys.executable), "yamllint")
    argv = [yamllint] if os.path.exists(yamllint) else [sys.executable, "-m", "yamllint"]
    proc = subprocess.run(
        argv + ["-s", "-f", "parsable"] + FOLDERS + ["galaxy.yml", ".yamllint"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
