#!/usr/bin/env bash
# Run the smoke workflow at a git revision and in the working tree, then compare the outputs
# (performance.csv, score and data files, study tables) bit for bit:
#   bash benchmarks/smoke_equivalence.sh [REV [REV2]]   (default REV: HEAD; REV2: the working tree)
# Uses the interpreter and snakemake of the active environment (e.g. .venv/bin on PATH).
# KEEP=1 keeps the two runs (their folder is printed) for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:-HEAD}"
WORK="$(mktemp -d)"
if [ "${KEEP:-0}" = 1 ]; then echo "runs kept in $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
mkdir -p "$WORK/ref" "$WORK/new"
git archive "$REV" | tar -x -C "$WORK/ref"
if [ -n "${2:-}" ]; then
    git archive "$2" | tar -x -C "$WORK/new"
else
    git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$WORK/new" 2>/dev/null || true
fi
for side in ref new; do
    echo "smoke workflow: $side"
    (cd "$WORK/$side" && PYTHONPATH="$WORK/$side/src" OMP_NUM_THREADS=1 \
        snakemake --cores 2 --configfile config/smoke.yaml --quiet > "$WORK/$side.log" 2>&1) \
        || { tail -30 "$WORK/$side.log"; exit 2; }
done
python benchmarks/compare_outputs.py "$WORK/ref/results" "$WORK/new/results"
