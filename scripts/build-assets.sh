#!/usr/bin/env bash
# Install the console's front-end packages from the npm registry (locked in package-lock.json) and
# copy the files modops serves into src/modops/static/vendor/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --silent
out=src/modops/static/vendor
mkdir -p "$out"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chart.umd.min.js"
