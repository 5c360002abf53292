"""Secrets of an environment (model/secrets.py) and MaestroNG's dump with them hidden."""

import json

from ansible_collections.maestro.ng.plugins.module_utils.model.environment import build
from ansible_collections.maestro.ng.plugins.module_utils.model.file_context import FileContext
from ansible_collections.maestro.ng.plugins.module_utils.model.secrets import dump, hidden, secret_values

DOC = {
    "name": "secretive",
    "registries": {"quay": {"registry": "https://quay.io", "username": "me", "password": "hunter2-registry"}},
    "audit": [
        {"type": "slack", "channel": "#ops", "token": "xoxb-slack-token"},
        {"type": "http", "endpoint": "https://hook.example/x", "headers": {"Authorization": "Bearer http-header"}},
    ],
    "ships": {"ship1": {"ip": "10.250.0.2"}},
    "services": {
        "db": {"image": "postgres:16", "instances": {"db-1": {"ship": "ship1"}}},
        "app": {
            "image": "app:1",
            "requires": ["db"],
            "env": {"REGISTRY_PASSWORD": "hunter2-registry", "MODE": "prod"},
            "instances": {"app-1": {"ship": "ship1"}},
        },
    },
}


def environment():
    return build(json.loads(json.dumps(DOC)), FileContext("secretive.yaml", "/tmp"))


def test_the_secrets_are_registry_passwords_tokens_and_http_headers():
    assert sorted(secret_values(environment())) == ["Bearer http-header", "hunter2-registry", "xoxb-slack-token"]
    assert hidden({"a": ["x hunter2-registry y", 3]}, ["hunter2-registry"]) == {"a": ["x ******** y", 3]}


def test_dump_is_the_instances_with_their_dependencies_and_no_secret():
    env = environment()
    doc = dump(env, ["db-1", "app-1"])
    assert list(doc) == ["instances"] and list(doc["instances"]) == ["db-1", "app-1"]
    app = doc["instances"]["app-1"]
    assert app["env"]["MODE"] == "prod" and app["env"]["REGISTRY_PASSWORD"] == "********"
    assert app["env"]["DB_DB_1_HOST"] == "10.250.0.2"  # the dependency variables, as the container gets them
    full = json.dumps(dump(env, ["app-1"], config=True))
    assert "environment" in json.loads(full) and '"ships"' in full and "ship1" in full
    for secret in ("hunter2", "xoxb", "http-header"):
        assert secret not in full
