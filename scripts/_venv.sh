# Sourced by scripts/demo and scripts/test: make ./.venv match requirements.lock.
#
# Creates .venv with Python 3.11 when it is missing, installs the pinned
# packages from requirements.lock and renkou itself (editable, no deps).
# Skips pip entirely when requirements.lock and pyproject.toml are unchanged
# since the last install (a hash stamp lives in .venv/.renkou-installed).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '[renkou] %s\n' "$*" >&2; }

find_python() {
    local candidate
    for candidate in "${RENKOU_PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        if ! python="$(find_python)"; then
            say "Python 3.11 is required (set RENKOU_PYTHON=/path/to/python3.11)."
            return 1
        fi
        say "creating $VENV with $("$python" --version 2>&1)"
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.renkou-installed" want have=""
    want="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" != "$have" ] || [ ! -x "$VENV/bin/renkou" ]; then
        say "installing pinned packages from requirements.lock"
        "$VENV/bin/python" -m pip install -qq -r "$ROOT/requirements.lock"
        "$VENV/bin/python" -m pip install -qq --no-deps -e "$ROOT"
        echo "$want" >"$stamp"
    fi
}
