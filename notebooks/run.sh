#!/usr/bin/env bash
# Executes every notebook headless on the Deno kernel, failing on the first cell error (CI calls it
# from .ci/run). Sets up what it needs when missing: Debian's jupyter-nbconvert (apt-get, as root),
# deno from this folder's package.json (the deno binary stays out of pdsim's own install), the
# kernelspec, and the repository's bundle (dist/lib.mjs, rebuilt here so it matches the sources).
# Usage: notebooks/run.sh [OUT_DIR]   (executed copies are written there; default a temp folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$(mktemp -d)}"
jupyter=/usr/bin/jupyter
if ! "$jupyter" nbconvert --version >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client >/dev/null
fi
[ -x "$here/node_modules/.bin/deno" ] || npm ci --prefix "$here" --no-audit --no-fund
"$here/node_modules/.bin/deno" jupyter --install --force >/dev/null 2>&1
npm run --prefix "$here/.." --silent build  # a few seconds; never run stale library code
mkdir -p "$out"
for nb in "$here"/*.ipynb; do
  echo "notebook: $(basename "$nb")"
  (cd "$here" && "$jupyter" nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=deno --output-dir "$out" "$nb" 2>&1 | grep -v '^\[NbConvertApp\] Writing' || true)
  [ -f "$out/$(basename "$nb")" ] || { echo "notebooks/run.sh: $(basename "$nb") failed" >&2; exit 1; }
done
echo "executed notebooks: $out"
