"""The audit trail (docs/docsite/rst/audit.rst) with the real playbooks on the lab's ships.

The environment's `audit` section points at log files in tmp_path, a small HTTP
receiver on 127.0.0.1 (a random port, every request recorded) and an exec script that
appends its arguments and stdin to a file. Checked: what each notifier receives for
start and stop, the levels (an `error` notifier hears nothing of a success), a failing
start, check mode (nothing sent), and ignore_errors both ways with a webhook to a
closed port.
"""

import getpass
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers.envs import IMAGE, SERVE, TRACEBACK, inspect_all, playbook, ship_name, ships_of, write_env

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request (path, method, headers, JSON body)."""

    def __init__(self):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    {
                        "path": self.path,
                        "method": self.command,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                status = 500 if self.path.startswith("/broken") else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def at(self, path):
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def closed_port():
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def model(lab, audit, boom=False):
    """zookeeper (zk-1 on ship 1) <- web (web-1 on ship 2); with ``boom`` web exits at once."""
    web = {"ship": ship_name(lab, 2), "stop_timeout": 1, "command": ["sh", "-c", SERVE]}
    if boom:
        web["command"] = ["sh", "-c", "echo boom-marker; exit 3"]
    return {
        "name": "audited",
        "audit": audit,
        "ships": ships_of(lab),
        "registries": {
            "private": {"registry": "https://reg.example.com", "username": "bot", "password": "s3cret-registry-pw"}
        },
        "services": {
            "zookeeper": {
                "image": IMAGE,
                "env": {"PORT": 2181},
                "instances": {"zk-1": {"ship": ship_name(lab, 1), "stop_timeout": 1, "command": ["sh", "-c", SERVE]}},
            },
            "web": {"image": IMAGE, "requires": ["zookeeper"], "env": {"PORT": 8080}, "instances": {"web-1": web}},
        },
    }


def log_lines(path):
    """[(LEVELNAME, message)] of an audit log, each line checked against MaestroNG's format."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        match = re.match(r"^%s (DEBUG|INFO|ERROR): (.*)$" % STAMP, line)
        assert match, line
        found.append(match.groups())
    return found


def test_start_and_stop_reach_every_notifier_at_its_level(clean_lab, tmp_path, receiver):
    lab = clean_lab
    hook = tmp_path / "hook.sh"
    hook.write_text('#!/bin/sh\necho "$*" >> "%s"; cat >> "%s"; echo >> "%s"\n' % ((tmp_path / "exec.out",) * 3))
    hook.chmod(0o755)
    audit = [
        {"type": "log", "file": "info.log"},  # relative to the env file
        {"type": "log", "file": str(tmp_path / "debug.log"), "level": "debug"},
        {"type": "log", "file": str(tmp_path / "error.log"), "level": "error"},
        {
            "type": "http",
            "endpoint": receiver.url + "/hook",
            "headers": {"X-Token": "t0k"},
            "payload": {
                "text": "{who} {event} {action}: {what}",
                "environment": "{environment}",
                "message": "{message}",
                "n": 1,
            },
        },
        {"type": "http", "endpoint": receiver.url + "/errors", "level": "error"},
        {"type": "exec", "script": "./hook.sh", "args": "{event} {action} '{what}'"},
    ]
    path = write_env(tmp_path, model(lab, audit))
    who = getpass.getuser()

    run = playbook("start", path)
    assert run.rc == 0 and TRACEBACK not in run.output and "[WARNING]" not in run.output, str(run)
    assert sorted(inspect_all(lab)) == ["web-1", "zk-1"]
    assert log_lines(tmp_path / "info.log") == [
        ("INFO", "%s is starting zk-1, web-1." % who),
        ("INFO", "Start of zk-1, web-1 succeeded."),
    ]
    debug = log_lines(tmp_path / "debug.log")
    assert debug[0] == ("INFO", "%s is starting zk-1, web-1." % who)
    assert debug[-1] == ("INFO", "Start of zk-1, web-1 succeeded.")
    assert sorted(debug[1:-1]) == [
        ("DEBUG", "Start of web-1 succeeded (created, started)."),
        ("DEBUG", "Start of zk-1 succeeded (created, started)."),
    ]
    assert log_lines(tmp_path / "error.log") == []  # nothing failed
    hooks = receiver.at("/hook")
    assert [(r["method"], r["body"]) for r in hooks] == [
        (
            "POST",
            {
                "text": "%s start start: zk-1, web-1" % who,
                "environment": "audited",
                "n": 1,
                "message": "%s is starting zk-1, web-1." % who,
            },
        ),
        (
            "POST",
            {
                "text": "%s success start: zk-1, web-1" % who,
                "environment": "audited",
                "n": 1,
                "message": "Start of zk-1, web-1 succeeded.",
            },
        ),
    ]
    assert hooks[0]["headers"]["X-Token"] == "t0k"
    assert hooks[0]["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert receiver.at("/errors") == []
    out = (tmp_path / "exec.out").read_text().splitlines()
    assert out[0::2] == ["start start zk-1, web-1", "success start zk-1, web-1"]
    assert json.loads(out[1]) == {
        "zk-1": {"ship": lab.ships[0]["ip"], "service": "zookeeper"},
        "web-1": {"ship": lab.ships[1]["ip"], "service": "web"},
    }

    # Check mode changes nothing, so it records nothing.
    sizes = {name: (tmp_path / name).stat().st_size for name in ("info.log", "debug.log", "exec.out")}
    assert playbook("stop", path, "--check").rc == 0
    assert {name: (tmp_path / name).stat().st_size for name in sizes} == sizes
    assert len(receiver.requests) == 2

    run = playbook("stop", path)
    assert run.rc == 0 and "[WARNING]" not in run.output, str(run)
    assert log_lines(tmp_path / "info.log")[2:] == [
        ("INFO", "%s is stopping web-1, zk-1." % who),
        ("INFO", "Stop of web-1, zk-1 succeeded."),
    ]
    assert [r["body"]["text"] for r in receiver.at("/hook")[2:]] == [
        "%s start stop: web-1, zk-1" % who,
        "%s success stop: web-1, zk-1" % who,
    ]
    assert (tmp_path / "exec.out").read_text().splitlines()[4::2] == [
        "start stop web-1, zk-1",
        "success stop web-1, zk-1",
    ]
    assert log_lines(tmp_path / "error.log") == [] and receiver.at("/errors") == []
    everything = "".join((tmp_path / n).read_text() for n in ("info.log", "debug.log", "exec.out"))
    assert "s3cret-registry-pw" not in everything + json.dumps(receiver.requests)


def test_a_failed_start_reaches_the_error_level(clean_lab, tmp_path, receiver):
    audit = [
        {"type": "log", "file": str(tmp_path / "error.log"), "level": "error"},
        {"type": "http", "endpoint": receiver.url + "/errors", "level": "error", "payload": {"text": "{message}"}},
    ]
    path = write_env(tmp_path, model(clean_lab, audit, boom=True))
    run = playbook("start", path, start_grace=0.5)
    assert run.rc != 0 and TRACEBACK not in run.output and "boom-marker" in run.output, str(run)
    lines = log_lines(tmp_path / "error.log")
    assert len(lines) == 1 and lines[0][0] == "ERROR", lines
    assert lines[0][1].startswith("Failed to start zk-1, web-1! (message: ") and "exit code 3" in lines[0][1]
    sent = [r["body"]["text"] for r in receiver.at("/errors")]
    assert len(sent) == 1 and "\n" in sent[0]  # the container's log, as it is
    assert " | ".join(line.strip() for line in sent[0].splitlines() if line.strip()) == lines[0][1]


@pytest.mark.parametrize("ignore_errors", [True, False])
def test_a_webhook_to_a_closed_port(clean_lab, tmp_path, ignore_errors):
    endpoint = "http://127.0.0.1:%d/hook" % closed_port()
    audit = [
        {"type": "http", "endpoint": endpoint, "timeout": 2, "ignore_errors": ignore_errors},
        {"type": "log", "file": str(tmp_path / "info.log")},
    ]
    path = write_env(tmp_path, model(clean_lab, audit))
    run = playbook("start", path)
    assert TRACEBACK not in run.output, str(run)
    if ignore_errors:
        # A warning per event, and the command runs (the log notifier still gets both events).
        assert run.rc == 0, str(run)
        assert re.findall(
            r"\[WARNING\]: audit\.0 \(http\): could not send the (\w+) event: POST %s: .*refused" % re.escape(endpoint),
            run.output,
        ) == ["start", "success"], str(run)
        assert sorted(inspect_all(clean_lab)) == ["web-1", "zk-1"]
        assert [text for dummy, text in log_lines(tmp_path / "info.log")][1] == "Start of zk-1, web-1 succeeded."
    else:
        # The start could not be recorded: nothing is done, and the message says why.
        assert run.rc != 0, str(run)
        assert re.search(
            r"audit: audit\.0 \(http\): could not send the start event: POST %s: .*refused.*; "
            r"nothing was done" % re.escape(endpoint),
            run.output,
        ), str(run)
        assert inspect_all(clean_lab) == {}
        texts = [text for dummy, text in log_lines(tmp_path / "info.log")]
        assert texts[0].endswith(" is starting zk-1, web-1.") and len(texts) == 2
        assert texts[1].startswith("Failed to start zk-1, web-1! (message: audit: audit.0 (http): could not send")
