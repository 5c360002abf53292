"""meta/execution-environment.yml, bindep.txt and requirements.txt make a valid ansible-builder build
context: `ansible-builder create` of the definition README.md gives users succeeds offline, and the
introspection the image build runs finds the collection's Python and system requirements.

ansible-builder is in every venv the tests run in (requirements-dev.txt, tests/matrix/ansible-*.txt);
where it is missing this test skips, except under the matrix (MAESTRO_MATRIX=1), where that fails it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUILDER = BIN / "ansible-builder"


def readme_definition(tarball):
    """The execution-environment.yml of README.md's 'Installing the collection', for this tarball."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```yaml\n(# execution-environment\.yml\n.*?)```", text, re.S)
    assert found, "README.md has no execution-environment.yml example"
    return re.sub(r"maestro-ng-[0-9.]+\.tar\.gz", tarball, found.group(1))


def run(argv, cwd, env):
    proc = subprocess.run(
        [str(a) for a in argv],
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (argv, proc.returncode, proc.stdout, proc.stderr)
    assert "outdated base image" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.skipif(
    not BUILDER.exists() and os.environ.get("MAESTRO_MATRIX") != "1",
    reason="execution environment: no ansible-builder next to this Python (make venv installs it)",
)
def test_ansible_builder_context_offline(tmp_path):
    assert BUILDER.exists(), "ansible-builder is not installed next to %s (requirements-dev.txt)" % sys.executable
    # Offline: anything that tries the network goes to a closed port instead.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(tmp_path / "empty.cfg"),
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/",
    )
    (tmp_path / "empty.cfg").write_text("[defaults]\n")
    run([BIN / "ansible-galaxy", "collection", "build", ROOT, "--output-path", tmp_path], tmp_path, env)
    tarball = [p.name for p in tmp_path.glob("maestro-ng-*.tar.gz")]
    assert len(tarball) == 1, tarball

    (tmp_path / "execution-environment.yml").write_text(readme_definition(tarball[0]))
    run([BUILDER, "create", "--file", "execution-environment.yml", "--context", "context"], tmp_path, env)
    build = tmp_path / "context" / "_build"
    assert (tmp_path / "context" / "Containerfile").is_file() or (tmp_path / "context" / "Dockerfile").is_file()
    # The image build installs the collections of _build/requirements.yml from /build (_build's copy):
    # the tarball must be in the context, where requirements.yml says.
    wanted = yaml.safe_load((build / "requirements.yml").read_text())["collections"]
    assert [c.get("type") for c in wanted] == ["file"], wanted
    assert (build / wanted[0]["name"]).is_file(), "%s is not in the build context" % wanted[0]["name"]

    # What the build then does with the installed collection: introspect.py of this context reads
    # its meta/execution-environment.yml, requirements.txt and bindep.txt.
    cols = tmp_path / "cols"
    run(
        [
            BIN / "ansible-galaxy",
            "collection",
            "install",
            "--offline",
            "--no-deps",
            "-p",
            cols,
            build / wanted[0]["name"],
        ],
        tmp_path,
        env,
    )
    run(
        [
            sys.executable,
            build / "scripts" / "introspect.py",
            "introspect",
            cols,
            "--write-pip",
            tmp_path / "pip.txt",
            "--write-bindep",
            tmp_path / "bindep.txt",
        ],
        tmp_path,
        env,
    )
    pip = (tmp_path / "pip.txt").read_text()
    bindep = (tmp_path / "bindep.txt").read_text()
    # ansible-core and PyYAML come with the base image (ansible-builder leaves them out).
    for requirement in ("docker>=7.0,<8", "Jinja2>=3.1"):
        assert requirement + "  # from collection maestro.ng" in pip, pip
    for package in ("openssh-client [platform:dpkg]", "openssh-clients [platform:rpm]"):
        assert package + "  # from collection maestro.ng" in bindep, bindep
