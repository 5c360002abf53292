"""The changelog: valid fragments, and CHANGELOG.md generated from changelogs/changelog.yaml."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(os.path.dirname(sys.executable), "antsibull-changelog")


def run(*args):
    return subprocess.run(
        [TOOL] + list(args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )


def test_fragments_and_changelog_yaml_pass_lint():
    proc = run("lint")
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout


def test_changelog_md_is_generated(tmp_path):
    # `make changelog` writes CHANGELOG.md; a hand edit (or a forgotten regeneration) shows here.
    out = tmp_path / "CHANGELOG.md"
    proc = run("generate", "--output", str(out), "--output-format", "md")
    assert proc.returncode == 0, proc.stdout
    with open(os.path.join(REPO, "CHANGELOG.md"), encoding="utf-8") as handle:
        assert out.read_text(encoding="utf-8") == handle.read(), "CHANGELOG.md is not generated: run make changelog"
