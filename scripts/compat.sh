#!/usr/bin/env bash
# `make compat`: the QGIS-side tests and the demo in newer Debian releases and their QGIS, each in a
# chroot built once with debootstrap from Debian's archive and cached outside the checkout.
#   trixie (Debian 13): QGIS 3.40, Python 3.13, numpy 2.2, python3-torch 2.6 (CPU)
#   forky  (Debian 14): QGIS 3.44, Python 3.14, numpy 2.4, python3-torch (CPU)
# The first run of a release takes ~15 min (debootstrap, then scripts/setup.sh installs QGIS inside);
# later runs reuse the chroot and only copy the checkout in. Needs root (debootstrap, chroot, mount).
#   HSI_FUSION_COMPAT_DIR   where the chroots live (default /var/cache/hsi_fusion_compat)
#   HSI_FUSION_COMPAT_RELEASES   which releases (default "trixie forky")
#   HSI_FUSION_COMPAT_TESTS   which tests (default the QGIS side: tests/algorithms tests/ui tests/installer)
#   DEBIAN_MIRROR           the archive to bootstrap from (default http://deb.debian.org/debian)
#   scripts/compat.sh build   only build (or refresh) the chroots; no tests
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${HSI_FUSION_COMPAT_DIR:-/var/cache/hsi_fusion_compat}
RELEASES=${HSI_FUSION_COMPAT_RELEASES:-trixie forky}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
INSIDE=/root/hsi_fusion  # where the checkout is copied inside a chroot
VENV_INSIDE=/root/hsi_fusion_venv
QGIS_TESTS=${HSI_FUSION_COMPAT_TESTS:-tests/algorithms tests/ui tests/installer}

[ "$(id -u)" = 0 ] || { echo "compat: needs root (debootstrap, chroot, mount): run with sudo" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "compat: install debootstrap first (apt-get install debootstrap)" >&2; exit 2; }

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" || true; done
  mounted=()
}
trap unmount_all EXIT

# proc, a private /dev/shm (multiprocessing, dask) and the host's DNS; nothing of the host's /dev.
mount_inside() {
  local root=$1
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mkdir -p "$root/dev/shm" && mount -t tmpfs -o size=4g tmpfs "$root/dev/shm" && mounted+=("$root/dev/shm")
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

in_root() {  # in_root ROOT COMMAND...: run a login-like shell command inside the chroot
  local root=$1; shift
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen DEBIAN_FRONTEND=noninteractive CI="${CI:-}" \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt bash -c "$*"
}

build_root() {  # a minimal system of RELEASE with certificates for pip; scripts/setup.sh adds the rest
  local release=$1 root="$CACHE/$1"
  [ -f "$root/.hsi_fusion_bootstrapped" ] && return 0
  echo "compat: bootstrapping $release into $root (about 2 min)"
  rm -rf "$root" && mkdir -p "$CACHE"
  # debootstrap's 'sid' script serves every current suite (trixie, forky, sid).
  debootstrap --variant=minbase --include=ca-certificates,make,dpkg-dev "$release" "$root" "$MIRROR" \
    /usr/share/debootstrap/scripts/sid
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  # A testing suite's Release file is valid for a week only; a mirror lagging behind still serves.
  echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99hsi-fusion-compat"
  touch "$root/.hsi_fusion_bootstrapped"
}

copy_checkout() {  # tracked and untracked (not ignored) files: what a clone would have, plus edits
  local root=$1
  rm -rf "${root:?}$INSIDE" && mkdir -p "$root$INSIDE"
  git ls-files -z --cached --others --exclude-standard -- . ':!.venv' \
    | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$root$INSIDE"
}

versions() {  # one line: QGIS, Python, numpy and torch as the plugin sees them inside ROOT
  in_root "$1" "$VENV_INSIDE/bin/python -" <<'EOF' || echo "versions unknown"
import sys, numpy, torch
from qgis.core import Qgis
print(f"QGIS {Qgis.QGIS_VERSION}, Python {sys.version.split()[0]}, numpy {numpy.__version__}, torch {torch.__version__}")
EOF
}

demo_figures() {  # the demo's results in one line: PSNR and SAM of the fusion and of bicubic, PSF error
  sed -n '/^== Results/,$p' "$1" | awk '
    $1 == "blind" && $2 == "fusion" { fp = $3; fs = $4 }
    $1 == "bicubic" { bp = $2; bs = $3 }
    /PSF error/ { for (i = 2; i <= NF; i++) if ($(i - 1) == "PSF" && $i == "error") pe = $(i + 1) }
    /fusion took/ { ft = $3 }
    END { printf ": PSNR %s dB (bicubic %s), SAM %s deg (bicubic %s), PSF error %s %%, fusion %s s", fp, bp, fs, bs, pe, ft }'
}

# run_release RELEASE: set-up (scripts/setup.sh, cached in the chroot), the tests, the demo.
run_release() {
  local release=$1 root="$CACHE/$1" log
  log=$(mktemp "/tmp/hsi_fusion_compat_$1.XXXXXX.log")
  echo "compat: $release (log $log)"
  copy_checkout "$root"
  mount_inside "$root"
  local setup=ok tests demo
  failed=1  # until tests and demo pass
  in_root "$root" "cd $INSIDE && VENV=$VENV_INSIDE make -s plugin" >>"$log" 2>&1 || setup=FAILED
  if [ "$setup" = ok ]; then
    in_root "$root" "cd $INSIDE && $VENV_INSIDE/bin/python -m pytest -q -p no:cacheprovider $QGIS_TESTS" >>"$log" 2>&1 || true
    tests=$(grep -E "[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s" "$log" | tail -n 1 | tr -d '=' | xargs)
    in_root "$root" "cd $INSIDE && VENV=$VENV_INSIDE make -s demo" >>"$log" 2>&1 && demo=ok || demo=FAILED
    [[ "$tests" =~ (failed|error) || "$demo" != ok || -z "$tests" ]] || failed=0
    summary+=("$release: $(versions "$root")"
              "  tests ($QGIS_TESTS): ${tests:-no result, see $log}"
              "  demo: $demo$([ "$demo" = ok ] && demo_figures "$log")")
  else
    summary+=("$release: set-up FAILED, see $log")
  fi
  unmount_all
}

for release in $RELEASES; do build_root "$release"; done
[ "${1:-}" = build ] && { echo "compat: chroots ready under $CACHE"; exit 0; }
summary=()
status=0
for release in $RELEASES; do
  run_release "$release"
  [ "$failed" = 0 ] || status=1
done
printf '\n== make compat summary\n'
printf '%s\n' "${summary[@]}"
exit "$status"
