#!/usr/bin/env bash
# Stop the cluster started by tests/cluster/start_slurm.sh STATE_DIR (by PID, nothing else).
#   tests/cluster/stop_slurm.sh STATE_DIR [--purge]
set -uo pipefail
STATE=${1:?usage: stop_slurm.sh STATE_DIR [--purge]}
[ -d "$STATE" ] || exit 0
stop_pid() {  # pidfile
    [ -s "$1" ] || return 0
    local pid; pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
# Cancel what is still queued or running so slurmd leaves no orphan job steps.
if [ -f "$STATE/slurm.conf" ] && command -v scancel >/dev/null; then
    SLURM_CONF="$STATE/slurm.conf" timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi
stop_pid "$STATE/run/slurmd.pid"
stop_pid "$STATE/run/slurmctld.pid"
MUNGE_DIR=$(cat "$STATE/run/munge_dir" 2>/dev/null || true)
case "$MUNGE_DIR" in
    /tmp/jettag-munge.*) stop_pid "$MUNGE_DIR/munged.pid"; rm -rf "$MUNGE_DIR" ;;
esac
# Remove /etc/slurm/slurm.conf if it is our link.
if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$(cd "$STATE" && pwd)/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi
if [ "${2:-}" = "--purge" ]; then rm -rf "$STATE"; fi
exit 0
