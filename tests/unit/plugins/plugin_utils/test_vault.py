"""ansible-vault data in environment files (model/vault.py, loader.py), opened with Ansible's own VaultLib as
the controller-side plugins open it (here: not a module_utils test, which may not import Ansible's controller code)."""

import json

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import config_digest, desired_config
from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import differences
from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment
from ansible_collections.maestro.ng.plugins.module_utils.model.secrets import secret_values
from ansible_collections.maestro.ng.plugins.module_utils.model.vault import (
    Secret,
    Vault,
    clear_values,
    merge,
    split,
    split_all,
)
from ansible_collections.maestro.ng.plugins.module_utils.run.plans import spec_digest

PASSWORD = b"the-vault-password"
LIB = VaultLib([("default", VaultSecret(PASSWORD))])


def vault(password=PASSWORD):
    return Vault(lambda: VaultLib([("default", VaultSecret(password))]))


def encrypted(text):
    return LIB.encrypt(text, LIB.secrets[0][1]).decode("ascii")


def inline(text, indent):
    return "!vault |\n" + "\n".join(" " * indent + line for line in encrypted(text).splitlines())


def write(folder, db="s3cret-db", envfile=None, extra=""):
    (folder / "env.yaml").write_text(
        "name: vt\n"
        "ships: {s1: {ip: 10.0.0.1}}\n"
        "services:\n"
        "  db:\n"
        "    image: postgres:16\n" + ("    envfile: app.env\n" if envfile else "") + "    env:\n"
        "      DB_PASSWORD: %s\n"
        "      PLAIN: visible\n"
        "    instances:\n"
        "      db-1: {ship: s1}\n" % inline(db, 8) + extra
    )
    if envfile:
        (folder / "app.env").write_text(encrypted(envfile))
    return str(folder / "env.yaml")


def test_an_inline_value_is_a_secret_with_its_ciphertext_and_a_keyed_digest(tmp_path):
    env = environment.load(write(tmp_path), vault=vault())
    spec = env.instances["db-1"]
    value = spec["env"]["DB_PASSWORD"]
    assert value == "s3cret-db" and isinstance(value, Secret) and value.ciphertext.startswith("$ANSIBLE_VAULT")
    assert spec["env"]["PLAIN"] == "visible" and not isinstance(spec["env"]["PLAIN"], Secret)
    assert spec["secret_digests"] == {"env": {"DB_PASSWORD": value.digest}}
    assert secret_values(env) == ["s3cret-db"]
    # The same value opened again (re-encrypted, other salt) has the same digest; another password, another.
    again = environment.load(write(tmp_path), vault=vault()).instances["db-1"]
    assert again["secret_digests"] == spec["secret_digests"]


def test_the_digest_is_keyed_by_the_vault_password(tmp_path):
    one = environment.load(write(tmp_path), vault=vault()).instances["db-1"]["secret_digests"]
    lib = VaultLib([("default", VaultSecret(b"second-password"))])
    path = tmp_path / "env.yaml"
    text = path.read_text()
    start = text.index("!vault |")
    end = text.index("      PLAIN")
    block = lib.encrypt("s3cret-db", lib.secrets[0][1]).decode("ascii")
    path.write_text(
        text[:start] + "!vault |\n" + "\n".join(" " * 8 + x for x in block.splitlines()) + "\n" + text[end:]
    )
    two = environment.load(str(path), vault=vault(b"second-password")).instances["db-1"]["secret_digests"]
    assert one != two


def test_digests_stand_for_the_secret_and_file_without_one_keeps_its_digests(tmp_path):
    spec = environment.load(write(tmp_path), vault=vault()).instances["db-1"]
    desired = desired_config(spec)
    label = config_digest(desired, spec)
    changed = json.loads(json.dumps(spec))
    changed["env"]["DB_PASSWORD"] = "another-value"
    changed["secret_digests"]["env"]["DB_PASSWORD"] = "0" * 16
    assert config_digest(desired_config(changed), changed) != label
    # Keyed: not the plain SHA-256 of the settings (which would let the value be tested by guessing).
    assert config_digest(desired, dict(spec, secret_digests={})) != label
    # The digest of a spec from the module's JSON (a str, no Secret) is the same.
    assert config_digest(desired_config(json.loads(json.dumps(spec))), json.loads(json.dumps(spec))) == label
    plain = json.loads(json.dumps(spec))
    plain["secret_digests"] = {}
    assert spec_digest(plain) == spec_digest({k: v for k, v in plain.items() if k != "secret_digests"})


def test_a_whole_env_file_and_a_whole_environment_file_make_their_values_secrets(tmp_path):
    env = environment.load(write(tmp_path, envfile="FROM_FILE=from-the-file\nN=1\n"), vault=vault())
    spec = env.instances["db-1"]
    assert (spec["env"]["FROM_FILE"], spec["env"]["N"]) == ("from-the-file", "1")
    assert set(spec["secret_digests"]["env"]) == {"DB_PASSWORD", "FROM_FILE", "N"}
    assert "1" not in secret_values(env)  # too short to hide in free text (hidden where it stands)
    (tmp_path / "whole.yaml").write_text(
        encrypted(
            "name: whole\nships: {s1: {ip: 10.0.0.1}}\nregistries: {r: {registry: 'https://r.example/v2/', "
            "username: robot, password: pw-of-robot}}\n"
            "services: {db: {image: postgres:16, env: {A: alpha-value}, instances: {db-1: {ship: s1}}}}\n"
        )
    )
    whole = environment.load(str(tmp_path / "whole.yaml"), vault=vault())
    assert whole.instances["db-1"]["image"] == "postgres:16"
    assert set(whole.instances["db-1"]["secret_digests"]["env"]) == {"A"}
    assert {"alpha-value", "pw-of-robot", "robot"} <= set(secret_values(whole))


def test_an_included_template_may_be_encrypted(tmp_path):
    (tmp_path / "ships.yaml").write_text(encrypted("ships: {s1: {ip: 10.0.0.7}}\n"))
    (tmp_path / "env.yaml").write_text(
        "name: inc\n{% include 'ships.yaml' %}\nservices: {a: {image: x, instances: {a-1: {ship: s1}}}}\n"
    )
    env = environment.load(str(tmp_path / "env.yaml"), vault=vault())
    assert env.ships["s1"]["ip"] == "10.0.0.7"


@pytest.mark.parametrize(
    "opener, words",
    [
        (None, "services.db.env.DB_PASSWORD: vault-encrypted, but no vault password was given"),
        ("wrong", "services.db.env.DB_PASSWORD: vault-encrypted, and no vault password given decrypts it"),
    ],
)
def test_a_missing_or_wrong_password_names_the_file_line_and_key(tmp_path, opener, words):
    path = write(tmp_path)
    with pytest.raises(MaestroError) as caught:
        environment.load(path, vault=None if opener is None else vault(b"wrong"))
    assert str(caught.value).startswith("%s:7: %s" % (path, words)), str(caught.value)


def test_a_wholly_encrypted_file_without_password_is_named(tmp_path):
    (tmp_path / "whole.yaml").write_text(encrypted("name: x\n"))
    with pytest.raises(MaestroError, match=r"whole.yaml: the file is vault-encrypted, but no vault password"):
        environment.load(str(tmp_path / "whole.yaml"))
    (tmp_path / "app.env").write_text(encrypted("A=1\n"))
    (tmp_path / "env.yaml").write_text(
        "name: x\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  a:\n    image: x\n    envfile: app.env\n"
        "    instances: {a-1: {ship: s1}}\n"
    )
    with pytest.raises(
        MaestroError, match=r"env.yaml:6: services.a.envfile: env file app.env is vault-encrypted, but no"
    ):
        environment.load(str(tmp_path / "env.yaml"))


def test_an_error_quoting_a_secret_hides_it(tmp_path):
    (tmp_path / "env.yaml").write_text(
        "name: x\nships: {s1: {ip: 10.0.0.1}}\nservices:\n  a:\n    image: %s\n    instances: {a-1: {ship: s1}}\n"
        % inline("Not A Valid Image Secret", 6)
    )
    with pytest.raises(MaestroError) as caught:
        environment.load(str(tmp_path / "env.yaml"), vault=vault())
    assert "Not A Valid Image Secret" not in str(caught.value) and "********" in str(caught.value), str(caught.value)


def test_split_merge_and_the_drift_of_a_secret(tmp_path):
    spec = json.loads(json.dumps(environment.load(write(tmp_path), vault=vault()).instances["db-1"]))
    public, secrets = split(spec)
    assert public["env"]["DB_PASSWORD"] == "********" and secrets == {"env": {"DB_PASSWORD": "s3cret-db"}}
    assert split_all({"db-1": spec, "other": {"name": "other"}}) == (
        {"db-1": public, "other": {"name": "other"}},
        {"db-1": secrets},
    )
    with pytest.raises(MaestroError, match="env.DB_PASSWORD is a vault value: give it in the secrets option"):
        merge(json.loads(json.dumps(public)), None)
    merge(public, secrets)
    assert public == spec and clear_values(spec) == ["s3cret-db"]
    container = {
        "Image": "sha256:x",
        "Config": {"Env": ["DB_PASSWORD=old-value-here", "PLAIN=visible"], "Labels": {}},
        "HostConfig": {},
    }
    found = [d for d in differences(spec, container, {"Id": "sha256:x", "Config": {}}) if d.setting.startswith("env.")]
    by_setting = {d.setting: d for d in found}
    assert by_setting["env.DB_PASSWORD"].reason == "env.DB_PASSWORD changed"
    assert (by_setting["env.DB_PASSWORD"].before, by_setting["env.DB_PASSWORD"].after) == ("********", "********")
