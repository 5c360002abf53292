# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-vault data in environment files: inline ``!vault`` values, wholly encrypted files.

The model imports no Ansible: the caller hands :class:`Vault` a function that returns Ansible's
``VaultLib`` (or anything with its ``decrypt_and_get_vault_id``), called the first time a file
holds vault data, so a file without any never imports Ansible's vault code.

A decrypted value is a :class:`Secret`: a ``str`` (the container gets the clear value) that
carries a keyed digest. Wherever a fingerprint of settings is written outside the container
(the ``maestro.ng.digest`` label, a plan's digests) the digest stands for the value: it changes
with the value, and without the vault password it lets no one test a guess of it.

An instance spec says where its secrets are in ``secret_digests``, a mapping shaped like the
spec (``{"env": {"DB_PASSWORD": DIGEST}}``), so they are known on both sides of a module's JSON:
:func:`split` takes them out of a spec (the inventory keeps them apart, as vault values),
:func:`merge` puts them back, :func:`clear_values` lists them for masking.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Callable, Iterator, Mapping, Optional

from ..defaults import HIDDEN
from ..errors import MaestroError

HEADER = "$ANSIBLE_VAULT;"
DIGESTS = "secret_digests"  # the instance spec key (records.InstanceSpec)
# The vault secret is stretched as ansible-vault stretches it (PBKDF2-SHA256, 10000 rounds), so a
# digest is no cheaper a way to guess the vault password than the encrypted file itself.
_ROUNDS = 10000
_SALT = b"maestro.ng secret digest"
NO_PASSWORD = (
    "vault-encrypted, but no vault password was given "
    "(--vault-id, --vault-password-file, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE)"
)
# Shorter values ("1", "on") are hidden where they stand (a diff, the inventory), not in free text:
# there they would hide every digit of a count, and they let nothing worth guarding be guessed.
MIN_HIDDEN = 4


class Secret(str):
    """A clear value that came from vault data; ``digest`` stands for it wherever it must not,
    ``ciphertext`` is the ``!vault`` text it was (None: a value of a wholly encrypted file)."""

    digest: str
    ciphertext: Optional[str]

    def __new__(cls, value: str, digest: str, ciphertext: Optional[str] = None) -> Secret:
        secret = super().__new__(cls, value)
        secret.digest = digest
        secret.ciphertext = ciphertext
        return secret

    def __reduce__(self):  # copies and pickles stay secrets
        return (Secret, (str(self), self.digest, self.ciphertext))


def is_vaulted(text: str) -> bool:
    return text.lstrip().startswith(HEADER)


class Vault:
    """Decrypts vault data with the vault secrets ``opener()`` gives (None: none were given)."""

    def __init__(self, opener: Optional[Callable[[], Any]] = None):
        self._opener = opener
        self._lib: Any = None
        self._keys: dict[bytes, bytes] = {}  # a vault secret -> its digest key
        self.secrets: list[Secret] = []  # every value made a secret, in the order read
        # Set once a whole file was opened: the values secret by nature (env, registry credentials,
        # audit tokens) then become secrets too, digested with it.
        self.file_key: Optional[bytes] = None

    def value(self, text: str) -> Secret:
        """The Secret of one encrypted value (a ``!vault`` scalar)."""
        return self.secret(*self.decrypt(text), ciphertext=text.strip())

    def secret(self, clear: str, key: bytes, ciphertext: Optional[str] = None) -> Secret:
        """``clear`` as a Secret, digested with ``key`` (a decrypt() key)."""
        made = Secret(clear, hmac.new(key, clear.encode("utf-8"), hashlib.sha256).hexdigest()[:16], ciphertext)
        self.secrets.append(made)
        return made

    def decrypt(self, text: str) -> tuple[str, bytes]:
        """(the clear text of vault data ``text``, the digest key of the vault secret that opened it).
        Raises MaestroError (no password, or none that opens it), to be located by the caller."""
        if self._lib is None:
            self._lib = self._opener() if self._opener else None
        if self._lib is None or not getattr(self._lib, "secrets", None):
            raise MaestroError(NO_PASSWORD)
        try:
            plain, dummy, secret = self._lib.decrypt_and_get_vault_id(text.strip())
        except Exception as exc:  # Ansible's AnsibleVaultError / AnsibleError: its message is the story
            message = str(getattr(exc, "message", None) or exc).strip().splitlines()[0]
            raise MaestroError("vault-encrypted, and no vault password given decrypts it (%s)" % message) from None
        try:
            clear = plain.decode("utf-8")
        except UnicodeDecodeError:
            raise MaestroError("vault-encrypted, but not UTF-8 text once decrypted") from None
        return clear, self._key(secret.bytes)

    def _key(self, password: bytes) -> bytes:
        if password not in self._keys:
            self._keys[password] = hashlib.pbkdf2_hmac("sha256", password, _SALT, _ROUNDS)
        return self._keys[password]


def digests(spec: Any) -> Any:
    """The ``secret_digests`` of a spec: its shape, with each Secret's digest (an empty mapping: none)."""
    if isinstance(spec, Secret):
        return spec.digest
    items: Any = spec.items() if isinstance(spec, dict) else enumerate(spec) if isinstance(spec, list) else ()
    found = {}
    for key, value in items:
        if key == DIGESTS:
            continue
        inner = digests(value)
        if inner:
            found[str(key)] = inner
    return found


def _paths(mirror: Mapping[str, Any], prefix: tuple = ()) -> Iterator[tuple[tuple, str]]:
    for key, value in mirror.items():
        if isinstance(value, dict):
            yield from _paths(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _step(container: Any, key: str) -> Any:
    return int(key) if isinstance(container, list) else key


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        try:
            data = data[_step(data, key)]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return data


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[_step(data, key)]
    data[_step(data, path[-1])] = value


def clear_values(spec: Mapping[str, Any]) -> list[str]:
    """The clear values at the spec's secret paths, longest first (what to mask in its output)."""
    found = {str(value) for path, dummy in _paths(spec.get(DIGESTS) or {}) for value in [_get(spec, path)]}
    return sorted((value for value in found if len(value) >= MIN_HIDDEN and value != HIDDEN), key=len, reverse=True)


def stand_ins(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(clear value, its digest) for each secret of the spec: what a fingerprint writes instead."""
    pairs = {}
    for path, digest in _paths(spec.get(DIGESTS) or {}):
        value = _get(spec, path)
        if isinstance(value, str) and value:
            pairs[value] = digest
    return sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)


def fingerprint(text: str, spec: Mapping[str, Any]) -> str:
    """A short SHA-256 of ``text`` (settings of ``spec`` as JSON) with each secret's digest in its place."""
    for clear, digest in stand_ins(spec):
        text = text.replace(clear, "<secret %s>" % digest)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def secret_settings(spec: Mapping[str, Any]) -> set[str]:
    """The dotted names of the spec's secret settings (``env.DB_PASSWORD``), as drift names them."""
    return {".".join(path) for path, dummy in _paths(spec.get(DIGESTS) or {})}


def split(spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(a copy of ``spec`` with each secret replaced by HIDDEN, its secrets in its shape)."""
    public = _copy(spec)
    hidden_ones: dict[str, Any] = {}
    for path, dummy in _paths(spec.get(DIGESTS) or {}):
        value = _get(spec, path)
        _set(public, path, HIDDEN)
        mirror = hidden_ones
        for key in path[:-1]:
            mirror = mirror.setdefault(key, {})
        mirror[path[-1]] = value
    return public, hidden_ones


def split_all(specs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(instance specs by name, each with its secrets HIDDEN; {name: its secrets}, for those with any):
    what the lookup and the inventory give, so a spec can be shown and its secrets stay apart."""
    public, secrets = {}, {}
    for name, spec in specs.items():
        if spec.get(DIGESTS):
            public[name], secrets[name] = split(spec)
        else:
            public[name] = spec
    return public, secrets


def merge(spec: dict[str, Any], secrets: Optional[Mapping[str, Any]]) -> None:
    """Put ``secrets`` (split()'s second part) back into ``spec``; a secret path still HIDDEN fails."""
    secrets = secrets or {}
    for path, dummy in _paths(spec.get(DIGESTS) or {}):
        value = _get(secrets, path)
        if value is None:
            if _get(spec, path) == HIDDEN:
                raise MaestroError(
                    "%s: %s is a vault value: give it in the secrets option (the inventory's "
                    "maestro_instance_secrets[%r])" % (spec.get("name"), ".".join(path), spec.get("name"))
                )
            continue
        _set(spec, path, str(value))


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _copy(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copy(value) for value in data]
    return data
