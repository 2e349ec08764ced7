#!/usr/bin/env bash
# Idempotent set-up on Debian 12: system packages (QGIS 3.22, GDAL, rasterio...), then a venv that
# sees them (--system-site-packages) with torch and the few pip-only packages. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DEB_PACKAGES="qgis python3-qgis qgis-providers python3-venv python3-pip python3-gdal python3-rasterio \
python3-pyproj python3-scipy python3-pandas python3-matplotlib python3-pytest python3-skimage"

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
# Debian's rasterio is built against numpy 1.x: pin the system numpy so pip never upgrades it.
"$VENV/bin/python" -c "import numpy; print('numpy==' + numpy.__version__)" > "$VENV/constraints.txt"
stamp="$VENV/.requirements.sha"
want=$(cat requirements.txt "$VENV/constraints.txt" | sha1sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages from requirements.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$VENV/constraints.txt" -r requirements.txt
  echo "$want" > "$stamp"
fi
# Tell the plugin where the environment is, wherever QGIS loads the plugin from.
mkdir -p "$HOME/.local/share/hsi_fusion" && (cd "$VENV" && pwd) > "$HOME/.local/share/hsi_fusion/venv-path"
echo "setup: ready ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
