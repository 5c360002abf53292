"""The ``registries`` section (model/registries_section.py): each registry's URL (checked
without ever echoing it: it may hold credentials), its login and its retry policy, with
their defaults and the exact located line of each refusal."""

import re
import textwrap

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, loader, registries_section
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import ONE_REGISTRY


def read(text):
    return registries_section.read(loader.parse_yaml(textwrap.dedent(text).lstrip("\n"), "env.yaml"))


def error(text):
    with pytest.raises(MaestroError) as info:
        read(text)
    return str(info.value)


# ---------------------------------------------------------------- through environment.load


def test_registries(fixture_path):
    env = environment.load(fixture_path("good", "registries.yaml"), environ={})
    assert env.registries == {
        "quay.io": {
            "name": "quay.io",
            "registry": "https://quay.io/v1",
            "username": "user",
            "password": "secret",
            "email": None,
            "retry": {"attempts": 3, "when": []},
        },
        "private": {
            "name": "private",
            "registry": "https://registry.example.com:5000/v2",
            "username": "bot",
            "password": "hunter2",
            "email": "bot@example.com",
            "retry": {"attempts": 5, "when": [500, 502]},
        },
    }


def test_empty_registries(fixture_path):
    env = environment.load(fixture_path("good", "empty_registries.yaml"), environ={})
    assert env.registries == {}
    assert env.audit == []


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "    registry: https://u:Secret-123@reg.example/\n    username: u",
            "registries.lab.registry: must be a registry URL like https://registry.example.com:5000/v1/ (scheme, host, "
            "port, path; credentials go in username and password)",
        ),
        (
            "    registry: https://reg.example/\n    retry: {when: [503, x]}",
            "registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "    registry: https://reg.example/\n    retry: {when: [5030]}",
            "registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "    registry: https://reg.example/\n    retry: {attempts: 0, when: [503]}",
            "registries.lab.retry.attempts: must be at least 1, got 0",
        ),
        (
            "    registry: https://reg.example/\n    retry: {tries: 2}",
            "registries.lab.retry.tries: unknown retry key 'tries' (known: attempts, when)",
        ),
        (
            "    registry: https://reg.example/\n    password: [Secret-123]",
            "registries.lab.password: must be a string, got a list",
        ),
    ],
)
def test_bad_sections_say_where_and_never_echo_the_password(load_env, body, message):
    with pytest.raises(MaestroError) as caught:
        load_env(ONE_REGISTRY % body)
    text = str(caught.value)
    assert re.match(r"^\S*env\.yaml:[345]: ", text) and text.endswith(message), text
    assert "Secret-123" not in text


# ---------------------------------------------------------------- the section


def test_no_section_is_no_registries():
    assert read("name: x\n") == {}
    assert read("registries:\n") == {}


def test_defaults_and_order():
    found = read("""
        registries:
          zeta: {registry: zeta.example}
          1: {registry: one.example, username: 42, retry: {}}
        """)
    assert list(found) == ["zeta", "1"]
    assert found["zeta"] == {
        "name": "zeta",
        "registry": "zeta.example",
        "username": None,
        "password": None,
        "email": None,
        "retry": {"attempts": 3, "when": []},
    }
    assert found["1"]["name"] == "1"
    assert found["1"]["username"] == "42"  # a number is its text


def test_retry_codes_are_a_plain_list():
    """Inventory variables refuse the loader's LineList: the model hands out a plain list."""
    found = read("registries:\n  lab:\n    registry: r.example\n    retry: {attempts: 2, when: [500, 503]}\n")
    assert found["lab"]["retry"] == {"attempts": 2, "when": [500, 503]}
    assert found["lab"]["retry"]["when"].__class__ is list  # plain: inventory variables refuse LineList


@pytest.mark.parametrize(
    "url",
    [
        "reg.example",
        "reg.example:5000",
        "reg.example/",
        "https://reg.example:5000/v2/",
        "http://10.0.0.1:5000",
        "https://registry-1.docker.io/v1/",
        "[::1]:5000",
        "my_registry.local/team",
    ],
)
def test_registry_urls_accepted(url):
    assert read("registries:\n  lab: {registry: '%s'}\n" % url)["lab"]["registry"] == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://reg.example",
        "https://u:Secret-123@reg.example",
        "Secret-123@reg.example",
        "https://",
        "reg.example:",
        "reg example",
        "reg.example/ with space",
        "-",
    ],
)
def test_registry_urls_refused_without_echoing_them(url):
    text = error("registries:\n  lab:\n    registry: '%s'\n" % url)
    assert text == (
        "line 3: registries.lab.registry: must be a registry URL like https://registry.example.com:5000/v1/ "
        "(scheme, host, port, path; credentials go in username and password)"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("registries: [lab]\n", "line 1: registries: must be a mapping, got a list"),
        ("registries:\n  lab: https://reg.example\n", "line 2: registries.lab: must be a mapping, got a string"),
        ("registries:\n  lab: {username: u}\n", "line 2: registries.lab.registry: is required"),
        ("registries:\n  lab: {registry: ''}\n", "line 2: registries.lab.registry: must not be empty"),
        (
            "registries:\n  lab: {registry: r, usrname: u}\n",
            "line 2: registries.lab.usrname: unknown registry key 'usrname' (did you mean 'username'?)",
        ),
        (
            "registries:\n  lab: {registry: r, retry: 3}\n",
            "line 2: registries.lab.retry: must be a mapping, got a number",
        ),
        (
            "registries:\n  lab: {registry: r, retry: {when: 503}}\n",
            "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "registries:\n  lab: {registry: r, retry: {when: [true]}}\n",
            "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "registries:\n  lab: {registry: r, retry: {when: [99]}}\n",
            "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "registries:\n  lab: {registry: r, retry: {when: ['503']}}\n",
            "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
        (
            "registries:\n  lab: {registry: r, retry: {attempts: two}}\n",
            "line 2: registries.lab.retry.attempts: must be an integer, got 'two'",
        ),
        (
            "registries:\n  lab: {registry: r, email: [a@b]}\n",
            "line 2: registries.lab.email: must be a string, got a list",
        ),
    ],
)
def test_section_errors(text, message):
    assert error(text) == message


def test_the_codes_are_checked_before_the_url():
    assert error("registries:\n  lab: {retry: {when: [1]}}\n") == (
        "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)"
    )


def test_status_code_bounds_are_inclusive():
    found = read("registries:\n  lab: {registry: r, retry: {when: [100, 599]}}\n")
    assert found["lab"]["retry"]["when"] == [100, 599]
    assert error("registries:\n  lab: {registry: r, retry: {when: [600]}}\n") == (
        "line 2: registries.lab.retry.when: must be a list of HTTP status codes (100-599)"
    )
