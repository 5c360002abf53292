#!/usr/bin/env bash
# tests/sanity/run.sh - `ansible-test sanity` (with no ignore file), then `ansible-test units`,
# on this checkout.
#
# ansible-test wants to run from inside ansible_collections/NAMESPACE/NAME, so this copies
# the files git knows about (tracked and untracked-but-not-ignored: no .venv, caches or
# bench results) into a temporary ansible_collections/maestro/ng, drops the collections/
# symlink (it points back at the checkout) and runs ansible-test there.
#
#   tests/sanity/run.sh                      every sanity test, then the unit tests
#   tests/sanity/run.sh --test pylint        extra arguments go to ansible-test sanity
#
# Environment: ANSIBLE_TEST (default: the venv's ansible-test), MAESTRO_SANITY_PYTHON
# (default: the version of the venv's Python), MAESTRO_SANITY_UNITS=0 skips ansible-test
# units, MAESTRO_SANITY_KEEP=1 keeps the temporary tree (and ansible-test's tests/output)
# for a look after a failure.
#
# ansible-test bootstraps pip in its sanity venvs with a get-pip script it downloads from
# ci-files.testing.ansible.com; when that is not cached, an offline stand-in installing
# pip from the interpreter's own ensurepip is written in its place (PyPI is still needed
# for the sanity tests' requirements).
#
# `ansible-test units` runs tests/unit with the venv's pytest (as `make unit` does, but from
# the collection layout ansible-test uses; the tests that need a source checkout skip).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ANSIBLE_TEST=${ANSIBLE_TEST:-$REPO/.venv/bin/ansible-test}
[[ -x $ANSIBLE_TEST ]] || { echo "run.sh: $ANSIBLE_TEST not found (make venv)" >&2; exit 2; }
# The interpreter ansible-test runs with (from its shebang).
PYTHON=$(head -n 1 "$ANSIBLE_TEST" | sed -e 's/^#!//' -e 's/ .*$//')
PYTHON_VERSION=${MAESTRO_SANITY_PYTHON:-$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

# --------------------------------------------------------------- get-pip stand-in
pip_version=$("$PYTHON" - "$PYTHON_VERSION" 2>/dev/null <<'EOF' || echo 24.2
import sys
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

print(get_venv_packages(SimpleNamespace(version=sys.argv[1]))["pip"])
EOF
)
get_pip=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [[ ! -s $get_pip ]]; then
    mkdir -p "$(dirname "$get_pip")"
    cat > "$get_pip" <<'EOF'
# Offline stand-in for pip's get-pip.py: install pip from the interpreter's own ensurepip.
import ensurepip
ensurepip.bootstrap(upgrade=True)
EOF
    echo "run.sh: wrote an offline get-pip stand-in: $get_pip"
fi

# --------------------------------------------------------------- the collection tree
work=$(mktemp -d "${TMPDIR:-/tmp}/maestro-sanity.XXXXXX")
if [[ ${MAESTRO_SANITY_KEEP:-} == 1 ]]; then
    echo "run.sh: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
tree=$work/ansible_collections/maestro/ng
mkdir -p "$tree"
# Files deleted in the work tree but not yet in git are left out.
(cd "$REPO" && git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' path; do
          if [[ -e $path || -L $path ]]; then printf '%s\0' "$path"; fi
      done \
    | tar --null -cf - -T -) | tar -xf - -C "$tree"
rm -rf "$tree/collections"

# --------------------------------------------------------------- ansible-test
cd "$tree"
status=0
"$ANSIBLE_TEST" sanity --python "$PYTHON_VERSION" --color no "$@" || status=$?
if [[ ${MAESTRO_SANITY_UNITS:-1} != 0 ]]; then
    "$ANSIBLE_TEST" units --python "$PYTHON_VERSION" --color no || status=$?
fi
exit "$status"
