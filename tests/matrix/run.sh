#!/usr/bin/env bash
# tests/matrix/run.sh - `make test-matrix`: the collection on the ansible-core releases after the
# 2.19 of `make test`, each on its own Python (one "cell" each):
#
#   cell  ansible-core pinned in        Python  smoke on lab ships
#   2.20  tests/matrix/ansible-2.20.txt 3.12    30-32
#   2.21  tests/matrix/ansible-2.21.txt 3.13    33-35
#
# For each cell:
#   venv    the cell's pinned requirements in a venv of its own, kept in $MAESTRO_MATRIX_CACHE
#           (default ~/.cache/maestro-ng-matrix) and reused while the requirements file and the
#           Python are unchanged;
#   unit    pytest tests/unit with `python -W default` (Python's deprecation warnings shown; one
#           raised from the collection's own code fails);
#   sanity  ansible-test sanity of that ansible-core (tests/sanity/run.sh: no ignore file; its test
#           venvs are cached by ansible-test under ~/.ansible/test);
#   smoke   tests/matrix/smoke.py: examples/demo.yaml started, started again (changed=0), status,
#           stop, clean on three lab ships through the FQCN playbooks of the built and installed
#           tarball; a deprecation warning that names this collection fails it.
# Everything runs with ANSIBLE_DEPRECATION_WARNINGS=true. The run ends with a table (cell, unit
# tests, sanity, smoke, wall time) and exits non-zero if any cell failed.
#
#   tests/matrix/run.sh              every cell
#   tests/matrix/run.sh 2.21         only the named cells
#
# A cell's Python is looked up with pyenv (the newest installed X.Y.*), then on PATH; a cell whose
# Python is missing is skipped with a line saying so, or fails with CI=true. The smoke needs the lab
# (root, Docker): without it, it is skipped, or fails with MAESTRO_REQUIRE_LAB=1 (as in CI).
# MAESTRO_MATRIX_JOBS=2 runs the two cells at the same time (each one's output is printed when it
# ends); the default, 1, runs them one after the other.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MATRIX=$REPO/tests/matrix
CACHE=${MAESTRO_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/maestro-ng-matrix}
JOBS=${MAESTRO_MATRIX_JOBS:-1}
# cell, Python version, first lab ship of its smoke test
CELLS=("2.20 3.12 30" "2.21 3.13 33")

export ANSIBLE_CONFIG=$REPO/ansible.cfg ANSIBLE_DEPRECATION_WARNINGS=true
is_ci() { [[ ${CI:-} == true ]]; }

# The interpreter of Python $1 (X.Y): pyenv's newest X.Y.*, else pythonX.Y on PATH (one that runs:
# pyenv's shims are on PATH too).
find_python() {
    local version py
    if command -v pyenv > /dev/null; then
        for version in $(pyenv versions --bare 2> /dev/null | grep -E "^${1//./\\.}(\.[0-9]+)?$" | sort -r -V); do
            py=$(PYENV_VERSION=$version pyenv which "python$1" 2> /dev/null) && [[ -x $py ]] && { echo "$py"; return 0; }
        done
    fi
    py=$(command -v "python$1") || return 1
    "$py" -c 'import sys, venv; print(sys.executable)' 2> /dev/null
}

# The venv of cell $1 with Python $2, (re)built only when its requirements or its Python changed.
cell_venv() {
    local cell=$1 py=$2 req=$MATRIX/ansible-$1.txt dir=$CACHE/ansible-$1 key
    key=$({ cat "$req"; "$py" -c 'import sys; print(sys.version, sys.executable)'; } | sha256sum | cut -c1-16)
    if [[ -f $dir/.matrix-key && $(< "$dir/.matrix-key") == "$key" ]] && "$dir/bin/python" -c 'import ansible' 2> /dev/null; then
        echo "venv: $dir (reused)"
        return 0
    fi
    echo "venv: $dir (building from $(basename "$req"))"
    rm -rf "$dir"
    mkdir -p "$CACHE"
    "$py" -m venv "$dir"
    if ! "$dir/bin/pip" install -q --disable-pip-version-check -r "$req" > "$dir.pip.log" 2>&1; then
        grep -v '^WARNING: Location' "$dir.pip.log" | tail -n 20
        return 1
    fi
    echo "$key" > "$dir/.matrix-key"
}

# Run cell $1 (Python $2, smoke on ships $3..$3+2); write its table row to $logs/$1.row.
run_cell() {
    local cell=$1 version=$2 first=$3 started=$SECONDS py venv core t rc out
    local unit="-" sanity="-" smoke="-" failed=0
    printf '\n---------- cell %s: ansible-core %s on Python %s ----------\n' "$cell" "$cell" "$version"
    if ! py=$(find_python "$version"); then
        if is_ci; then
            echo "cell $cell: FAILED: Python $version not found (pyenv or PATH), and CI=true needs every cell"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cell" "Python $version missing" "-" "-" "-" "FAILED" > "$logs/$cell.row"
        else
            echo "cell $cell: SKIPPED: Python $version not found (pyenv or PATH)"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cell" "Python $version missing" "-" "-" "-" "skipped" > "$logs/$cell.row"
        fi
        return 0
    fi
    venv=$CACHE/ansible-$cell
    if ! cell_venv "$cell" "$py"; then
        echo "cell $cell: FAILED: could not build its venv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cell" "$py" "venv failed" "-" "-" "FAILED" > "$logs/$cell.row"
        return 0
    fi
    core=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
    echo "python: $py ($("$venv/bin/python" -V 2>&1)), ansible-core $core"

    echo "== unit tests"
    t=$SECONDS rc=0
    # A DeprecationWarning raised from the collection's own modules is an error; others are shown.
    (cd "$REPO" && MAESTRO_MATRIX=1 "$venv/bin/python" -W default -m pytest -q -p no:cacheprovider \
        -o 'filterwarnings=error::DeprecationWarning:(ansible_collections\.maestro|maestro_cli)' tests/unit) \
        > "$logs/$cell.unit.log" 2>&1 || rc=$?
    grep -v '^[.sFEx]*\( *\[ *[0-9]*%\]\)\?$' "$logs/$cell.unit.log" || true
    out=$(grep -E '^=*.* in [0-9.]+s' "$logs/$cell.unit.log" | tail -n 1 | sed -e 's/^=* //' -e 's/ in [0-9.]*s.*//')
    unit="${out:-no summary} ($((SECONDS - t))s)"
    (( rc == 0 )) || { unit="FAILED: $unit"; failed=1; }

    echo "== ansible-test sanity"
    t=$SECONDS rc=0
    ANSIBLE_TEST=$venv/bin/ansible-test MAESTRO_SANITY_UNITS=0 bash "$REPO/tests/sanity/run.sh" \
        > "$logs/$cell.sanity.log" 2>&1 || rc=$?
    grep -E '^(Running sanity test|ERROR|FATAL|WARNING: (Skipping|Required|Reviewing))' "$logs/$cell.sanity.log" || true
    out="$(grep -c '^Running sanity test' "$logs/$cell.sanity.log" || true) tests"
    if (( rc == 0 )); then
        sanity="passed, $out ($((SECONDS - t))s)"
    else
        sanity="FAILED: $(grep -cE '^ERROR: [^ ]+:[0-9]+:[0-9]+:' "$logs/$cell.sanity.log" || true) findings, $out ($((SECONDS - t))s)"
        failed=1
    fi

    echo "== smoke on lab ships $first-$((first + 2))"
    t=$SECONDS rc=0
    (cd "$REPO" && "$venv/bin/python" "$MATRIX/smoke.py" --first-ship "$first") > "$logs/$cell.smoke.log" 2>&1 || rc=$?
    cat "$logs/$cell.smoke.log"
    out=$(grep -E '^smoke: ' "$logs/$cell.smoke.log" | tail -n 1 | sed -e 's/^smoke: //' -e 's/ (.*//' -e 's/:.*//')
    smoke="${out:-FAILED} ($((SECONDS - t))s)"
    (( rc == 0 )) || { smoke="FAILED ($((SECONDS - t))s)"; failed=1; }

    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cell" "ansible-core $core, Python ${version}" "$unit" "$sanity" "$smoke" \
        "$( (( failed )) && echo FAILED || echo passed) in $(( (SECONDS - started) / 60 ))m$(( (SECONDS - started) % 60 ))s" \
        > "$logs/$cell.row"
}

# --------------------------------------------------------------- main
wanted=("$@")
logs=$(mktemp -d "${TMPDIR:-/tmp}/maestro-matrix.XXXXXX")
started=$SECONDS
echo "test-matrix: cells ${wanted[*]:-2.20 2.21}; logs in $logs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
pids=()
for spec in "${CELLS[@]}"; do
    read -r cell version first <<< "$spec"
    if (( ${#wanted[@]} )) && [[ " ${wanted[*]} " != *" $cell "* ]]; then
        continue
    fi
    if (( JOBS > 1 )); then
        run_cell "$cell" "$version" "$first" > "$logs/$cell.log" 2>&1 &
        pids+=($!)
    else
        run_cell "$cell" "$version" "$first"
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || true
done
if (( JOBS > 1 )); then
    cat "$logs"/*.log 2> /dev/null | grep -v '^$' || true
fi

printf '\n========== test-matrix: %ss in all (load average now %s) ==========\n' \
    "$((SECONDS - started))" "$(cut -d' ' -f1-3 /proc/loadavg)"
passed=0 failed=0 skipped=0
{
    printf 'cell\tversions\tunit tests\tsanity\tsmoke\tresult, wall time\n'
    for row in "$logs"/*.row; do
        [[ -e $row ]] || continue
        cat "$row"
        case $(cut -f6 "$row") in
            passed*) passed=$((passed + 1)) ;;
            skipped*) skipped=$((skipped + 1)) ;;
            *) failed=$((failed + 1)) ;;
        esac
    done
} > "$logs/table.tsv"
column -t -s $'\t' "$logs/table.tsv"
if (( passed + failed + skipped == 0 )); then
    echo "test-matrix: no such cell: ${wanted[*]} (cells: 2.20 2.21)" >&2
    exit 2
fi
echo "test-matrix: $passed passed, $failed failed, $skipped skipped"
(( failed == 0 ))
