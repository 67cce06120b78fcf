#!/usr/bin/env bash
# Build the one-folder bundle of 研发惠企测算 on Linux and smoke-test it.
#
#   bash packaging/build.sh                  # build venv in build/venv (created on first use), → dist/rd-benefit/
#   RD_BUILD_VENV=.venv bash packaging/build.sh   # use an existing venv instead (pyinstaller is pip-installed into it)
#   RD_SKIP_SMOKE=1 bash packaging/build.sh  # build only
#
# Needs Python ≥ 3.11 with a shared libpython (the Debian/Ubuntu python3.11 and pyenv builds have it) and,
# for the offscreen smoke test, the Qt libraries scripts/bootstrap installs (libegl1, libxkbcommon0, fonts…).
# Result: dist/rd-benefit/rd-benefit (application and CLI), dist/rd-benefit/rd-benefit-cli (CLI), _internal/.
# The log of the last run is written to build/last_build.log; packaging/LAST_BUILD.md records a reviewed run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${RD_BUILD_VENV:-build/venv}"
PYINSTALLER_SPEC="${RD_PYINSTALLER:-pyinstaller>=6.10,<7}"
DIST="$ROOT/dist"
APP="$DIST/rd-benefit"
mkdir -p build
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
LOG="$ROOT/build/last_build.log"
: > "$LOG"

say() { echo "== $*" | tee -a "$LOG"; }
run() { echo "\$ $*" | tee -a "$LOG" >&2; "$@" 2>&1 | tee -a "$LOG" >&2; return "${PIPESTATUS[0]}"; }
# out FILE CMD…: CMD's standard output to FILE, its errors to the log
out() { local f="$1"; shift; echo "\$ $* > $(basename "$f")" | tee -a "$LOG" >&2; "$@" > "$f" 2>> "$LOG"; }

say "build started $(date -Iseconds) on $(uname -srm)"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating build venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
run "$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
run "$VPY" -m pip install -q --disable-pip-version-check "$ROOT" "$PYINSTALLER_SPEC"
# the project itself is bundled from the source tree (spec: pathex); keep only its dependencies in the venv
run "$VPY" -m pip uninstall -q -y rd-benefit-desk
run "$VPY" --version
run "$VPY" -m PyInstaller --version

say "pyinstaller"
START=$(date +%s)
run "$VPY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/rd-benefit.spec"
say "built in $(( $(date +%s) - START )) s: $APP ($(du -sh "$APP" | cut -f1), $(find "$APP" -type f | wc -l) files)"

if [ -n "${RD_SKIP_SMOKE:-}" ]; then
    say "smoke test skipped (RD_SKIP_SMOKE)"
    exit 0
fi

say "smoke test (outside the source tree, so nothing is read from it)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SAMPLE="$APP/_internal/resources/sample/sample_enterprise.xlsx"
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$WORK/config" HOME="$WORK"
(
    cd "$WORK"
    run "$APP/rd-benefit" --version
    out "$WORK/summary.txt" "$APP/rd-benefit" compute "$SAMPLE" --year 2024
    head -5 "$WORK/summary.txt" | tee -a "$LOG"
    out "$WORK/result.json" "$APP/rd-benefit-cli" compute "$SAMPLE" --year 2024 --json
    "$VPY" -c "import json,sys; d=json.load(open(sys.argv[1])); print('json ok:', sorted(d)[:8], '…')" \
        "$WORK/result.json" | tee -a "$LOG"
    run "$APP/rd-benefit" statement "$SAMPLE" --year 2024 -o "$WORK/报告.pdf"
    head -c 5 "$WORK/报告.pdf" | grep -q '%PDF' && echo "statement: $(stat -c %s "$WORK/报告.pdf") bytes" | tee -a "$LOG"
    run "$APP/rd-benefit" template -o "$WORK/模板.xlsx"
    out "$WORK/packs.txt" "$APP/rd-benefit" packs
    echo "packs: $(wc -l < "$WORK/packs.txt")" | tee -a "$LOG"
    run timeout 300 "$APP/rd-benefit" --smoke
)
say "smoke test passed $(date -Iseconds)"
