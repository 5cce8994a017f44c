#!/usr/bin/env bash
# Re-fetch the vendored front-end libraries from the npm registry at the pinned versions.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent htmx.org@2.0.11 htmx-ext-ws@2.0.4 >/dev/null)
tar -xzf "$tmp/htmx.org-2.0.11.tgz" -C "$tmp" package/dist/htmx.min.js package/LICENSE
cp "$tmp/package/dist/htmx.min.js" htmx.min.js
cp "$tmp/package/LICENSE" htmx.LICENSE
rm -rf "$tmp/package"
tar -xzf "$tmp/htmx-ext-ws-2.0.4.tgz" -C "$tmp" package/ws.js
cp "$tmp/package/ws.js" htmx-ext-ws.js
