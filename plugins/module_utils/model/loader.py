# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an environment file the way MaestroNG does: Jinja2 first, then safe YAML.

The YAML loader rejects duplicate keys (PyYAML silently keeps the last one) and
remembers the line of every value, so later errors can point at it. ansible-vault data is
opened with the caller's vault (vault.py): a ``!vault`` value, or a whole file (the
environment file, a template it includes, an env file) that ansible-vault encrypted.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import IO, Any, Mapping, Optional

from ..errors import MaestroError
from .vault import Vault, is_vaulted

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    yaml = None  # type: ignore[assignment]  # parse_yaml() says PyYAML is missing
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

STDIN = "-"
# The names an environment file is known by (the inventory plugin reads files that end so).
SUFFIXES = (".yml", ".yaml", ".maestro")

_BaseLoader: Any  # yaml's fastest SafeLoader; a placeholder without PyYAML
if not HAS_YAML:  # pragma: no cover - parse_yaml() says PyYAML is missing before using it
    _BaseLoader = object
else:
    try:  # the C parser is several times faster on large environments
        _BaseLoader = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        _BaseLoader = yaml.SafeLoader


class LineDict(dict):
    """A mapping that knows its own line and the line of each value."""

    __slots__ = ("line", "lines")


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    __slots__ = ("line", "lines")


def line_of(container: Any, key: Any = None) -> Optional[int]:
    """Line of ``container[key]`` (or of the container itself), if known."""
    lines = getattr(container, "lines", None)
    if key is not None and lines:
        if isinstance(container, LineDict):
            found = lines.get(key)
        elif isinstance(key, int) and 0 <= key < len(lines):
            found = lines[key]
        else:
            found = None
        if found:
            return found
    return getattr(container, "line", None)


class _Loader(_BaseLoader):
    """Safe loader building LineDict/LineList, refusing duplicate keys and opening ``!vault`` values."""

    def __init__(self, stream, vault):
        super().__init__(stream)
        self.path = []  # key path of the node being built, for error messages
        self.vault = vault


def _construct_mapping(loader, node):
    # Keys written in this mapping, as opposed to those a `<<:` merge brings in:
    # only they can be duplicates; they override merged ones, as YAML says.
    own = {id(key_node) for key_node, dummy in node.value if key_node.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)  # resolves `<<:` merge keys (merged pairs come first)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise MaestroError("mapping keys must be scalars", line=key_node.start_mark.line + 1) from None
        if id(key_node) not in own:
            pass  # merged: later merges and own keys replace it
        elif key in key_lines:
            raise MaestroError(
                "duplicate key %r (first defined on line %d)" % (key, key_lines[key]),
                path=loader.path + [key],
                line=key_node.start_mark.line + 1,
            )
        else:
            key_lines[key] = key_node.start_mark.line + 1
        loader.path.append(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        loader.path.pop()
        mapping.lines[key] = value_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader, node):
    seq = LineList()
    for index, child in enumerate(node.value):
        loader.path.append(index)
        seq.append(loader.construct_object(child, deep=True))
        loader.path.pop()
    seq.line = node.start_mark.line + 1
    seq.lines = [child.start_mark.line + 1 for child in node.value]
    return seq


def _construct_vault(loader, node):
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode):
        raise MaestroError("!vault takes the text ansible-vault encrypt_string prints", path=loader.path, line=line)
    try:
        return loader.vault.value(node.value)
    except MaestroError as exc:
        raise MaestroError(exc.message, path=loader.path, line=line) from None


if HAS_YAML:
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    _Loader.add_constructor("!vault", _construct_vault)


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else str(path)


def base_dir(path: str) -> str:
    """Folder that relative paths (includes, env files) resolve against."""
    if path == STDIN:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(path))


def read_source(path: str, stdin: Optional[IO[str]] = None) -> str:
    if path == STDIN:
        return (stdin or sys.stdin).read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise MaestroError("cannot read environment file: %s" % (exc.strerror or exc), file=display_name(path)) from exc
    except UnicodeDecodeError as exc:
        raise MaestroError("not UTF-8 text (%s)" % exc.reason, file=display_name(path)) from exc


def opened(text: str, display: str, vault: Optional[Vault]) -> str:
    """``text``, decrypted when ansible-vault encrypted it as a whole."""
    if not is_vaulted(text):
        return text
    vault = vault or Vault()
    try:
        clear, vault.file_key = vault.decrypt(text)
    except MaestroError as exc:
        raise MaestroError("the file is %s" % exc.message, file=display) from None
    return clear


def render(text: str, path: str, environ: Optional[Mapping[str, str]] = None, vault: Optional[Vault] = None) -> str:
    """Render the file as a Jinja2 template: ``env`` is the process environment."""
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text  # no Jinja2 delimiter (flow mappings are not): skip importing and running it
    import jinja2

    class Includes(jinja2.FileSystemLoader):
        """Included templates, opened when ansible-vault encrypted them."""

        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            return opened(source, filename or template, vault), filename, uptodate

    env = jinja2.Environment(
        loader=Includes(base_dir(path)),
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        return env.from_string(text).render(env=dict(os.environ if environ is None else environ))
    except jinja2.TemplateNotFound as exc:
        raise MaestroError(
            "template include not found: %s (looked in %s)" % (exc.name, base_dir(path)),
            file=display_name(path),
            line=_jinja_line(exc),
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise MaestroError("template syntax error: %s" % exc.message, file=display_name(path), line=exc.lineno) from exc
    except jinja2.TemplateError as exc:
        raise MaestroError("template error: %s" % exc, file=display_name(path), line=_jinja_line(exc)) from exc


def _jinja_line(exc):
    tb = exc.__traceback__
    line = None
    while tb is not None:  # Jinja2 rewrites tracebacks so template frames carry template lines
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def parse_yaml(text: str, path: str, vault: Optional[Vault] = None) -> Any:
    if not HAS_YAML:
        raise MaestroError(
            "reading environment files needs the PyYAML Python library (pip install PyYAML): %s"
            % str(YAML_IMPORT_ERROR).strip().splitlines()[-1],
            file=display_name(path),
        )
    try:
        loader = _Loader(text, vault or Vault())  # a SafeLoader
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except MaestroError as exc:
        exc.located(display_name(path))
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = "%s %s" % (exc.context, exc.problem)
        raise MaestroError(
            "YAML syntax error: %s" % problem, file=display_name(path), line=mark.line + 1 if mark else None
        ) from exc
    except yaml.YAMLError as exc:
        raise MaestroError("YAML error: %s" % exc, file=display_name(path)) from exc
    return data


def load_document(
    path: str,
    stdin: Optional[IO[str]] = None,
    environ: Optional[Mapping[str, str]] = None,
    vault: Optional[Vault] = None,
) -> Any:
    """Read, open, render and parse ``path`` (``-`` = standard input)."""
    text = opened(read_source(path, stdin), display_name(path), vault)
    return parse_yaml(render(text, path, environ, vault), path, vault)


def read_env_file(path: str, display: str, vault: Optional[Vault] = None) -> dict[str, str]:
    """Parse a Docker env file: KEY=value lines; blank lines and # comments skipped. Each value of
    a file ansible-vault encrypted is a Secret."""
    result = {}
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise MaestroError("cannot read env file %s: %s" % (display, exc.strerror or exc)) from exc
    except UnicodeDecodeError as exc:
        raise MaestroError("env file %s is not UTF-8 text (%s)" % (display, exc.reason)) from exc
    key = None
    vault = vault or Vault()
    if is_vaulted(text):
        try:
            text, key = vault.decrypt(text)
        except MaestroError as exc:
            raise MaestroError("env file %s is %s" % (display, exc.message)) from None
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise MaestroError("env file %s:%d: expected KEY=value, got %r" % (display, number, raw))
        result[name.strip()] = value if key is None else vault.secret(value, key)
    return result
