#!/usr/bin/env bash
# Install the torch build that fits this machine into a virtual environment (used by `make`).
#   tools/install_torch.sh PIP          e.g. tools/install_torch.sh .venv/bin/pip
# Without an NVIDIA GPU (`nvidia-smi -L` fails or is absent): the CPU build, from PyTorch's CPU
# wheel index $TORCH_INDEX. Where that index cannot be reached, it says so and falls back to the
# configured pip index (pip.conf / PIP_INDEX_URL; on the public PyPI that is the CUDA build).
# With an NVIDIA GPU: the CUDA build. By default from the configured pip index (on Linux, PyPI's
# torch wheels are CUDA builds for the CUDA version that torch release defaults to); pick another
# CUDA version with TORCH_CUDA_INDEX, e.g. https://download.pytorch.org/whl/cu126.
# Variables:
#   TORCH_VERSION     torch version to install (default 2.13.0, as in pyproject.toml)
#   TORCH_VARIANT     auto (default), cpu or cuda: skip the GPU detection
#   TORCH_INDEX       CPU wheel index (default https://download.pytorch.org/whl/cpu)
#   TORCH_CUDA_INDEX  CUDA wheel index (default: none, the configured pip index)
#   TORCH_PIP_OPTS    extra pip options (default "--timeout 10 --retries 0": fail fast offline)
#   TORCH_PROBE_TIMEOUT  seconds to wait for the CPU index to answer (default 5)
set -euo pipefail
say() { echo "install_torch: $*" >&2; }

PIP=${1:?usage: tools/install_torch.sh PIP}
VERSION=${TORCH_VERSION:-2.13.0}
VARIANT=${TORCH_VARIANT:-auto}
CPU_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
CUDA_INDEX=${TORCH_CUDA_INDEX:-}
read -r -a OPTS <<<"${TORCH_PIP_OPTS:---timeout 10 --retries 0}"
PROBE_TIMEOUT=${TORCH_PROBE_TIMEOUT:-5}

if [ "$VARIANT" = auto ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        VARIANT=cuda
        say "NVIDIA GPU found ($(nvidia-smi -L 2>/dev/null | head -1))"
    else
        VARIANT=cpu
        say "no NVIDIA GPU (nvidia-smi absent or failing)"
    fi
fi

# Whether a pip index answers: a short GET of its torch page, nothing downloaded.
reachable() {
    python3 - "$1/torch/" "$PROBE_TIMEOUT" <<'PY' >/dev/null 2>&1
import os, sys, urllib.parse, urllib.request
url = urllib.parse.urlparse(sys.argv[1])
if url.scheme == "file":
    sys.exit(not os.path.isdir(urllib.request.url2pathname(url.path)))
urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).close()
PY
}

case "$VARIANT" in
cpu)
    if reachable "$CPU_INDEX"; then
        say "installing the CPU build torch==$VERSION from $CPU_INDEX"
        exec "$PIP" install "${OPTS[@]}" --index-url "$CPU_INDEX" "torch==$VERSION"
    fi
    say "cannot reach $CPU_INDEX (set TORCH_INDEX to a reachable CPU wheel index);" \
        "falling back to the configured pip index, which must provide a CPU build" \
        "(on the public PyPI this is the CUDA build, several GB)"
    exec "$PIP" install "${OPTS[@]}" "torch==$VERSION"
    ;;
cuda)
    if [ -n "$CUDA_INDEX" ]; then
        say "installing the CUDA build torch==$VERSION from $CUDA_INDEX"
        exec "$PIP" install "${OPTS[@]}" --index-url "$CUDA_INDEX" "torch==$VERSION"
    fi
    say "installing the CUDA build torch==$VERSION from the configured pip index" \
        "(PyPI's default CUDA version; set TORCH_CUDA_INDEX to choose another)"
    exec "$PIP" install "${OPTS[@]}" "torch==$VERSION"
    ;;
*)
    say "TORCH_VARIANT=$VARIANT: use auto, cpu or cuda"
    exit 2
    ;;
esac
