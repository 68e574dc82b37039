#!/usr/bin/env bash
# Debian packages modops needs beyond Python wheels. Idempotent: does nothing when all are installed,
# and runs apt-get update only when something is missing.
# - headless Chromium for the browser tests (driven by Playwright through /usr/bin/chromium; no
#   browser is ever downloaded);
# - a C/C++ toolchain and FFmpeg's development files, to build pdqhash, vpdq and weighted-levenshtein
#   (python-threatexchange's hashers) from source.
set -euo pipefail
browser=(chromium chromium-driver fonts-dejavu-core)
media_build=(gcc g++ python3-dev pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libavdevice-dev libavfilter-dev libswresample-dev)
missing=()
for pkg in "${browser[@]}" "${media_build[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: need root to install ${missing[*]} (without them browser tests are skipped" \
    "and the media hashers cannot be built)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
