#!/usr/bin/env bash
# Vendors the browser libraries the web pages load, as built files under web/static/vendor/.
# Pages never load scripts from a CDN: a self-hosted contact center must work offline and under
# a strict Content-Security-Policy. Run from anywhere; needs npm (only the registry is used,
# nothing is installed). Bump a version here, run the script, review and commit the result.
set -euo pipefail

MERMAID_VERSION="12.4.0"
AXE_VERSION="4.14.1"  # axe-core: the accessibility checks the browser tests run on the pages

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$vendor"
(cd "$work" && npm pack --silent "mermaid@${MERMAID_VERSION}" >/dev/null)
tar -xzf "$work/mermaid-${MERMAID_VERSION}.tgz" -C "$work" package/dist/mermaid.min.js package/LICENSE
cp "$work/package/dist/mermaid.min.js" "$vendor/mermaid.min.js"
cp "$work/package/LICENSE" "$vendor/mermaid.LICENSE"
(cd "$work" && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null)
mkdir -p "$work/axe"
tar -xzf "$work/axe-core-${AXE_VERSION}.tgz" -C "$work/axe" package/axe.min.js package/LICENSE
cp "$work/axe/package/axe.min.js" "$vendor/axe.min.js"
cp "$work/axe/package/LICENSE" "$vendor/axe.LICENSE"
{
  printf 'mermaid %s (npm: mermaid@%s, dist/mermaid.min.js)\n' "$MERMAID_VERSION" "$MERMAID_VERSION"
  printf 'axe-core %s (npm: axe-core@%s, axe.min.js; MPL-2.0, loaded only by the browser tests)\n' "$AXE_VERSION" "$AXE_VERSION"
} > "$vendor/VERSIONS"
echo "vendored mermaid ${MERMAID_VERSION} and axe-core ${AXE_VERSION} into ${vendor#$root/}"
