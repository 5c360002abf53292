"""A service's or an instance's ``healthcheck:`` (model/readiness_section.py): Compose's forms and
durations, read into Docker's (nanoseconds); the bad ones are in the corpus (test_errors.py)."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model.readiness_section import duration_ns

S = 10**9

ENV = """
name: health
ships:
  vm1: {ip: 10.0.0.1}
services:
  db:
    image: busybox
    SERVICE
    instances:
      db-1: {ship: vm1}
      db-2:
        ship: vm1
        INSTANCE
"""


@pytest.mark.parametrize(
    "text, ns",
    [
        ("30s", 30 * S),
        ("1m30s", 90 * S),
        ("500ms", S // 2),
        ("1h", 3600 * S),
        ("1.5s", 3 * S // 2),
        ("2m0.5s", 120 * S + S // 2),
        ("250us", 250_000),
        ("10", 10 * S),
        (10, 10 * S),
        (0.5, S // 2),
        (0, 0),
    ],
)
def test_compose_durations(text, ns):
    assert duration_ns(text) == ns


@pytest.mark.parametrize("text", ["", "s", "10 s", "1d", "-1s", "1m30", "abc", True, -1])
def test_what_is_not_a_duration(text):
    with pytest.raises(ValueError):
        duration_ns(text)


def load(load_env, service="", instance=""):
    return load_env(ENV.replace("SERVICE", service).replace("INSTANCE", instance))


def test_a_file_without_healthcheck_has_none(load_env):
    env = load(load_env)
    assert env.instances["db-1"]["healthcheck"] is None and env.instances["db-2"]["healthcheck"] is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("healthcheck: image", {"image": True}),
        ("healthcheck: {test: pg_isready}", {"test": ["CMD-SHELL", "pg_isready"]}),
        ("healthcheck: {test: [CMD, pg_isready, -q]}", {"test": ["CMD", "pg_isready", "-q"]}),
        ("healthcheck: {test: [CMD-SHELL, 'test -f /ready']}", {"test": ["CMD-SHELL", "test -f /ready"]}),
        ("healthcheck: {test: [NONE]}", {"test": ["NONE"]}),
        ("healthcheck: {disable: true}", {"test": ["NONE"]}),
        ("healthcheck: {interval: 2s, retries: 5}", {"interval": 2 * S, "retries": 5}),  # the image's test
        (
            "healthcheck: {test: x, interval: 1m30s, timeout: 500ms, start_period: 10s, start_interval: 1s, retries: 0}",
            {
                "test": ["CMD-SHELL", "x"],
                "interval": 90 * S,
                "timeout": S // 2,
                "start_period": 10 * S,
                "start_interval": S,
                "retries": 0,
            },
        ),
    ],
)
def test_compose_forms(load_env, text, expected):
    assert load(load_env, service=text).instances["db-1"]["healthcheck"] == expected


def test_an_instances_healthcheck_replaces_its_services(load_env):
    env = load(load_env, service="healthcheck: {test: a, retries: 9}", instance="healthcheck: {test: b}")
    assert env.instances["db-1"]["healthcheck"] == {"test": ["CMD-SHELL", "a"], "retries": 9}
    assert env.instances["db-2"]["healthcheck"] == {"test": ["CMD-SHELL", "b"]}


@pytest.mark.parametrize(
    "text, message",
    [
        ("healthcheck: yes", "must be image or a mapping"),
        ("healthcheck: {test: [CMD]}", "CMD takes a command"),
        ("healthcheck: {test: [CMD-SHELL, a, b]}", "CMD-SHELL takes one command line"),
        ("healthcheck: {test: [NONE, x]}", "NONE takes nothing more"),
        ("healthcheck: {test: [RUN, x]}", "a list test starts with CMD, CMD-SHELL or NONE"),
        ("healthcheck: {test: ''}", "must not be empty"),
        ("healthcheck: {interval: 1us}", "must be 0 or at least 1ms"),
        ("healthcheck: {retries: -1}", "must be at least 0"),
        ("healthcheck: {disable: true, test: x}", "disable: true takes no other setting"),
        ("healthcheck: {}", "sets nothing"),
        ("healthcheck: {intervall: 2s}", "did you mean 'interval'?"),
    ],
)
def test_bad_healthchecks_are_refused_at_their_key(load_env, text, message):
    with pytest.raises(MaestroError, match=message) as info:
        load(load_env, service=text)
    assert info.value.key.startswith("services.db.healthcheck")


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("", None),
        ("oneshot: false", None),
        ("oneshot: true", 3600.0),
        ("oneshot: {timeout: 10m}", 600.0),
        ("oneshot: {}", 3600.0),
    ],
)
def test_oneshot_forms(load_env, text, seconds):
    assert load(load_env, service=text).instances["db-1"]["oneshot"] == seconds


def test_a_oneshot_may_retry_on_failure(load_env):
    env = load(load_env, service="oneshot: true", instance="restart: on-failure:3")
    assert env.instances["db-2"]["restart"] == {"name": "on-failure", "maximum_retry_count": 3}
