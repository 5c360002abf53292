"""maestro.ng.container's options: what Ansible's no_log may hide of the registries option."""

from ansible.module_utils.basic import remove_values

from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import registry_secrets_only

OPTION = {
    "lab": {
        "name": "lab",
        "registry": "https://10.250.0.1:5443/v2/",
        "username": "maestro",
        "password": "Secret-123",
        "email": None,
        "retry": {"attempts": 3, "when": [503]},
    }
}


def test_only_the_passwords_and_the_client_key_stay_hidden():
    # What Ansible lists for no_log options: every value of registries, and client_key.
    listed = {"lab", "https://10.250.0.1:5443/v2/", "maestro", "Secret-123", "3", "503", "/keys/client.pem"}
    kept = registry_secrets_only(listed, {"registries": OPTION, "client_key": "/keys/client.pem"})
    assert kept == {"Secret-123", "/keys/client.pem"}
    shown = remove_values(
        {"msg": "registry lab (https://10.250.0.1:5443/v2/, user maestro) refused Secret-123", "id": "3f3c"}, kept
    )
    assert shown == {"msg": "registry lab (https://10.250.0.1:5443/v2/, user maestro) refused ********", "id": "3f3c"}


def test_a_password_equal_to_another_value_stays_hidden():
    option = {"lab": dict(OPTION["lab"], password="maestro")}
    assert registry_secrets_only({"lab", "maestro", "3"}, {"registries": option, "client_key": None}) == {"maestro"}
