"""The smoke test of one `make test-matrix` cell: examples/demo.yaml on three lab ships, through the
FQCN playbooks of the collection as users get it (the tarball of `ansible-galaxy collection build`,
installed with `ansible-galaxy collection install` into a collections path of its own), run by the
ansible-core installed next to this Python.

    python tests/matrix/smoke.py --first-ship 30     # ships 30-32 (made with lab.sh up 30-32)

start, start again (changed=0), status (-e output=json: every instance running, no drift), stop,
clean; after each, what the ships hold is checked with the Docker API. Deprecation warnings are on
(ANSIBLE_DEPRECATION_WARNINGS=true), each with the traceback of the call that is deprecated; one whose
message or traceback names this collection fails the test, others are listed.
The last line is `smoke: passed (...)` or `smoke: FAILED: ...`; the exit code says the same.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from helpers.lab import Lab, LabError, missing_prerequisites  # noqa: E402

BIN = Path(sys.executable).parent
INSTANCES = ["zk-1", "zk-2", "zk-3", "kafka-1", "kafka-2", "kafka-3", "web-1", "web-2"]
DEPRECATION = "[DEPRECATION WARNING]"


class SmokeFailure(Exception):
    pass


def run(argv, cwd, env, timeout=300):
    proc = subprocess.run(
        [str(a) for a in argv],
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def deprecations(text):
    """Each [DEPRECATION WARNING] of an output with what continues it: its Origin lines and, with
    ANSIBLE_DISPLAY_TRACEBACK=deprecated, the traceback after a blank line (up to its Message line),
    which shows the plugin whose call is deprecated."""
    found, block, state = [], None, None
    for line in text.splitlines():
        if line.startswith(DEPRECATION):
            block, state = [line], "message"
            found.append(block)
        elif state == "message" and line.strip() and not line.startswith("["):
            block.append(line)
        elif state == "message" and not line.strip():
            state = "gap"
        elif state == "gap" and line.startswith("Traceback"):
            block.append(line)
            state = "traceback"
        elif state == "traceback":
            block.append(line)
            if line.startswith("Message:"):
                state = None
        else:
            state = None
    return ["\n".join(b) for b in found]


def ours(warning):
    return "maestro.ng" in warning or "ansible_collections/maestro/ng" in warning


def recap_changed(out):
    found = re.findall(r"^localhost\s*:.*\bchanged=(\d+)", out, re.M)
    if not found:
        raise SmokeFailure("no PLAY RECAP line for localhost")
    return int(found[-1])


def demo_on(ships, path):
    """examples/demo.yaml with its three ships moved to the given lab ships."""
    env = yaml.safe_load((REPO / "examples" / "demo.yaml").read_text())
    for name, ship in zip(sorted(env["ships"]), ships):
        env["ships"][name]["ip"] = ship["ip"]
    path.write_text(yaml.safe_dump(env, sort_keys=False))
    return path


def containers(lab):
    """{name: running?} for every container on the lab's ships."""
    found = {}
    for k in range(1, len(lab.ships) + 1):
        for c in lab.client(k, timeout=20).containers(all=True):
            found[c["Names"][0].lstrip("/")] = c["State"] == "running"
    return found


class Smoke:
    def __init__(self, lab, top):
        self.lab = lab
        self.top = top
        self.others = []  # deprecation warnings that are not this collection's
        self.env = None
        self.demo = None

    def install(self):
        base = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        (self.top / "empty.cfg").write_text("[defaults]\n")
        base.update(
            ANSIBLE_CONFIG=str(self.top / "empty.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="true",
            ANSIBLE_DISPLAY_TRACEBACK="deprecated,deprecated_value",
        )
        rc, out, err = run(
            [BIN / "ansible-galaxy", "collection", "build", REPO, "--output-path", self.top / "dist"], self.top, base
        )
        self.check_output("ansible-galaxy collection build", out + err)
        tarballs = sorted((self.top / "dist").glob("maestro-ng-*.tar.gz"))
        if rc != 0 or len(tarballs) != 1:
            raise SmokeFailure("ansible-galaxy collection build failed:\n" + out + err)
        cols = self.top / "cols"
        rc, out, err = run(
            [BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", cols, tarballs[0]],
            self.top,
            base,
        )
        self.check_output("ansible-galaxy collection install", out + err)
        if rc != 0 or not (cols / "ansible_collections" / "maestro" / "ng" / "MANIFEST.json").is_file():
            raise SmokeFailure("ansible-galaxy collection install failed:\n" + out + err)
        user = self.top / "user"
        user.mkdir()
        (user / "ansible.cfg").write_text("[defaults]\nlocalhost_warning = false\n")
        # The collection's own stdout callback, as docs/docsite/rst/output.rst tells users to select it.
        self.env = dict(
            base,
            ANSIBLE_CONFIG=str(user / "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=str(cols),
            ANSIBLE_STDOUT_CALLBACK="maestro.ng.maestro",
        )
        self.demo = demo_on(self.lab.ships, user / "demo.yaml")
        return tarballs[0].name

    def check_output(self, what, text):
        for warning in deprecations(text):
            if ours(warning):
                raise SmokeFailure("%s: a deprecation warning names maestro.ng:\n%s" % (what, warning))
            self.others.append(warning)

    def playbook(self, name, *extra):
        started = time.monotonic()
        argv = [BIN / "ansible-playbook", "maestro.ng." + name, "-e", "env=" + self.demo.name, *extra]
        rc, out, err = run(argv, self.demo.parent, self.env)
        self.check_output(name, out + err)
        if rc != 0:
            raise SmokeFailure("maestro.ng.%s failed (exit %d):\n%s%s" % (name, rc, out[-4000:], err[-4000:]))
        print("  %-7s ok in %.1fs" % (name, time.monotonic() - started), flush=True)
        return out

    def expect(self, what, want, got):
        if want != got:
            raise SmokeFailure("%s: expected %r, got %r" % (what, want, got))

    def run_all(self):
        out = self.playbook("start")
        self.expect("start: changed", 1, recap_changed(out))
        self.expect("after start: running", dict.fromkeys(INSTANCES, True), containers(self.lab))

        out = self.playbook("start")
        self.expect("start again: changed", 0, recap_changed(out))

        rows = json.loads(self.playbook("status", "-e", "output=json"))
        self.expect(
            "status: state, drift",
            {n: ("running", []) for n in INSTANCES},
            {r["instance"]: (r["state"], r["drift"]) for r in rows},
        )

        out = self.playbook("stop")
        self.expect("stop: changed", 1, recap_changed(out))
        self.expect("after stop: running", dict.fromkeys(INSTANCES, False), containers(self.lab))

        out = self.playbook("clean")
        self.expect("clean: changed", 1, recap_changed(out))
        self.expect("after clean: containers", {}, containers(self.lab))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--first-ship", type=int, required=True, help="the first of the three lab ships to use")
    args = parser.parse_args()
    started = time.monotonic()
    reason = missing_prerequisites()
    if reason:
        if os.environ.get("MAESTRO_REQUIRE_LAB") == "1":
            print("smoke: FAILED: the Docker lab cannot run (MAESTRO_REQUIRE_LAB=1): " + reason)
            return 1
        print("smoke: skipped: the Docker lab cannot run: " + reason)
        return 0
    lab = Lab(first=args.first_ship)
    try:
        lab.up(3)
        lab.reset()
        with tempfile.TemporaryDirectory(prefix="maestro-smoke.") as top:
            smoke = Smoke(lab, Path(top))
            tarball = smoke.install()
            print(
                "  %s installed; examples/demo.yaml on %s" % (tarball, ", ".join(s["name"] for s in lab.ships)),
                flush=True,
            )
            smoke.run_all()
    except (SmokeFailure, LabError, subprocess.TimeoutExpired) as exc:
        print("smoke: FAILED: %s" % exc)
        return 1
    for warning in smoke.others:
        print("  (not ours) " + warning.splitlines()[0])
    print(
        "smoke: passed (start, start again changed=0, status, stop, clean; %d deprecation warnings, none ours)"
        " in %.0fs" % (len(smoke.others), time.monotonic() - started)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
