"""The audit trail's pure parts (run/audit.py): MaestroNG's sentences, level filtering,
ignore_errors, hidden passwords and the start/outcome events around a command (reading the
``audit`` section: model/test_audit_section.py). Deliveries go to real files and real
programs (an http receiver is in tests/integration/test_audit_trail.py)."""

import json
import os
import socket
import stat

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.run import audit
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import audited


# ---------------------------------------------------------------------- sentences
@pytest.mark.parametrize(
    "event, text",
    [
        (audit.Event("start", "start", ["zk-1", "kafka-1"]), "ann is starting zk-1, kafka-1."),
        (audit.Event("start", "stop", ["zk-1"]), "ann is stopping zk-1."),
        (audit.Event("start", "remove", ["zk-1"]), "ann is removing zk-1."),
        (audit.Event("success", "restart", ["zk-1"]), "Restart of zk-1 succeeded."),
        (
            audit.Event("success", "start", ["zk-1"], instance=True, details="created, started"),
            "Start of zk-1 succeeded (created, started).",
        ),
        (audit.Event("failure", "kill", ["zk-1"], message="boom"), "Failed to kill zk-1! (message: boom)"),
        (audit.Event("failure", "pull", ["zk-1"]), "Failed to pull zk-1!"),
    ],
)
def test_sentences_are_maestrongs(event, text):
    assert audit.sentence(event, "ann") == text


def test_payload_strings_are_filled_and_empty_values_dropped():
    fields = {"what": "zk-1", "action": "start", "who": "ann", "message": "", "event": "start", "environment": "e"}
    template = {
        "text": "{who}: {action} {what}",
        "empty": "{message}",
        "n": 3,
        "flag": False,
        "list": ["{event}", "{message}", {"deep": "{environment}"}],
        "gone": {"x": "{message}"},
    }
    assert audit._fill(template, fields) == {
        "text": "ann: start zk-1",
        "n": 3,
        "flag": False,
        "list": ["start", {"deep": "e"}],
    }


# ---------------------------------------------------------------------- sending
def lines(path):
    return [line.split(": ", 1) for line in path.read_text().splitlines()]


def test_levels_filter_events_and_the_log_has_maestrongs_format(load_env, tmp_path):
    env = audited(
        load_env,
        [
            "{type: log, file: %s, level: %s}" % (tmp_path / level, level)
            for level in ("debug", "info", "success", "error")
        ],
    )
    auditor = audit.Auditor(env, who="ann")
    for event in (
        audit.Event("start", "start", ["zk-1"]),
        audit.Event("success", "start", ["zk-1"], instance=True),
        audit.Event("success", "start", ["zk-1"]),
        audit.Event("failure", "start", ["zk-1"], message="it broke"),
    ):
        assert auditor.send(event) == []
    got = {
        level: lines(tmp_path / level) if (tmp_path / level).exists() else []
        for level in ("debug", "info", "success", "error")
    }
    assert [text for dummy, text in got["debug"]] == [
        "ann is starting zk-1.",
        "Start of zk-1 succeeded.",
        "Start of zk-1 succeeded.",
        "Failed to start zk-1! (message: it broke)",
    ]
    assert [stamp.split()[-1] for stamp, dummy in got["debug"]] == ["INFO", "DEBUG", "INFO", "ERROR"]
    assert [text for dummy, text in got["info"]] == [
        "ann is starting zk-1.",
        "Start of zk-1 succeeded.",
        "Failed to start zk-1! (message: it broke)",
    ]
    assert [text for dummy, text in got["success"]] == [
        "Start of zk-1 succeeded.",
        "Failed to start zk-1! (message: it broke)",
    ]
    assert [text for dummy, text in got["error"]] == ["Failed to start zk-1! (message: it broke)"]
    stamp = got["info"][0][0]
    assert len(stamp.split()[0]) == 10 and stamp.split()[1][8] == ","  # 2026-12-01 22:11:45,123 INFO


def test_a_failing_notifier_is_a_problem_unless_ignore_errors(load_env, tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "a.log"
    env = audited(load_env, ["{type: log, file: %s}" % missing, "{type: log, file: %s, ignore_errors: true}" % missing])
    warnings = []
    problems = audit.Auditor(env, warn=warnings.append).send(audit.Event("start", "start", ["zk-1"]))
    assert len(problems) == 1 and problems[0].startswith(
        "audit.0 (log): could not send the start event: cannot write %s: " % missing
    )
    assert len(warnings) == 1 and warnings[0].startswith("audit.1 (log): could not send the start event: cannot write")
    assert warnings[0].endswith("(ignore_errors: going on)")


def test_registry_passwords_are_never_sent(load_env, tmp_path):
    env = audited(load_env, ["{type: log, file: %s}" % (tmp_path / "a.log")])
    audit.Auditor(env).send(audit.Event("failure", "pull", ["zk-1"], message="login hunter2secret refused"))
    text = (tmp_path / "a.log").read_text()
    assert "hunter2secret" not in text and "login ******** refused" in text


def write_script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_exec_gets_its_args_filled_and_the_targets_on_stdin(load_env, tmp_path):
    out = tmp_path / "out"
    write_script(
        tmp_path / "hook.sh", 'printf "%%s|" "$@" >> %s; echo >> %s; cat >> %s; echo >> %s\n' % (out, out, out, out)
    )
    env = audited(load_env, ["{type: exec, script: ./hook.sh, args: \"--did '{action} {event}' {what}\"}"])
    assert audit.Auditor(env, who="ann").send(audit.Event("start", "stop", ["zk-1", "kafka-1"])) == []
    argv, stdin = out.read_text().splitlines()
    assert argv == "--did|stop start|zk-1, kafka-1|"
    assert json.loads(stdin) == {
        "zk-1": {"ship": "10.0.0.1", "service": "zookeeper"},
        "kafka-1": {"ship": "10.0.0.1", "service": "kafka"},
    }


def test_exec_failures_say_why(load_env, tmp_path):
    write_script(tmp_path / "fails.sh", "echo 'no disk left' >&2; exit 3\n")
    write_script(tmp_path / "slow.sh", "sleep 5\n")
    env = audited(
        load_env,
        [
            "{type: exec, script: ./fails.sh}",
            "{type: exec, script: ./slow.sh, timeout: 0.2}",
            "{type: exec, script: ./missing.sh}",
        ],
    )
    problems = audit.Auditor(env).send(audit.Event("start", "start", ["zk-1"]))
    assert problems == [
        "audit.0 (exec): could not send the start event: %s exited with 3: no disk left" % (tmp_path / "fails.sh"),
        "audit.1 (exec): could not send the start event: %s did not finish within 0.2s" % (tmp_path / "slow.sh"),
        "audit.2 (exec): could not send the start event: cannot run %s: No such file or directory"
        % (tmp_path / "missing.sh"),
    ]


def test_http_to_a_closed_port_is_a_clear_problem(load_env):
    with socket.socket() as sock:  # a port where nothing listens: bound, then released
        sock.bind(("127.0.0.1", 0))
        endpoint = "http://127.0.0.1:%d/hook" % sock.getsockname()[1]
    env = audited(load_env, ["{type: http, endpoint: '%s', timeout: 2}" % endpoint])
    problems = audit.Auditor(env).send(audit.Event("start", "start", ["zk-1"]))
    assert len(problems) == 1 and problems[0].startswith(
        "audit.0 (http): could not send the start event: POST %s: " % endpoint
    )
    assert "refused" in problems[0]


def test_slack_is_read_but_only_warned_about_once(load_env):
    env = audited(load_env, ["{type: slack, token: xoxb, channel: '#ops'}"])
    warnings = []
    auditor = audit.Auditor(env, warn=warnings.append)
    assert auditor.send(audit.Event("start", "start", ["zk-1"])) == []
    assert auditor.send(audit.Event("success", "start", ["zk-1"])) == []
    assert warnings == ["audit.0 (slack): slack notifiers are not supported by maestro.ng; nothing is sent to it"]


# ---------------------------------------------------------------------- around a command
def summary(failed=False, msg=None):
    result = {
        "changed": True,
        "failed": failed,
        "command": "started",
        "counts": {},
        "instances": [
            {"instance": "zk-1", "failed": False, "actions": ["created", "started"]},
            {"instance": "kafka-1", "failed": failed, "actions": [], "msg": msg},
            {"instance": "kafka-2", "failed": False, "skipped": True, "actions": []},
        ],
    }
    if msg:
        result["msg"] = msg
    return result


def test_audited_sends_start_then_instances_then_the_outcome(load_env, tmp_path):
    log = tmp_path / "a.log"
    env = audited(load_env, ["{type: log, file: %s, level: debug}" % log])
    names = ["zk-1", "kafka-1", "kafka-2"]
    result = audit.audited(env, "started", names, lambda: summary(failed=True, msg="kafka-1: exited"))
    assert result["failed"] and result["msg"] == "kafka-1: exited"
    texts = [text for dummy, text in lines(log)]
    assert texts[0].endswith(" is starting zk-1, kafka-1, kafka-2.")
    assert texts[1:] == [
        "Start of zk-1 succeeded (created, started).",
        "Failed to start kafka-1! (message: kafka-1: exited)",
        "Failed to start zk-1, kafka-1, kafka-2! (message: kafka-1: exited)",
    ]


def test_audited_does_nothing_when_the_start_cannot_be_recorded(load_env, tmp_path):
    log = tmp_path / "a.log"
    env = audited(load_env, ["{type: log, file: %s}" % (tmp_path / "no" / "a.log"), "{type: log, file: %s}" % log])
    ran = []
    result = audit.audited(env, "stopped", ["zk-1"], lambda: ran.append(1) or summary())
    assert ran == [] and result["failed"] and not result["changed"] and result["instances"] == []
    assert result["msg"].startswith("audit: audit.0 (log): could not send the start event: cannot write ")
    assert result["msg"].endswith("; nothing was done (set ignore_errors: true on a notifier to go on without it)")
    texts = [text for dummy, text in lines(log)]  # the notifier that took the start hears why
    assert texts[0].endswith(" is stopping zk-1.") and texts[1] == "Failed to stop zk-1! (message: %s)" % result["msg"]


def test_audited_fails_a_run_whose_outcome_cannot_be_recorded(load_env, tmp_path):
    flag = tmp_path / "ok"
    write_script(tmp_path / "hook.sh", 'test "$1" = start && touch %s && exit 0; exit 1\n' % flag)
    env = audited(load_env, ["{type: exec, script: ./hook.sh, args: '{event}'}"])
    result = audit.audited(env, "started", ["zk-1"], summary)
    assert flag.exists() and result["failed"] and result["changed"]
    assert result["msg"] == "audit: audit.0 (exec): could not send the success event: %s exited with 1" % (
        tmp_path / "hook.sh"
    )


def test_audited_reports_an_exception_and_lets_it_through(load_env, tmp_path):
    log = tmp_path / "a.log"
    env = audited(load_env, ["{type: log, file: %s, level: error}" % log])

    def crash():
        raise RuntimeError("ship on fire")

    with pytest.raises(RuntimeError):
        audit.audited(env, "started", ["zk-1"], crash)
    assert [text for dummy, text in lines(log)] == ["Failed to start zk-1! (message: ship on fire)"]


def test_check_mode_and_empty_selections_send_nothing(load_env, tmp_path):
    log = tmp_path / "a.log"
    env = audited(load_env, ["{type: log, file: %s, level: debug}" % log])
    assert audit.audited(env, "started", ["zk-1"], summary, check_mode=True)["changed"]
    assert audit.audited(env, "started", [], summary)["changed"]
    assert not os.path.exists(log)
