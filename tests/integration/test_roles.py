"""The inventory plugin and the roles, used from a user's own playbook in another folder."""

from helpers.envs import ansible_playbook, inspect_all, running, started_at, three_levels, write_env

SITE = """\
- hosts: zookeeper
  gather_facts: false
  roles: [{role: maestro.ng.service, maestro_service: zookeeper}]
- hosts: kafka
  gather_facts: false
  roles: [{role: maestro.ng.service, maestro_service: kafka}]
"""

WHOLE = """\
- hosts: localhost
  gather_facts: false
  roles:
    - role: maestro.ng.environment
      maestro_env: %s
      maestro_state: "{{ state }}"
"""


def run_user_playbook(folder, *args):
    return ansible_playbook(*args, cwd=folder)


def recap_changed(output):
    return sum(
        int(part.split("=")[1])
        for line in output.splitlines()
        if "changed=" in line
        for part in line.split()
        if part.startswith("changed=")
    )


def test_service_role_over_the_inventory_plugin(clean_lab, tmp_path):
    path = write_env(tmp_path, three_levels(clean_lab, name="roletest"))
    (tmp_path / "site.yml").write_text(SITE)
    rc, out = run_user_playbook(tmp_path, "-i", str(path), "site.yml")
    assert rc == 0, out
    found = inspect_all(clean_lab)
    assert all(running(found, ["zk-1", "zk-2", "zk-3", "kafka-1", "kafka-2", "kafka-3"]).values())
    assert "web-1" not in found and "web-2" not in found
    env = dict(e.split("=", 1) for e in found["kafka-2"]["Config"]["Env"])
    assert env["ZOOKEEPER_ZK_3_HOST"] == clean_lab.ships[2]["ip"]
    assert env["KAFKA_KAFKA_2_BROKER_INTERNAL_PORT"] == "9092"
    # kafka started after every zookeeper: the plays run in the file's order.
    zk_last = max(started_at(found, n) for n in ("zk-1", "zk-2", "zk-3"))
    assert all(started_at(found, n) > zk_last for n in ("kafka-1", "kafka-2", "kafka-3"))

    rc, out = run_user_playbook(tmp_path, "-i", str(path), "site.yml")
    assert rc == 0, out
    assert recap_changed(out) == 0, out
    assert {n: c["Id"] for n, c in inspect_all(clean_lab).items()} == {n: c["Id"] for n, c in found.items()}


def test_environment_role_from_a_user_playbook(clean_lab, tmp_path):
    path = write_env(tmp_path, three_levels(clean_lab, name="roletest"))
    (tmp_path / "whole.yml").write_text(WHOLE % path)
    rc, out = run_user_playbook(tmp_path, "whole.yml", "-e", "state=started")
    assert rc == 0, out
    assert "web: 2/2 started" in out
    found = inspect_all(clean_lab)
    assert all(c["State"]["Running"] for c in found.values()) and len(found) == 8
    rc, out = run_user_playbook(tmp_path, "whole.yml", "-e", "state=stopped")
    assert rc == 0, out
    assert not any(c["State"]["Running"] for c in inspect_all(clean_lab).values())
