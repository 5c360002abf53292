"""The `maestro` command (python -m maestro_cli) on the lab, run as a migrating user runs it:
from the folder of their environment file, with MaestroNG's arguments."""
import os
import re
import subprocess
import sys

import pytest
import yaml

from envs import IMAGE, REPO, inspect_all, running, serving, ship_name, ships_of, write_env

PYTHON = REPO / ".venv" / "bin" / "python"


def two_services(lab):
    """db (ship 1) <- app (ship 2): one instance each, no checks (quick)."""
    return {
        "__maestro": {"schema": 2},
        "name": "clitest",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "db": {"image": IMAGE, "env": {"PORT": 5432},
                   "instances": {"db-1": serving(ship_name(lab, 1), "sql", 5432, 35432, stop_timeout=1)}},
            "app": {"image": IMAGE, "requires": ["db"], "env": {"PORT": 8000},
                    "instances": {"app-1": serving(ship_name(lab, 2), "http", 8000, 38000, stop_timeout=1)}},
        },
    }


def maestro(folder, *args, stdin=None):
    """Run `python -m maestro_cli ARGS` in folder; (exit code, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PYTHONPATH=str(REPO), ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([str(PYTHON if PYTHON.exists() else sys.executable), "-m", "maestro_cli", *args],
                          cwd=str(folder), env=env, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180,
                          check=False)
    return proc.returncode, proc.stdout


def test_start_status_stop_from_the_users_folder(clean_lab, tmp_path):
    write_env(tmp_path, two_services(clean_lab), filename="maestro.yaml")
    rc, out = maestro(tmp_path, "start")                      # ./maestro.yaml by default
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": True}

    rc, out = maestro(tmp_path)                               # no command: status
    assert rc == 0, out
    rows = [line for line in out.splitlines() if "db-1" in line or "app-1" in line]
    assert len(rows) == 2 and all(re.search(r"\b(Up|running)\b", row) for row in rows), out

    # MaestroNG: named things only, unless -d
    rc, out = maestro(tmp_path, "-f", "maestro.yaml", "stop", "app")
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": False}


def test_environment_on_stdin(clean_lab, tmp_path):
    text = yaml.safe_dump(two_services(clean_lab))
    rc, out = maestro(tmp_path, "-f", "-", "start", "-d", "app", stdin=text)
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": True}
    rc, out = maestro(tmp_path, "-f", "-", "status", stdin=text)
    assert rc == 0 and "app-1" in out, out


def test_bad_file_fails_with_one_line(lab, tmp_path):
    model = two_services(lab)
    model["services"]["app"]["instances"]["app-1"]["ship"] = "nowhere"
    path = write_env(tmp_path, model, filename="bad.yaml")
    rc, out = maestro(tmp_path, "-f", path.name, "start")
    assert rc != 0, out
    errors = [line for line in out.splitlines() if "unknown ship 'nowhere'" in line]
    assert len(errors) == 1 and "bad.yaml" in errors[0], out

    rc, out = maestro(tmp_path, "-f", "missing.yaml", "status")
    assert rc == 1
    assert out.strip().splitlines() == [
        "maestro: cannot read environment file %s: no such file" % (tmp_path / "missing.yaml")]


@pytest.mark.parametrize("args", [["logs"], ["start", "-c", "x"]])
def test_bad_arguments(tmp_path, args):
    rc, out = maestro(tmp_path, *args)
    assert rc == 2 and "usage: maestro" in out
