"""The registries of an environment: which one an image comes from (MaestroNG's match),
which credentials go with its pull, the retry policy (the section's own checks:
model/test_registries_section.py). Pure logic; the pulls themselves are tested against a
real registry in tests/integration/test_registry.py."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import registries
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import ONE_REGISTRY


def reg(name, url, retry=None, **extra):
    return {
        "name": name,
        "registry": url,
        "username": extra.get("username", "user"),
        "password": extra.get("password", "pw-" + name),
        "email": None,
        "retry": retry or {"attempts": 3, "when": []},
    }


# MaestroNG's own find-registry fixture, as our model loads it.
FIND = {
    "quay.io": reg("quay.io", "https://quay.io/v1"),
    "foo2": reg("foo2", "https://foo1.registry/v1"),
    "foo4": reg("foo4", "https://foo4.registry/v1"),
    "lab": reg("lab", "https://10.250.0.1:5443/v2/", retry={"attempts": 2, "when": [503]}),
}


@pytest.mark.parametrize(
    "image, name",
    [
        ("quay.io/user/foo1", "quay.io"),  # by name
        ("foo1.registry/user/foo2", "foo2"),  # by the host of the URL
        ("foo2.registry/user/foo2", None),
        ("foo4/bar", "foo4"),  # by name, though Docker pulls it from Docker Hub
        ("10.250.0.1:5443/team/app:1", "lab"),  # host and port
        ("10.250.0.1/team/app", "lab"),  # host without the port (MaestroNG matches it too)
        ("10.250.0.1:5000/team/app", None),
        ("busybox", None),  # no registry part at all
        ("busybox:1.36", None),
        ("quay.io/user/app@sha256:" + "a" * 64, "quay.io"),
    ],
)
def test_find_is_maestrong_match(image, name):
    found = registries.find(image, FIND)
    assert (found and found["name"]) == name


@pytest.mark.parametrize(
    "image, user",
    [
        ("quay.io/user/foo1", "user"),
        ("foo1.registry/user/foo2", "user"),
        ("10.250.0.1:5443/team/app:1", "user"),
        ("foo4/bar", None),  # matched by name only: Docker Hub never gets foo4's password
        ("10.250.0.1/team/app", None),  # another port is another registry
    ],
)
def test_credentials_only_go_to_the_registry_host(image, user):
    auth = registries.credentials(image, registries.find(image, FIND))
    assert (auth and auth["username"]) == user
    if auth:
        assert auth["serveraddress"] == registries.find(image, FIND)["registry"]


def test_docker_hub_credentials_go_to_docker_hub():
    hub = reg("hub", "https://index.docker.io/v1/")
    assert registries.credentials("team/app", hub)["username"] == "user"
    assert registries.credentials("docker.io/team/app", hub)["username"] == "user"
    assert registries.credentials("quay.io/team/app", hub) is None


def test_no_username_sends_nothing():
    assert registries.credentials("quay.io/a/b", dict(FIND["quay.io"], username=None)) is None


def test_policy():
    assert registries.policy(None) == (1, frozenset())
    assert registries.policy(FIND["quay.io"]) == (1, frozenset())  # no codes: one attempt
    assert registries.policy(FIND["lab"]) == (2, frozenset([503]))


class Answer:
    def __init__(self, status):
        self.status_code = status


class Failure(Exception):
    def __init__(self, status, explanation):
        super().__init__(explanation)
        self.response = Answer(status) if status else None
        self.explanation = explanation


@pytest.mark.parametrize(
    "status, text, codes",
    [
        (500, "received unexpected HTTP status: 503 Service Unavailable", {500, 503}),
        (500, "unauthorized: authentication required", {500}),
        (404, "manifest for x not found: manifest unknown", {404}),
        (None, "error parsing HTTP 429 response body", set()),
        (None, "unexpected status code 502 Bad Gateway", {502}),
    ],
)
def test_status_codes(status, text, codes):
    assert registries.status_codes(Failure(status, text)) == codes


def test_failed_pull_says_whether_the_ship_had_the_image():
    assert registries.failed_pull("app:1", "vm1", missing=True) == "image app:1 not found on ship vm1 and pull failed"
    assert registries.failed_pull("app:1", "vm1", missing=False) == "pulling image app:1 on ship vm1 failed"


def test_retries_detail():
    assert registries.retries_detail([]) == ""
    assert registries.retries_detail(["a", "b"]) == " (a; b)"


def test_hide():
    assert registries.hide("a pw-lab b pw-foo2", FIND) == "a ******** b ********"


# ---------------------------------------------------------------- the section as the model reads it


def test_retry_defaults(load_env):
    env = load_env(ONE_REGISTRY % "    registry: reg.example:5000\n    retry: {when: [503]}")
    assert env.registries["lab"]["retry"] == {"attempts": 3, "when": [503]}
    assert registries.policy(env.registries["lab"]) == (3, frozenset([503]))


# ---------------------------------------------------------------- maestro.ng.container's option
def test_option_in_the_model_form_is_kept_and_a_short_one_completed(load_env):
    env = load_env(
        ONE_REGISTRY
        % "    registry: reg.example:5000\n    username: u\n    password: Secret-123\n    retry: {when: [503]}"
    )
    assert registries.from_option(env.registries) == env.registries
    assert registries.from_option({"lab": {"registry": "reg.example:5000", "username": "u", "password": "p"}}) == {
        "lab": {
            "name": "lab",
            "registry": "reg.example:5000",
            "username": "u",
            "password": "p",
            "email": None,
            "retry": {"attempts": 3, "when": []},
        }
    }
    assert registries.from_option(None) == {} and registries.from_option({}) == {}


@pytest.mark.parametrize(
    "option, message",
    [
        ("Secret-123", "registries: must be a map of registry name to registry"),
        ({"lab": "Secret-123"}, "registries.lab: must be a map (registry, username, password, email, retry)"),
        (
            {"lab": {"username": "u", "password": "Secret-123"}},
            "registries.lab.registry: required: the registry's URL, like https://registry.example.com:5000/v2/",
        ),
        (
            {"lab": {"registry": "https://u:Secret-123@reg.example/"}},
            "registries.lab.registry: must be a registry URL like https://registry.example.com:5000/v1/ (scheme, host, "
            "port, path; credentials go in username and password)",
        ),
        (
            {"lab": {"registry": "reg.example", "pasword": "Secret-123"}},
            "registries.lab.pasword: unknown registry key 'pasword' (known: email, name, password, registry, retry, "
            "username)",
        ),
        ({"lab": {"registry": "reg.example", "password": ["Secret-123"]}}, "registries.lab.password: must be a string"),
        (
            {"lab": {"registry": "reg.example", "retry": {"tries": 2}}},
            "registries.lab.retry.tries: unknown retry key 'tries' (known: attempts, when)",
        ),
        (
            {"lab": {"registry": "reg.example", "retry": {"attempts": 0}}},
            "registries.lab.retry.attempts: must be a whole number, at least 1",
        ),
        (
            {"lab": {"registry": "reg.example", "retry": {"when": [503, "x"]}}},
            "registries.lab.retry.when: must be a list of HTTP status codes (100-599)",
        ),
    ],
)
def test_bad_option_says_which_key_and_never_echoes_it(option, message):
    with pytest.raises(ValueError) as caught:
        registries.from_option(option)
    assert str(caught.value) == message


def test_for_image_keeps_only_the_image_registry():
    assert registries.for_image("10.250.0.1:5443/team/app:1", FIND) == {"lab": FIND["lab"]}
    assert registries.for_image("busybox", FIND) == {}
    assert registries.for_image(None, FIND) == {}


class Configs(dict):
    def add_auth(self, host, auth):
        self[host] = auth


class Client:
    def __init__(self):
        self._auth_configs = Configs()


def test_login_gives_each_login_to_its_own_host_only():
    client = Client()
    registries.login(client, FIND)
    assert sorted(client._auth_configs) == ["10.250.0.1:5443", "foo1.registry", "foo4.registry", "quay.io"]
    assert client._auth_configs["foo1.registry"]["password"] == "pw-foo2"  # foo2's URL host, not its name
    assert not hasattr(client, "_maestro_registries")  # the retry policy goes to the ContainerManager
