# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible's vault for the engine (model/vault.py): the run's vault secrets (--vault-id,
--vault-password-file, --ask-vault-pass, ANSIBLE_VAULT_PASSWORD_FILE, ansible.cfg) open an
environment file's vault data, and its secrets go back to Ansible as vault values, which Ansible
decrypts where a task uses them, never clear in a variable."""

from __future__ import annotations

from typing import Any

from ansible.parsing.vault import EncryptedString

from ansible_collections.maestro.ng.plugins.module_utils.model.vault import Secret, Vault


def run_vault(loader: Any) -> Vault:
    """A Vault opening vault data with the vault secrets of ``loader`` (a plugin's DataLoader,
    which ansible-playbook, ansible-inventory and ansible give the run's secrets)."""
    return Vault(lambda: loader._vault)  # pylint: disable=protected-access  # no public accessor


def vaulted(data: Any, loader: Any) -> Any:
    """A copy of plain data with every Secret as Ansible's vault value: its own ``!vault`` text,
    or (a value of a wholly encrypted file) encrypted anew with the run's first vault secret."""
    made: dict[int, EncryptedString] = {}

    def convert(value):
        if isinstance(value, Secret):
            if id(value) not in made:
                ciphertext = value.ciphertext
                if ciphertext is None:
                    lib = loader._vault  # pylint: disable=protected-access
                    vault_id, secret = lib.secrets[0]
                    ciphertext = lib.encrypt(str(value), secret, vault_id=vault_id).decode("ascii")
                made[id(value)] = EncryptedString(ciphertext=ciphertext)
            return made[id(value)]
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    return convert(data)
