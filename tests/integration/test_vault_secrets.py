"""ansible-vault secrets in an environment file (README "Secrets"), run as a user runs them.

An env value and the registry password are inline `!vault` values and an `envfile` is
encrypted whole, against the real registry with auth (test_registry.py's). The containers get
the clear values; every byte the runs write (stdout and stderr at -vvv, the plan file, the
audit trail, `ansible-inventory --list`, the maestro command's output, dump and JSON) is
searched for them. A wrong or missing password fails before any change, naming file, line and key.
"""

import json
import subprocess
import uuid

from helpers.envs import REPO, inspect_all, playbook, ship_name, ships_of
from test_cli import maestro
from test_registry import PATH, USER, forget, reg  # noqa: F401  # pylint: disable=unused-import  # reg: a fixture
from test_roles import recap_changed, run_user_playbook

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_DIGEST,
    config_digest,
    desired_config,
)
from ansible_collections.maestro.ng.plugins.module_utils.model import environment

VAULT = REPO / ".venv" / "bin" / "ansible-vault"
INVENTORY = REPO / ".venv" / "bin" / "ansible-inventory"
PASSWORD = "vault-pw-" + uuid.uuid4().hex[:8]
DB = "Db-secret-" + uuid.uuid4().hex[:12]  # distinctive, so any leak is found
DB_NEXT = "Db-next-" + uuid.uuid4().hex[:12]
FROM_FILE = "Envfile-secret-" + uuid.uuid4().hex[:12]
KEEP_RUNNING = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
SITE = "- hosts: app\n  gather_facts: false\n  roles: [{role: maestro.ng.service, maestro_service: app}]\n"


def encrypt_string(folder, value, name):
    out = subprocess.run(
        [str(VAULT), "encrypt_string", "--vault-password-file", str(folder / "pass"), value, "--name", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out[out.index(name) :].rstrip()


def indented(block, spaces):
    return "\n".join(" " * spaces + line for line in block.splitlines())


def write_vaulted_env(lab, folder, host, db_value, registry_password):
    """env.yaml: app-1 (ship 1) and app-2 (ship 2) from the registry; DB_PASSWORD and the registry
    password inline !vault values, app.env encrypted whole; an audit log."""
    (folder / "pass").write_text(PASSWORD + "\n")
    (folder / "app.env").write_text("FROM_FILE=%s\nMODE=prod\n" % FROM_FILE)
    subprocess.run(
        [str(VAULT), "encrypt", "--vault-password-file", str(folder / "pass"), str(folder / "app.env")],
        capture_output=True,
        check=True,
    )
    ships = "\n".join(
        "  %s: {ip: %s, docker_port: %s, timeout: 20}" % (name, ship["ip"], ship["docker_port"])
        for name, ship in ships_of(lab).items()
    )
    text = f"""\
__maestro: {{schema: 2}}
name: vaulted
audit:
  - {{type: log, file: audit.log}}
registries:
  lab:
    registry: https://{host}/v2/
    username: {USER}
{indented(encrypt_string(folder, registry_password, "password"), 4)}
ships:
{ships}
services:
  app:
    image: {host}/{PATH}
    envfile: app.env
    env:
{indented(encrypt_string(folder, db_value, "DB_PASSWORD"), 6)}
      PLAIN: visible
    instances:
      app-1: {{ship: {ship_name(lab, 1)}, command: {json.dumps(KEEP_RUNNING)}, stop_timeout: 1}}
      app-2: {{ship: {ship_name(lab, 2)}, command: {json.dumps(KEEP_RUNNING)}, stop_timeout: 1}}
"""
    path = folder / "env.yaml"
    path.write_text(text)
    return path


def env_of(found, name):
    return dict(item.split("=", 1) for item in found[name]["Config"]["Env"])


def never_shown(texts, *secrets):
    for label, text in texts.items():
        for secret in secrets:
            assert secret not in text, "%s shows a secret:\n%s" % (label, text)


def test_vaulted_values_reach_the_containers_and_no_output(reg, lab, tmp_path):  # noqa: F811
    registry, _proxy = reg
    lab.reset()
    forget(lab, "%s/%s" % (registry.host, PATH))
    path = write_vaulted_env(lab, tmp_path, registry.host, DB, registry.password)
    vault = ("--vault-password-file", str(tmp_path / "pass"))
    secrets = (DB, DB_NEXT, FROM_FILE, registry.password, PASSWORD)
    texts = {}

    # No password, then a wrong one: one line naming the file, the line and the key, nothing done.
    line = path.read_text().splitlines().index("    password: !vault |") + 1
    none = playbook("start", path)
    where = "env.yaml:%d: registries.lab.password: vault-encrypted" % line
    assert none.rc != 0 and where + ", but no vault password was given" in none.output, none
    (tmp_path / "wrong").write_text("not-it\n")
    wrong = playbook("start", path, "--vault-password-file", str(tmp_path / "wrong"))
    assert wrong.rc != 0 and where + ", and no vault password given decrypts it" in wrong.output, wrong
    assert inspect_all(lab) == {}

    # A plan made while the ships lack the image: applying it pulls the image first, as it says it would.
    first_plan = tmp_path / "first-plan.json"
    checked = playbook("start", path, "--check", "--diff", "-vvv", *vault, plan=str(first_plan))
    assert checked.rc == 0, checked
    started = playbook("start", path, "--diff", "-vvv", *vault, apply_plan=str(first_plan))
    assert started.rc == 0, started
    found = inspect_all(lab)
    for name in ("app-1", "app-2"):
        variables = env_of(found, name)
        assert (variables["DB_PASSWORD"], variables["FROM_FILE"], variables["PLAIN"]) == (DB, FROM_FILE, "visible")
    # The digest label is keyed: not the plain SHA-256 of the settings, which would let DB be guessed.
    spec = environment.load(str(path), vault=_vault(tmp_path)).instances["app-1"]
    assert found["app-1"]["Config"]["Labels"][LABEL_DIGEST] == config_digest(desired_config(spec), spec)
    assert found["app-1"]["Config"]["Labels"][LABEL_DIGEST] != config_digest(
        desired_config(spec), dict(spec, secret_digests={})
    )
    again = playbook("start", path, *vault)
    assert again.rc == 0 and again.recap["changed"] == 0, again
    status = playbook("status", path, "-vvv", *vault)
    assert status.rc == 0, status

    # A changed secret is drift, named without either value; its plan, applied, replaces app-1.
    write_vaulted_env(lab, tmp_path, registry.host, DB_NEXT, registry.password)
    plan = tmp_path / "plan.json"
    drift = playbook("start", path, "--check", "--diff", "-vvv", *vault, plan=str(plan))
    assert drift.rc == 0 and "env.DB_PASSWORD changed" in drift.output, drift
    applied = playbook("start", path, "-vvv", *vault, apply_plan=str(plan))
    assert applied.rc == 0, applied
    assert {env_of(c, name)["DB_PASSWORD"] for name, c in [(n, inspect_all(lab)) for n in ("app-1", "app-2")]} == {
        DB_NEXT
    }

    # The inventory keeps vault values; site.yml converges a change through the service role.
    write_vaulted_env(lab, tmp_path, registry.host, DB, registry.password)
    listed = subprocess.run(
        [str(INVENTORY), "-i", str(path), "--list", *vault],
        cwd=str(tmp_path),
        env=_ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0 and "__ansible_vault" in listed.stdout, listed.stdout + listed.stderr
    (tmp_path / "site.yml").write_text(SITE)
    rc, site = run_user_playbook(tmp_path, "-i", str(path), "site.yml", "--diff", "-vvv", *vault)
    assert rc == 0 and recap_changed(site) == 2 and "env.DB_PASSWORD changed" in site, site
    assert env_of(inspect_all(lab), "app-2")["DB_PASSWORD"] == DB
    rc, site_again = run_user_playbook(tmp_path, "-i", str(path), "site.yml", "-vvv", *vault)
    assert rc == 0 and recap_changed(site_again) == 0, site_again

    # The maestro command, in process: its vault options, dump, JSON and a diff.
    write_vaulted_env(lab, tmp_path, registry.host, DB_NEXT, registry.password)
    command_runs = {
        "maestro start --diff": maestro(tmp_path, "-f", "env.yaml", "start", "--diff", *vault),
        "maestro status": maestro(tmp_path, "-f", "env.yaml", "status", "-F", *vault),
        "maestro dump": maestro(tmp_path, "-f", "env.yaml", "dump", "-c", *vault),
        "maestro json": maestro(tmp_path, "-f", "env.yaml", "start", "-o", "json", *vault),
        "maestro deptree": maestro(tmp_path, "-f", "env.yaml", "deptree", *vault),
    }
    assert command_runs["maestro start --diff"][0] == 0, command_runs["maestro start --diff"]
    assert "env.DB_PASSWORD changed" in command_runs["maestro start --diff"][1]
    assert env_of(inspect_all(lab), "app-1")["DB_PASSWORD"] == DB_NEXT
    assert json.loads(command_runs["maestro dump"][1])["instances"]["app-1"]["env"]["DB_PASSWORD"] == "********"
    rc, wrong_cli = maestro(tmp_path, "-f", "env.yaml", "stop", "--vault-password-file", str(tmp_path / "wrong"))
    assert rc != 0 and where in wrong_cli, wrong_cli
    assert all(c["State"]["Running"] for c in inspect_all(lab).values())

    texts.update(
        {run.argv[1] + " " + " ".join(run.argv[4:]): run.output for run in (checked, started, status, drift, applied)}
    )
    texts.update(
        {
            "plan file": plan.read_text() + first_plan.read_text(),
            "audit trail": (tmp_path / "audit.log").read_text(),
            "ansible-inventory --list": listed.stdout + listed.stderr,
            "site.yml -vvv": site + site_again,
            "wrong password": none.output + wrong.output + wrong_cli,
        }
    )
    texts.update({label: out for label, (_rc, out) in command_runs.items()})
    never_shown(texts, *secrets)
    lab.reset()


def _vault(folder):
    from ansible.parsing.vault import VaultLib, VaultSecret

    from ansible_collections.maestro.ng.plugins.module_utils.model.vault import Vault

    return Vault(lambda: VaultLib([("default", VaultSecret(PASSWORD.encode()))]))


def _ansible_env():
    import os

    return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), PYTHONWARNINGS="ignore")
