"""The ``audit`` section (model/audit_section.py): the notifiers an environment lists, each
checked (type, keys, level, templates) and normalised (defaults, paths from the file's
folder); sending events to them is run/audit.py's work (run/test_audit.py)."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import audit_section, loader
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import AUDITED_REST, audited

FOLDER = "/srv/deploy"


def read(*entries):
    """audit_section.read of an ``audit`` list of ``entries`` (flow YAML), the file in FOLDER."""
    doc = loader.parse_yaml("audit:\n" + "".join("  - %s\n" % entry for entry in entries), "env.yaml")
    return audit_section.read(doc, FOLDER)


def error(*entries):
    """The error text of reading ``entries``: the first one is on line 2."""
    with pytest.raises(MaestroError) as info:
        read(*entries)
    return str(info.value)


# ---------------------------------------------------------------- through environment.load


def test_audit(load_env):
    env = load_env("""\
        name: audit
        audit:
          - {type: log, file: /var/log/maestro.log}
          - {type: slack, token: t, channel: "#ops", level: error, ignore_errors: true}
          - {type: http, endpoint: "https://hooks.example.com/x", method: get, payload: {text: "{message}"}}
          - {type: exec, script: logger, args: "-t maestro {action} {what}", level: success, timeout: 5}
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          s: {image: x, instances: {s-1: {ship: vm1}}}
        """)
    assert env.audit == [
        {"type": "log", "file": "/var/log/maestro.log", "ignore_errors": False, "level": "info"},
        {
            "type": "slack",
            "token": "t",
            "channel": "#ops",
            "level": "error",
            "ignore_errors": True,
            "name": None,
            "icon": None,
        },
        {
            "type": "http",
            "endpoint": "https://hooks.example.com/x",
            "method": "GET",
            "headers": {},
            "payload": {"text": "{message}"},
            "timeout": 3,
            "ignore_errors": False,
            "level": "info",
        },
        {
            "type": "exec",
            "script": "logger",
            "args": "-t maestro {action} {what}",
            "timeout": 5,
            "level": "success",
            "ignore_errors": False,
        },
    ]


def test_audit_unknown_option_has_line_and_hint(load_error):
    assert (
        load_error("""\
        name: audit
        audit:
          - type: http
            endpoint: "https://hooks.example.com/x"
            headrs: {X-Token: t}
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          s: {image: x, instances: {s-1: {ship: vm1}}}
        """)
        == "env.yaml:5: audit.0.headrs: unknown http audit key 'headrs' (did you mean 'headers'?)"
    )


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            "{type: webhook, endpoint: 'http://h/'}",
            "audit.0.type: unknown audit type 'webhook' (MaestroNG calls the webhook notifier 'http')",
        ),
        ("{type: log}", "audit.0.file: is required"),
        ("{type: log, file: a.log, ignore_errors: yes please}", "audit.0.ignore_errors: must be true or false"),
        ("{type: log, file: a.log, filename: b.log}", "audit.0.filename: unknown log audit key 'filename'"),
        ("{type: http, endpoint: hooks.example.com}", "audit.0.endpoint: must be an http:// or https:// URL"),
        ("{type: http, endpoint: 'http://h/', method: PUT}", "audit.0.method: must be GET or POST, got 'PUT'"),
        ("{type: http, endpoint: 'http://h/', payload: hello}", "audit.0.payload: must be a mapping or a list"),
        (
            "{type: http, endpoint: 'http://h/', payload: {text: '{whom} did it'}}",
            "audit.0.payload: unknown placeholder {whom} in '{whom} did it' (known: {action}, {environment}",
        ),
        ("{type: http, endpoint: 'http://h/', payload: [{a: '{what'}]}", "audit.0.payload: bad template '{what'"),
        ("{type: http, endpoint: 'http://h/', timeout: 0}", "audit.0.timeout: must be more than 0"),
        ("{type: http, endpoint: 'http://h/', headers: {X-A: [1]}}", "audit.0.headers.X-A: must be a string"),
        ("{type: exec, args: '{action}'}", "audit.0.script: is required"),
        ("{type: exec, script: x.sh, command: y}", "audit.0.command: unknown exec audit key 'command'"),
        ('{type: exec, script: x.sh, args: "\'unclosed"}', "audit.0.args: cannot split into words"),
        ("{type: exec, script: x.sh, args: '{nope}'}", "audit.0.args: unknown placeholder {nope}"),
        ("{type: exec, script: x.sh, args: '{what.upper}'}", "audit.0.args: unknown placeholder {what.upper}"),
        ("{type: exec, script: x.sh, args: 'a {}'}", "audit.0.args: unknown placeholder {} in '{}'"),
        ("{type: slack, token: t}", "audit.0.channel: is required"),
        (
            "{type: log, file: a.log, level: warning}",
            "audit.0.level: unknown level 'warning' (known: debug, info, success, error)",
        ),
    ],
)
def test_bad_notifiers_fail_with_one_located_line(load_error, entry, message):
    text = load_error("name: x\naudit:\n  - %s\n" % entry + AUDITED_REST)
    assert text.startswith("env.yaml:3: " + message), text


def test_audit_must_be_a_list(load_error):
    assert (
        load_error("name: x\naudit: {type: log}\n" + AUDITED_REST)
        == "env.yaml:2: audit: must be a list of notifiers, got a mapping"
    )


def test_relative_paths_are_relative_to_the_environment_file(load_env, tmp_path):
    env = audited(
        load_env,
        ["{type: log, file: logs/audit.log}", "{type: exec, script: ./hook.sh}", "{type: exec, script: logger}"],
    )
    assert env.audit[0]["file"] == str(tmp_path / "logs" / "audit.log")
    assert env.audit[1]["script"] == str(tmp_path / "hook.sh")
    assert env.audit[2]["script"] == "logger"  # a bare name is looked up on PATH


# ---------------------------------------------------------------- the section


def test_no_section_is_no_notifiers():
    assert audit_section.read(loader.parse_yaml("name: x\n", "env.yaml"), FOLDER) == []
    assert audit_section.read(loader.parse_yaml("audit:\n", "env.yaml"), FOLDER) == []
    assert read() == []


def test_audit_must_be_a_list_of_mappings():
    doc = loader.parse_yaml("name: x\naudit: log\n", "env.yaml")
    with pytest.raises(MaestroError) as info:
        audit_section.read(doc, FOLDER)
    assert str(info.value) == "line 2: audit: must be a list of notifiers, got a string"
    assert error("{type: log, file: a.log}", "log") == "line 3: audit.1: must be a mapping, got a string"


@pytest.mark.parametrize("level", ["debug", "info", "success", "error"])
def test_every_level(level):
    assert read("{type: log, file: /a.log, level: %s}" % level)[0]["level"] == level


def test_levels_rise_from_debug_to_error():
    assert sorted(audit_section.LEVELS, key=audit_section.LEVELS.get) == ["debug", "info", "success", "error"]
    assert audit_section.DEFAULT_LEVEL in audit_section.LEVELS


# ---------------------------------------------------------------- each type, with its defaults


def test_log_defaults_and_paths(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ops")
    assert read("{type: log, file: logs/../audit.log}") == [
        {"type": "log", "level": "info", "ignore_errors": False, "file": FOLDER + "/audit.log"}
    ]
    assert read("{type: log, file: ~/audit.log}")[0]["file"] == "/home/ops/audit.log"
    assert read("{type: log, file: /var/log//maestro.log}")[0]["file"] == "/var/log/maestro.log"


def test_http_defaults():
    assert read("{type: http, endpoint: 'https://h/x'}") == [
        {
            "type": "http",
            "level": "info",
            "ignore_errors": False,
            "endpoint": "https://h/x",
            "method": "POST",
            "headers": {},
            "timeout": 3,
            "payload": None,
        }
    ]


def test_http_settings():
    found = read(
        "{type: http, endpoint: 'http://h/', method: get, headers: {X-N: 1}, timeout: 0.5, "
        "payload: [{text: '{who} {action} {what}'}, 3, true, null]}"
    )[0]
    assert (found["method"], found["headers"], found["timeout"]) == ("GET", {"X-N": "1"}, 0.5)
    assert found["payload"] == [{"text": "{who} {action} {what}"}, 3, True, None]


def test_an_empty_http_payload_is_none():
    assert read("{type: http, endpoint: 'http://h/', payload: {}}")[0]["payload"] is None
    assert read("{type: http, endpoint: 'http://h/', payload: []}")[0]["payload"] is None


def test_exec_defaults_and_script_paths(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ops")
    assert read("{type: exec, script: logger}") == [
        {"type": "exec", "level": "info", "ignore_errors": False, "script": "logger", "args": "", "timeout": 30}
    ]
    assert read("{type: exec, script: hooks/./notify.sh}")[0]["script"] == FOLDER + "/hooks/notify.sh"
    assert read("{type: exec, script: /usr/bin/logger}")[0]["script"] == "/usr/bin/logger"
    assert read("{type: exec, script: ~/bin/hook}")[0]["script"] == "/home/ops/bin/hook"
    assert read("{type: exec, script: ~hook}")[0]["script"] == "~hook"  # no folder in it: looked up on PATH


def test_exec_args_are_kept_as_written():
    found = read("""{type: exec, script: x, args: "--env '{environment}' {{literal}}", timeout: 2}""")[0]
    assert (found["args"], found["timeout"]) == ("--env '{environment}' {{literal}}", 2)


def test_slack_and_hipchat_keys():
    assert read("{type: slack, channel: '#ops', token: t, icon: ':robot:'}") == [
        {
            "type": "slack",
            "level": "info",
            "ignore_errors": False,
            "channel": "#ops",
            "token": "t",
            "name": None,
            "icon": ":robot:",
        }
    ]
    assert read("{type: hipchat, room: ops, token: t, name: maestro, level: debug}") == [
        {"type": "hipchat", "level": "debug", "ignore_errors": False, "room": "ops", "token": "t", "name": "maestro"}
    ]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{file: a.log}", "audit.0.type: is required"),
        ("{type: 5, file: a.log}", "audit.0.type: unknown audit type '5' (known: exec, hipchat, http, log, slack)"),
        ("{type: log, file: a.log, level: 1}", "audit.0.level: unknown level '1' (known: debug, info, success, error)"),
        ("{type: log, file: ''}", "audit.0.file: must not be empty"),
        (
            "{type: log, file: a.log, timeout: 3}",
            "audit.0.timeout: unknown log audit key 'timeout' (known: file, ignore_errors, level, type)",
        ),
        ("{type: http, endpoint: 'ftp://h/'}", "audit.0.endpoint: must be an http:// or https:// URL, got 'ftp://h/'"),
        ("{type: http, endpoint: 'http://h/', method: put}", "audit.0.method: must be GET or POST, got 'put'"),
        ("{type: http, endpoint: 'http://h/', timeout: -1}", "audit.0.timeout: must not be negative, got -1"),
        (
            "{type: http, endpoint: 'http://h/', payload: 3}",
            "audit.0.payload: must be a mapping or a list, got a number",
        ),
        ("{type: http, endpoint: 'http://h/', headers: [a]}", "audit.0.headers: must be a mapping, got a list"),
        ("{type: exec, script: x, timeout: 0}", "audit.0.timeout: must be more than 0"),
        ("{type: exec, script: x, args: [a]}", "audit.0.args: must be a string, got a list"),
        ("{type: hipchat, token: t}", "audit.0.room: is required"),
        (
            "{type: slack, channel: c, token: t, room: r}",
            "audit.0.room: unknown slack audit key 'room' (known: channel, icon, ignore_errors, level, name, token, type)",
        ),
    ],
)
def test_refusals(entry, message):
    assert error(entry) == "line 2: " + message


def test_the_failing_entry_is_named_by_its_index_and_line():
    assert error("{type: log, file: a.log}", "{type: log, file: b.log}", "{type: log}") == (
        "line 4: audit.2.file: is required"
    )


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize(
    "value",
    [
        "{action} {environment} {event} {message} {what} {who}",
        "no placeholders",
        "{{escaped}} braces",
        ["{what}", {"deep": ["{who}", 3, None, True]}],
        {"a": {"b": "{event}"}},
        7,
        None,
    ],
)
def test_check_templates_accepts(value):
    audit_section._check_templates(value, ("audit", 0, "payload"), {}, "payload")


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "{whom}",
            "unknown placeholder {whom} in '{whom}' (known: {action}, {environment}, {event}, {message}, {what}, {who})",
        ),
        (
            ["ok {what}", {"x": "{0}"}],
            "unknown placeholder {0} in '{0}' (known: {action}, {environment}, {event}, {message}, {what}, {who})",
        ),
        (
            "{what[0]}",
            "unknown placeholder {what[0]} in '{what[0]}' (known: {action}, {environment}, {event}, {message}, {what}, {who})",
        ),
        ("{what", "bad template '{what': expected '}' before end of string"),
        ("what}", "bad template 'what}': Single '}' encountered in format string"),
    ],
)
def test_check_templates_refuses(value, message):
    with pytest.raises(MaestroError) as info:
        audit_section._check_templates(value, ("audit", 0, "payload"), {}, "payload")
    assert str(info.value) == "audit.0.payload: " + message


def test_path():
    assert audit_section._path("a/../b.log", "/srv") == "/srv/b.log"
    assert audit_section._path("/var//log/./a.log", "/srv") == "/var/log/a.log"
