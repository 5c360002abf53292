"""tests/lab/prereqs.sh, which `make test`, `make demo` and .ci/run run first.

Each run gets a PATH of its own: a folder with a link to every real tool except those a
test hides (so the script finds them missing), and a fake apt-get that records its calls
and "installs" the hidden tools again by linking them back. No real apt-get ever runs.
Only tools from /usr/bin are hidden: the script also looks in the sbin folders.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers.lab import REPO_ROOT, unavailable

SCRIPT = REPO_ROOT / "tests" / "lab" / "prereqs.sh"
NOBODY = 65534

FAKE_APT_GET = """#!/bin/sh
echo "$*" >> {log}
if [ "$1" = install ]; then
{relink}
fi
"""


class Sandbox:
    """A PATH folder without the hidden tools, with a fake apt-get that logs to `log`."""

    def __init__(self, hidden=()):
        self.root = Path(tempfile.mkdtemp(prefix="maestro-prereqs-"))
        self.root.chmod(0o755)  # also for the run as nobody
        self.bin = self.root / "bin"
        self.bin.mkdir(mode=0o755)
        self.log = self.root / "apt-get.log"
        real = {tool: shutil.which(tool) for tool in hidden}
        assert all(path and path.startswith("/usr/bin/") for path in real.values()), real
        relink = "\n".join("  ln -s %s %s" % (path, self.bin / tool) for tool, path in real.items())
        fake = self.bin / "apt-get"
        fake.write_text(FAKE_APT_GET.format(log=self.log, relink=relink or "  :"))
        fake.chmod(0o755)
        for folder in os.environ["PATH"].split(os.pathsep):
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                link = self.bin / name
                if name not in real and not os.path.lexists(link):
                    link.symlink_to(os.path.join(folder, name))

    def run(self, *args, user=None, **env):
        """prereqs.sh ARGS with this PATH (as `user` when given); the CompletedProcess."""
        argv = ["bash", str(SCRIPT), *args]
        if user is not None:
            argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
        environ = {k: v for k, v in os.environ.items() if k not in ("MAESTRO_REQUIRE_LAB", "LAB_BUSYBOX")}
        environ.update(env, PATH=str(self.bin), HOME=str(self.root))
        return subprocess.run(
            argv, env=environ, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False
        )

    def calls(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def sandbox():
    made = []

    def make(*hidden):
        made.append(Sandbox(hidden))
        return made[-1]

    yield make
    for box in made:
        box.remove()


@pytest.fixture
def as_root():
    if os.geteuid() != 0:
        unavailable("the Docker lab: tests/lab/prereqs.sh installs only as root")


def test_installs_what_is_missing_once_then_does_nothing(as_root, sandbox):
    box = sandbox("make", "docker-registry", "htpasswd", "ssh")
    first = box.run()
    assert first.returncode == 0, first
    assert box.calls() == [
        "update -qq",
        "install -y -qq --no-install-recommends make docker-registry apache2-utils openssh-client",
    ]
    assert first.stdout == (
        "prereqs: installing make docker-registry apache2-utils openssh-client (apt-get)\n"
        "prereqs: installed make docker-registry apache2-utils openssh-client\n"
    ), first

    second = box.run()
    assert second.returncode == 0, second
    assert len(box.calls()) == 2, box.calls()  # no apt-get at all this time
    assert second.stdout == (
        "prereqs: nothing to do for make test: every package is installed, the main dockerd "
        "answers and the test images exist\n"
    ), second
    assert second.stderr == ""


@pytest.mark.parametrize(
    "area, hidden, installed",
    [
        ("demo", ("docker-registry", "ssh", "flock"), "util-linux"),
        ("unit", ("docker-registry", "ssh", "flock", "make"), "make"),
    ],
)
def test_demo_and_unit_install_only_what_they_use(as_root, sandbox, area, hidden, installed):
    box = sandbox(*hidden)
    run = box.run(area)
    assert run.returncode == 0, run
    assert box.calls() == ["update -qq", "install -y -qq --no-install-recommends " + installed], run


def test_a_dynamic_busybox_is_not_enough_and_an_install_that_does_not_help_fails(as_root, sandbox):
    box = sandbox()
    run = box.run("demo", LAB_BUSYBOX="/bin/bash")  # what `busybox` (not -static) would be
    assert box.calls() == ["update -qq", "install -y -qq --no-install-recommends busybox-static"]
    assert run.returncode == 1, run
    assert "prereqs: still missing after apt-get install: busybox-static lab (busybox)" in run.stderr, run


def test_a_normal_user_gets_one_block_saying_what_is_missing_and_what_it_skips(sandbox):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        unavailable("the Docker lab: this test switches to the user nobody (root, setpriv)")
    box = sandbox("docker-registry", "ssh")
    run = box.run(user=NOBODY)
    assert run.returncode == 0 and box.calls() == [], run
    lines = run.stdout.splitlines()
    assert lines[0] == "prereqs: not root, so nothing is installed or started; missing, and what it skips:", run
    assert all(line.startswith("  ") for line in lines[1:]), run
    shown = {line.split("->")[0].strip(): line.split("->")[1].strip() for line in lines[1:-1]}
    assert shown["not root"] == "every lab test (tests/integration): the lab needs root", shown
    assert shown["docker-registry (docker-registry)"].startswith(
        "registry tests (tests/integration/test_registry.py"
    ), shown
    assert shown["openssh-client (ssh)"] == "SSH ship tests (tests/integration/test_ssh.py)", shown
    assert lines[-1].startswith("  as root, `make test` installs them: apt-get install "), run
    assert {"docker-registry", "openssh-client"} <= set(lines[-1].split()), run

    required = box.run(user=NOBODY, MAESTRO_REQUIRE_LAB="1")
    assert required.returncode == 1 and required.stdout == run.stdout, required
    assert "MAESTRO_REQUIRE_LAB=1: nothing may be skipped" in required.stderr
