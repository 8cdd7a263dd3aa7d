#!/usr/bin/env bash
# Install what tests/test_cluster_slurm.py needs: Debian's SLURM daemons, clients and munge.
# Called by .ci/run before the tests. Quick (seconds when the package lists are present) and
# soft: it never fails the CI run. When it cannot install, it says why and the SLURM tests skip
# with their own reason ("not root" / "SLURM binaries missing").
#   tests/cluster/ci_setup.sh            install if needed
#   JETTAG_SKIP_SLURM_SETUP=1 ...        do nothing
set -u
say() { echo "ci_setup(slurm): $*" >&2; }
PKGS="slurmctld slurmd slurm-client munge"

if [ "${JETTAG_SKIP_SLURM_SETUP:-0}" = 1 ]; then say "skipped (JETTAG_SKIP_SLURM_SETUP=1)"; exit 0; fi
have_all() {
    for b in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
        command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || return 1
    done
}
if have_all; then say "SLURM and munge already installed"; exit 0; fi
if [ "$(id -u)" != 0 ]; then say "not root: cannot install $PKGS; SLURM tests will skip"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then say "no apt-get (not Debian/Ubuntu); SLURM tests will skip"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
install() {
    timeout 300 apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $PKGS >/tmp/jettag-slurm-apt.log 2>&1
}
# Try with the present package lists first; update them only if that fails.
if ! install; then
    say "apt-get install failed with the current package lists; running apt-get update"
    timeout 180 apt-get update -q >>/tmp/jettag-slurm-apt.log 2>&1 || true
    if ! install; then
        say "could not install $PKGS (see /tmp/jettag-slurm-apt.log); SLURM tests will skip"
        tail -5 /tmp/jettag-slurm-apt.log >&2
        exit 0
    fi
fi
# Debian's postinst may try to start the daemons through a service manager; the tests start
# their own, so stop any that did come up (by PID file, nothing else).
for pidfile in /run/slurmctld.pid /run/slurmd.pid /run/munge/munged.pid; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
done
if have_all; then say "installed $PKGS"; else say "installed, but some binaries are still missing; SLURM tests will skip"; fi
exit 0
