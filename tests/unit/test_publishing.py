"""The collection as its publishers' tools see it, offline: Galaxy's importer (Automation Hub's required tags
checked too) accepts the built tarball, antsibull-docs finds nothing wrong in its documentation, and its docs
site builds without a warning of its own.

The tools are pinned in requirements-dev.txt; make test's venv has them. The matrix's venvs do not (these
checks are of the collection, not of an ansible-core version), and ansible-test units has no checkout.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    os.environ.get("MAESTRO_MATRIX") == "1" or not (ROOT / "collections").is_dir(),
    reason="publishing checks: make test's venv runs them, on the checkout",
)


def run(argv, cwd, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        ANSIBLE_CONFIG=str(cwd / "empty.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        PYTHONWARNINGS="ignore:DSA is deprecated",
        # Offline: anything that tries the network goes to a closed port instead.
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        **extra,
    )
    (cwd / "empty.cfg").write_text("[defaults]\n")
    proc = subprocess.run(
        [str(a) for a in argv], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_galaxy_importer_accepts_the_tarball(tmp_path):
    rc, out = run([BIN / "ansible-galaxy", "collection", "build", ROOT, "--output-path", tmp_path], tmp_path)
    assert rc == 0, out
    [tarball] = list(tmp_path.glob("maestro-ng-*.tar.gz"))
    rc, out = run(
        [BIN / "python", "-m", "galaxy_importer.main", tarball],
        tmp_path,
        GALAXY_IMPORTER_CHECK_REQUIRED_TAGS="true",  # Automation Hub's check
        GALAXY_IMPORTER_RUN_ANSIBLE_TEST="false",  # its default: ansible-test runs in make test's sanity step
        GALAXY_IMPORTER_TMP_ROOT_DIR=str(tmp_path),
    )
    assert rc == 0 and "ERROR" not in out, out
    assert "Loading role environment" in out and "Loading role service" in out, out


def test_antsibull_docs_lint_finds_nothing(tmp_path):
    rc, out = run(
        [BIN / "antsibull-docs", "lint-collection-docs", "--plugin-docs", "."],
        ROOT / "collections" / "ansible_collections" / "maestro" / "ng",
    )
    assert rc == 0, out


# With intersphinx off (offline), the references into Ansible's own docs that antsibull-docs writes on every
# plugin page cannot resolve; anything else is a warning of this collection's docs.
ANSIBLE_DOCS_REFERENCE = re.compile(
    r"WARNING: (undefined label: '(?!ansible_collections\.)[a-z_]+'|'envvar' reference target not found: ANSIBLE_\w+)"
)


def test_the_docs_site_builds_without_a_warning_of_its_own(tmp_path):
    site = tmp_path / "site"
    site.mkdir(mode=0o755)  # antsibull-docs wants it writable by its owner only
    rc, out = run([BIN / "antsibull-docs", "sphinx-init", "--use-current", "--dest-dir", site, "maestro.ng"], tmp_path)
    assert rc == 0, out
    with open(site / "conf.py", "a", encoding="utf-8") as conf:
        conf.write("\nintersphinx_mapping = {}  # offline\n")
    rc, out = run(["bash", site / "build.sh"], tmp_path)
    warnings = [line for line in out.splitlines() if "WARNING" in line or "ERROR" in line]
    own = [line for line in warnings if not ANSIBLE_DOCS_REFERENCE.search(line)]
    assert own == [], "\n".join(own)
    guides = sorted(path.stem for path in (ROOT / "docs" / "docsite" / "rst").glob("*.rst"))
    built = site / "build" / "html" / "collections" / "maestro" / "ng"
    assert sorted(path.stem for path in (built / "docsite").glob("*.html")) == guides
    assert (built / "container_module.html").is_file() and (built / "maestro_inventory.html").is_file()
    shutil.rmtree(site / "build")
