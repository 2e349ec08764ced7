#!/usr/bin/env bash
# Idempotent set-up on Debian 12 and later: system packages (QGIS, GDAL, rasterio...), then a venv
# that sees them (--system-site-packages) with the few pip-only packages. Safe to re-run.
# torch: Debian's CPU python3-torch where the release ships one of at least MIN_TORCH (Debian 13+)
# and the machine has no NVIDIA GPU; pip otherwise, and from PyTorch's CPU index on a machine
# without an NVIDIA GPU rather than PyPI's CUDA build (~4.6 GB). HSI_FUSION_TORCH=cuda asks for the
# CUDA build, HSI_FUSION_TORCH=cpu for a CPU one even with a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
MIN_TORCH=2.6  # the oldest torch the engine tests pass with: Debian 13's (see README, make compat)
TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
DEB_PACKAGES="qgis python3-qgis qgis-providers python3-venv python3-pip python3-gdal python3-rasterio \
python3-pyproj python3-scipy python3-pandas python3-matplotlib python3-pytest python3-skimage python3-h5py"

has_nvidia_gpu() { [ -e /proc/driver/nvidia/version ] || command -v nvidia-smi >/dev/null 2>&1; }
debian_torch_fits() {
  local candidate
  candidate=$(apt-cache policy python3-torch 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge "$MIN_TORCH"
}
want_torch=${HSI_FUSION_TORCH:-auto}
if [ "$want_torch" = cpu ] || { [ "$want_torch" = auto ] && ! has_nvidia_gpu; }; then
  cpu_only=1
else
  cpu_only=0
fi
torch_from=pip
if [ "$cpu_only" = 1 ] && debian_torch_fits; then
  torch_from=debian
  DEB_PACKAGES="$DEB_PACKAGES python3-torch"
fi

missing=""
for p in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV (with system site-packages for PyQGIS, GDAL, rasterio, numpy)"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
# Debian's rasterio is built against Debian's numpy: pin the system numpy so pip never upgrades it.
"$VENV/bin/python" -c "import numpy; print('numpy==' + numpy.__version__)" > "$VENV/constraints.txt"
# With Debian's torch, pip installs everything else from requirements.txt.
if [ "$torch_from" = debian ]; then
  grep -v -E "^torch$|^torch[=<>!~ ]" requirements.txt > "$VENV/requirements-pip.txt"
else
  cp requirements.txt "$VENV/requirements-pip.txt"
fi
pip_install() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$VENV/constraints.txt" "$@"; }
stamp="$VENV/.requirements.sha"
want=$(cat "$VENV/requirements-pip.txt" "$VENV/constraints.txt" | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  torch_requirement=$(grep -E "^torch$|^torch[=<>!~ ]" "$VENV/requirements-pip.txt" || true)
  would_install=""
  if [ -n "$torch_requirement" ] && [ "$cpu_only" = 1 ]; then
    would_install=$(pip_install --dry-run --quiet --report - "$torch_requirement" 2>/dev/null || true)
  fi
  if grep -q '"name": "nvidia-' <<<"$would_install"; then
    echo "setup: no NVIDIA GPU: installing torch's CPU build from $TORCH_CPU_INDEX (HSI_FUSION_TORCH=cuda for CUDA)"
    pip_install --index-url "$TORCH_CPU_INDEX" "$torch_requirement"
  fi
  echo "setup: installing Python packages from requirements.txt (torch from $torch_from)"
  pip_install -r "$VENV/requirements-pip.txt"
  echo "$want" > "$stamp"
fi
# Tell the plugin where the environment is, wherever QGIS loads the plugin from.
mkdir -p "$HOME/.local/share/hsi_fusion" && (cd "$VENV" && pwd) > "$HOME/.local/share/hsi_fusion/venv-path"
echo "setup: ready ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
