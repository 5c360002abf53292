"""The lines a user reads (plugins/module_utils/run/report.py) and the status table's colouring."""

import re

from ansible_collections.maestro.ng.plugins.module_utils.model.schedule import Step
from ansible_collections.maestro.ng.plugins.module_utils.run.report import (
    PORT_UDP,
    outcome,
    ports_cell,
    result_document,
    state_tone,
    status_summary,
    status_table,
    status_tone,
    step_end_lines,
    summary_line,
)


def result(actions=(), changed=True, failed=False, **extra):
    return dict(
        {
            "instance": "x-1",
            "service": "x",
            "ship": "vm1",
            "changed": changed,
            "failed": failed,
            "actions": list(actions),
            "reasons": [],
        },
        **extra,
    )


def row(instance, state, status="", drift=None, ship="vm1"):
    return {
        "service": instance.split("-")[0],
        "instance": instance,
        "ship": ship,
        "image": "reg/app:1.0",
        "image_id": "0123456789ab" if state != "absent" else None,
        "state": state,
        "status": status,
        "ports": ["http:8080->80/tcp"],
        "drift": drift,
    }


def test_outcome_names_what_happened_to_an_instance():
    assert outcome(result(["created", "started"])) == "created"
    assert (
        outcome(result(["stopped", "removed (image changed)", "created", "started"], reasons=["image changed"]))
        == "recreated"
    )
    assert outcome(result(["stopped", "started"])) == "restarted"
    assert outcome(result(["started"])) == "started"
    assert outcome(result(["stopped"])) == "stopped"
    assert outcome(result(["killed"])) == "killed"
    assert outcome(result(["stopped", "removed"])) == "removed"
    assert outcome(result(["pulled maestro-test/busybox:latest"])) == "pulled"
    assert outcome(result(["would create", "would start"])) == "created"  # check mode
    assert outcome(result(["would stop", "would remove (env.X changed)", "would create", "would start"])) == "recreated"
    assert outcome(result([], changed=False)) == "unchanged"
    assert outcome(result(["started"], failed=True)) == "failed"
    assert outcome(result([], changed=False, skipped=True)) == "skipped"


def test_summary_line_counts_outcomes_in_a_fixed_order():
    results = [result(["created", "started"])] * 6 + [result([], changed=False)] * 3
    line = summary_line("started", results, 2.14, {"vm1", "vm2", "vm3"})
    assert line == "start: 9 instances on 3 ships: 6 created, 3 unchanged in 2.1s"
    assert line.tone == "changed"
    line = summary_line("stopped", [result([], changed=False)], 0.04, {"vm1"})
    assert line == "stop: 1 instance on 1 ship: 1 unchanged in 0.0s" and line.tone == "ok"
    line = summary_line(
        "started",
        [result(["would create", "would start"]), result(["started"], failed=True)],
        0.5,
        {"vm1"},
        check_mode=True,
    )
    assert line == "start (check mode): 2 instances on 1 ship: 1 would be created, 1 failed in 0.5s"
    assert line.tone == "failed"
    assert summary_line("pulled", [], 0, set()) == "pull: 0 instances on 0 ships: nothing selected in 0.0s"


def test_oneshots_show_as_done_or_failed():
    rows = [
        row("db-1", "running", "Up 5 minutes"),
        row("migrate-1", "exited", "done (exit 0, 3 minutes ago)"),
        row("seed-1", "exited", "failed (exit 2, 1 minute ago)"),
    ]
    assert [state_tone(r) for r in rows] == ["ok", "ok", "failed"]
    assert status_summary(rows, 0) == "status: 3 instances on 1 ship: 1 running, 1 done, 1 failed in 0.0s"


def test_status_summary_and_tone():
    rows = [
        row("db-1", "running", "Up 5 minutes"),
        row("app-1", "exited", "Exited (0) 1 minute ago"),
        row("app-2", "absent", "down", ship="vm2"),
    ]
    line = status_summary(rows, 0.123)
    assert line == "status: 3 instances on 2 ships: 1 running, 1 stopped, 1 absent in 0.1s"
    assert line.tone == "changed"
    assert status_tone([row("db-1", "running", drift=[])]) == "ok"
    assert status_tone([row("db-1", "running", drift=["env.X changed"])]) == "changed"
    down = dict(row("db-2", "unknown", "host down", ship="vm3"))
    assert status_summary(rows[:1] + [down], 0).startswith(
        "status: 2 instances on 2 ships: 1 running, 1 on a ship down"
    )
    assert status_tone([down]) == "failed"
    drifted = status_summary([row("db-1", "running", drift=["image changed"])], 0)
    assert drifted == "status: 1 instance on 1 ship: 1 running; 1 drifted in 0.0s"


def test_status_table_stays_aligned_when_painted():
    rows = [
        row("db-1", "running", "Up 5 minutes", drift=[]),
        row("app-1", "exited", "Exited (0) 1 minute ago", drift=["env.X changed"]),
        row("app-2", "absent", "down"),
    ]
    plain = status_table(rows)
    painted = status_table(rows, paint=lambda text, tone: "<%s>%s</>" % (tone, text))
    assert re.sub(r"</?[a-z]*>", "", painted) == plain
    assert "<ok>Up 5 minutes</>" in painted and "<changed>Exited (0) 1 minute ago</>" in painted
    assert "<failed>absent</>" in painted and "<drift>env.X changed</>" in painted and "<ok>ok</>" in painted
    lines = plain.splitlines()
    assert lines[0].split() == ["SERVICE", "INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT"]
    # every column starts at the header's position on every line
    starts = [lines[0].index(word) for word in ("INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT")]
    for line in lines[1:]:
        assert all(line[i - 2 : i] == "  " and line[i] != " " for i in starts), line
    assert lines[3].endswith("  -")  # no container: no drift to tell


def shown(lines, verbosity=0):
    return [line for line in lines if getattr(line, "verbosity", 0) <= verbosity]


def test_step_lines_say_what_the_service_did_and_why():
    step = Step("web", ("web-1", "web-2", "web-3"), (), 1)
    results = [
        {
            "instance": "web-1",
            "service": "web",
            "ship": "vm1",
            "changed": True,
            "failed": False,
            "actions": ["created", "started"],
            "reasons": ["env.A changed"],
        },
        {
            "instance": "web-2",
            "service": "web",
            "ship": "vm2",
            "changed": False,
            "failed": False,
            "raced": ["another run created it at the same time"],
            "container": {"state": "running"},
        },
        {
            "instance": "web-3",
            "service": "web",
            "ship": "vm3",
            "changed": False,
            "failed": False,
            "skipped": True,
            "kept_going": True,
            "msg": "skipped: ship vm3 is down",
        },
    ]
    lines = step_end_lines(step, results, "started", 1.25)
    assert shown(lines) == [
        "web: 1/3 started in 1.2s, 1 skipped",
        "  web-3 on vm3: skipped: ship vm3 is down",
        "  web-2 on vm2: another run created it at the same time; converged from what is there (now running)",
        "  web-1 on vm1: recreated: env.A changed",
    ]
    assert lines[0].tone == "skipped"  # a kept_going skip outweighs a change
    # -v: a line per instance, with what was done to it (or its outcome), in its own tone.
    verbose = lines[len(shown(lines)) :]
    assert verbose == [
        "  web-1 on vm1: created, started",
        "  web-2 on vm2: unchanged",
        "  web-3 on vm3: skipped",
    ]
    assert [line.verbosity for line in verbose] == [1, 1, 1] and verbose[0].tone == "changed"
    checked = shown(step_end_lines(Step("web", ("web-1", "web-2"), (), 0), results[:2], "started", 0.5, True))
    assert checked[0] == "web: 1/2 would be started in 0.5s" and checked[-1].endswith(
        "would be recreated: env.A changed"
    )


def test_status_table_shows_port_states_and_ship_addresses():
    up = dict(row("db-1", "running", "Up 5 minutes"), ship_ip="10.250.0.2", port_states={"http": "up"})
    down = dict(row("db-2", "running", "Up 5 minutes"), ship_ip="10.250.0.3", port_states={"http": "down"})
    udp = dict(row("db-3", "running", "Up 5 minutes"), ship_ip="10.250.0.4", port_states={"http": PORT_UDP})
    assert ports_cell(up) == ("http:8080->80/tcp up", "ok")
    assert ports_cell(down) == ("http:8080->80/tcp down", "failed")
    assert ports_cell(udp) == ("http:8080->80/tcp udp, not checked", None)  # nothing tried: no tone
    assert ports_cell(row("db-4", "running")) == ("http:8080->80/tcp", None)  # not asked
    painted = status_table([up, down], paint=lambda text, tone: "<%s>%s</>" % (tone, text), hosts=True)
    lines = painted.splitlines()
    assert lines[0].split()[2] == "HOST" and "10.250.0.2" in lines[1] and "vm1" not in painted
    assert "<ok>http:8080->80/tcp up</>" in lines[1] and "<failed>http:8080->80/tcp down</>" in lines[2]


def test_the_json_document_of_a_result_leaves_out_ansibles_keys():
    doc = result_document(
        {"summary": "s", "diff": [{}], "invocation": {}, "_ansible_no_log": False, "instances": []}, failed=True
    )
    assert doc == {"summary": "s", "instances": [], "changed": False, "failed": True}
