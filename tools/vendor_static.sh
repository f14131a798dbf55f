#!/usr/bin/env bash
# Vendors the browser libraries the web pages load, as built files under web/static/vendor/.
# Pages never load scripts from a CDN: a self-hosted contact center must work offline and under
# a strict Content-Security-Policy. Run from anywhere; needs npm (only the registry is used,
# nothing is installed). Bump a version here, run the script, review and commit the result.
set -euo pipefail

MERMAID_VERSION="12.4.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$vendor"
(cd "$work" && npm pack --silent "mermaid@${MERMAID_VERSION}" >/dev/null)
tar -xzf "$work/mermaid-${MERMAID_VERSION}.tgz" -C "$work" package/dist/mermaid.min.js package/LICENSE
cp "$work/package/dist/mermaid.min.js" "$vendor/mermaid.min.js"
cp "$work/package/LICENSE" "$vendor/mermaid.LICENSE"
printf 'mermaid %s (npm: mermaid@%s, dist/mermaid.min.js)\n' "$MERMAID_VERSION" "$MERMAID_VERSION" > "$vendor/VERSIONS"
echo "vendored mermaid ${MERMAID_VERSION} into ${vendor#$root/}"
