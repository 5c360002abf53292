"""The collection as users get it: `ansible-galaxy collection build`, installed offline into a
folder of its own, then used from another folder with a config that is not the repository's."""

import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml
from helpers.envs import IMAGE, REPO, inspect_all, running, serving, ship_name, ships_of, write_env

BIN = REPO / ".venv" / "bin"

LOOKUP = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: The environment through the lookup, by its full name
      ansible.builtin.debug:
        msg: "instances={{ lookup('maestro.ng.environment', env).instances | list | sort | join(',') }}"
"""


def run(argv, cwd, env, timeout=180):
    proc = subprocess.run(
        [str(a) for a in argv],
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(tarball, collections folder, user folder, environ for the user's commands)."""
    top = tmp_path_factory.mktemp("packaging")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    base.update(
        ANSIBLE_NOCOLOR="1",
        PYTHONWARNINGS="ignore",
        ANSIBLE_CONFIG=str(top / "empty.cfg"),
        ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/",
    )
    (top / "empty.cfg").write_text("[defaults]\n")
    rc, out = run([BIN / "ansible-galaxy", "collection", "build", REPO, "--output-path", top / "dist"], top, base)
    assert rc == 0, out
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    tarball = top / "dist" / ("maestro-ng-%s.tar.gz" % version)
    assert tarball.is_file(), out
    cols = top / "cols"
    rc, out = run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", cols, tarball], top, base
    )
    assert rc == 0, out
    user = top / "user"
    user.mkdir()
    (user / "ansible.cfg").write_text("[defaults]\nlocalhost_warning = false\n")
    env = dict(base, ANSIBLE_COLLECTIONS_PATH=str(cols), ANSIBLE_CONFIG=str(user / "ansible.cfg"))
    return tarball, cols, user, env


def test_tarball_holds_the_collection_and_nothing_local(installed):
    tarball = installed[0]
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    parts = [set(name.split("/")) for name in names]
    for unwanted in (
        ".venv",
        ".git",
        "__pycache__",
        ".pytest_cache",
        "collections",
        "results",
        "build",
        "dist",
        "busybox",
    ):
        assert not [n for n, p in zip(names, parts) if unwanted in p], unwanted
    assert not [n for n in names if n.endswith((".pyc", ".tar.gz", ".egg-info"))]
    for wanted in (
        "README.md",
        "MANIFEST.json",
        "FILES.json",
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "requirements.txt",
        "bindep.txt",
        "plugins/modules/container.py",
        "plugins/lookup/environment.py",
        "plugins/inventory/maestro.py",
        "roles/environment/tasks/main.yml",
        "playbooks/start.yml",
        "playbooks/status.yml",
        "files/guestutils.py",
        "maestro_cli/cli.py",
        "playbooks/lab.yml",
        "files/lab/lab.sh",
        "plugins/callback/maestro.py",
    ):
        assert wanted in names, wanted


def test_ansible_doc_from_the_installed_copy(installed):
    dummy, cols, user, env = installed
    rc, out = run([BIN / "ansible-doc", "maestro.ng.container"], user, env)
    assert rc == 0, out
    assert "maestro.ng.container" in out and str(cols) in out, out
    rc, out = run([BIN / "ansible-doc", "-t", "callback", "maestro.ng.maestro"], user, env)
    assert rc == 0 and "output=json" in out and "ANSIBLE_STDOUT_CALLBACK" in out, out


def test_lookup_by_fqcn(lab, installed):
    user, env = installed[2:]
    path = write_env(user, two_instances(lab), filename="lookup.yaml")
    (user / "lookup.yml").write_text(LOOKUP)
    rc, out = run([BIN / "ansible-playbook", "lookup.yml", "-e", "env=%s" % path.name], user, env)
    assert rc == 0, out
    assert "instances=pkg-1,pkg-2" in out, out


def two_instances(lab):
    return {
        "__maestro": {"schema": 2},
        "name": "pkgtest",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "pkg": {
                "image": IMAGE,
                "env": {"PORT": 8000},
                "instances": {
                    "pkg-1": serving(ship_name(lab, 1), "http", 8000, 38100, stop_timeout=1),
                    "pkg-2": serving(ship_name(lab, 2), "http", 8000, 38100, stop_timeout=1),
                },
            }
        },
    }


def test_playbooks_by_fqcn_on_the_lab(clean_lab, installed):
    dummy, cols, user, env = installed
    path = write_env(user, two_instances(clean_lab), filename="pkg.yaml")
    rc, out = run([BIN / "ansible-playbook", "maestro.ng.status", "-e", "env=%s" % path], user, env)
    assert rc == 0, out
    assert "pkg-1" in out and "pkg-2" in out, out
    # the installed copy's stdout callback, as docs/docsite/rst/output.rst tells users to select it: raw JSON
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "maestro.ng.status", "-e", "env=%s" % path, "-e", "output=json"],
        cwd=str(user),
        env=dict(env, ANSIBLE_STDOUT_CALLBACK="maestro.ng.maestro"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [row["instance"] for row in json.loads(proc.stdout)] == ["pkg-1", "pkg-2"], proc.stdout + proc.stderr
    rc, out = run([BIN / "ansible-playbook", "maestro.ng.start", "-e", "env=%s" % path], user, env)
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["pkg-1", "pkg-2"]) == {"pkg-1": True, "pkg-2": True}

    # the maestro command shipped in the installed collection runs that copy's playbooks
    root = cols / "ansible_collections" / "maestro" / "ng"
    cli_env = dict(env, PYTHONPATH=str(root))
    del cli_env["ANSIBLE_COLLECTIONS_PATH"]
    rc, out = run([BIN / "python", "-m", "maestro_cli", "-f", path.name, "status"], user, cli_env)
    assert rc == 0, out
    assert "pkg-1" in out and "pkg-2" in out, out


def test_the_pip_installed_command_runs_the_engine_in_process(clean_lab, tmp_path):
    """`pip install .` without the collection: the wheel carries the engine, so `maestro` runs in its own
    process (no ansible-playbook anywhere: a playbook run would fail)."""
    source = tmp_path / "source"
    shutil.copytree(REPO / "maestro_cli", source / "maestro_cli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        REPO / "plugins" / "module_utils",
        source / "plugins" / "module_utils",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON"))}
    rc, out = run(
        [BIN / "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", source], tmp_path, env
    )
    assert rc == 0, out
    [wheel] = list((tmp_path / "dist").glob("maestro_ng_ansible-*.whl"))
    rc, out = run([BIN / "pip", "install", "--no-deps", "--target", tmp_path / "site", wheel], tmp_path, env)
    assert rc == 0, out

    user = tmp_path / "user"
    user.mkdir()
    path = write_env(user, two_instances(clean_lab), filename="maestro.yaml")
    env.update(PYTHONPATH=str(tmp_path / "site"), MAESTRO_ANSIBLE_PLAYBOOK="/nonexistent/ansible-playbook")
    for argv, word in ((["start"], "start: 2 instances on 2 ships: 2 created"), (["status", "-F"], " up ")):
        rc, out = run([BIN / "python", "-m", "maestro_cli", "-f", path.name] + argv, user, env)
        assert rc == 0 and word in out, out
    assert running(inspect_all(clean_lab), ["pkg-1", "pkg-2"]) == {"pkg-1": True, "pkg-2": True}
    rc, out = run([BIN / "python", "-m", "maestro_cli", "-f", path.name, "dump", "pkg-1"], user, env)
    assert rc == 0 and json.loads(out)["instances"]["pkg-1"]["ship"] == ship_name(clean_lab, 1), out
