#!/usr/bin/env bash
# Vendors the browser libraries the web pages load, as built files under web/static/vendor/.
# Pages never load scripts from a CDN: a self-hosted contact center must work offline and under
# a strict Content-Security-Policy. Run from anywhere; needs npm (only the registry is used,
# nothing is installed). Bump a version here, run the script, review and commit the result.
set -euo pipefail

MERMAID_VERSION="12.4.0"
AXE_VERSION="4.14.1"  # axe-core: the accessibility checks the browser tests run on the pages
TWILIO_VOICE_VERSION="2.18.5"  # @twilio/voice-sdk: the desktop's browser softphone (CARRIER=twilio)

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
(cd "$work" && npm pack --silent "@twilio/voice-sdk@${TWILIO_VOICE_VERSION}" >/dev/null)
mkdir -p "$work/voice"
tar -xzf "$work/twilio-voice-sdk-${TWILIO_VOICE_VERSION}.tgz" -C "$work/voice" package/dist/twilio.min.js package/LICENSE.md
cp "$work/voice/package/dist/twilio.min.js" "$vendor/twilio-voice.min.js"
cp "$work/voice/package/LICENSE.md" "$vendor/twilio-voice.LICENSE"
{
  printf 'mermaid %s (npm: mermaid@%s, dist/mermaid.min.js)\n' "$MERMAID_VERSION" "$MERMAID_VERSION"
  printf 'axe-core %s (npm: axe-core@%s, axe.min.js; MPL-2.0, loaded only by the browser tests)\n' "$AXE_VERSION" "$AXE_VERSION"
  printf '@twilio/voice-sdk %s (npm: @twilio/voice-sdk@%s, dist/twilio.min.js as twilio-voice.min.js; Apache-2.0 with Twilio terms, see twilio-voice.LICENSE)\n' "$TWILIO_VOICE_VERSION" "$TWILIO_VOICE_VERSION"
} > "$vendor/VERSIONS"
echo "vendored mermaid ${MERMAID_VERSION}, axe-core ${AXE_VERSION} and @twilio/voice-sdk ${TWILIO_VOICE_VERSION} into ${vendor#$root/}"
