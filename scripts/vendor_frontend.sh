#!/usr/bin/env bash
# Vendor the front-end files Living Map serves, from the npm registry, reproducibly.
#
#   scripts/vendor_frontend.sh
#
# What it does:
#   1. `npm pack` pinned versions of govuk-frontend, leaflet and leaflet.markercluster into a
#      temporary directory (nothing is installed, no node_modules is left behind);
#   2. copies only the built files the pages load, with each package's licence, into
#      livingmap/core/static/vendor/;
#   3. rewrites GOV.UK Frontend's CSS so that it uses no restricted asset:
#        - removes the @font-face rules of the "GDS Transport" typeface (only GOV.UK may use it)
#          and names a system font stack (arial, sans-serif) instead;
#        - removes the references to the GOV.UK crest image (only GOV.UK may use the crown);
#        - removes the source-map comment (maps are not shipped);
#      and fails if any trace of either is left;
#   4. writes vendor/README.md with the versions and the sha256 of each package tarball.
# Run it again after changing a version below; review the diff like any other change.
set -euo pipefail

GOVUK_FRONTEND_VERSION="6.6.0"
LEAFLET_VERSION="1.9.4"
MARKERCLUSTER_VERSION="1.5.3"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/livingmap/core/static/vendor"
PYTHON="${PYTHON:-python3}"

command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

npm pack --silent \
  "govuk-frontend@$GOVUK_FRONTEND_VERSION" \
  "leaflet@$LEAFLET_VERSION" \
  "leaflet.markercluster@$MARKERCLUSTER_VERSION" >/dev/null

unpack() {  # unpack NAME-VERSION.tgz into ./NAME
  mkdir -p "$1"
  tar -xzf "$1-$2.tgz" -C "$1" --strip-components=1
}
unpack govuk-frontend "$GOVUK_FRONTEND_VERSION"
unpack leaflet "$LEAFLET_VERSION"
unpack leaflet.markercluster "$MARKERCLUSTER_VERSION"

rm -rf "$DEST"
mkdir -p "$DEST/govuk-frontend" "$DEST/leaflet/images" "$DEST/leaflet.markercluster"

# --- GOV.UK Frontend: the compiled CSS only (the pages need none of its JavaScript). ---------
"$PYTHON" - "govuk-frontend/dist/govuk/govuk-frontend.min.css" \
  "$DEST/govuk-frontend/govuk-frontend.min.css" <<'PY'
import re
import sys

source, target = sys.argv[1], sys.argv[2]
css = open(source, encoding="utf-8").read()
# 1. The restricted typeface: drop its @font-face rules, keep the fallback stack.
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = css.replace("GDS Transport,", "")
# 2. The crest (crown) image: drop every declaration that points at it.
css = re.sub(r"[-a-z]*:url\(/assets/images/govuk-crest\.svg\);?", "", css)
# 3. No source map is shipped.
css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)
for banned in ("GDS Transport", "/assets/", "govuk-crest", "@font-face"):
    if banned in css:
        sys.exit(f"vendor_frontend: {banned!r} is still in the GOV.UK CSS; update the script")
open(target, "w", encoding="utf-8").write(css)
PY

cat > "$DEST/govuk-frontend/LICENCE.txt" <<'TXT'
GOV.UK Frontend — https://github.com/alphagov/govuk-frontend

The npm package declares its licence as "MIT" (package.json) and its README says: "Unless
stated otherwise, the codebase is released under the MIT License." The licence text follows.
Living Map ships a modified copy of the compiled CSS: the GDS Transport font-face rules and the
crest image references are removed (see scripts/vendor_frontend.sh). The GDS Transport typeface
and the crown are not covered by this licence and are not included.

The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
TXT

# --- Leaflet: the minified build, its CSS and the images that CSS refers to. ----------------
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css "$DEST/leaflet/"
cp leaflet/dist/images/*.png "$DEST/leaflet/images/"
cp leaflet/LICENSE "$DEST/leaflet/LICENCE.txt"
sed -i '/^\/\/# sourceMappingURL=/d' "$DEST/leaflet/leaflet.js"

# --- Leaflet.markercluster ------------------------------------------------------------------
cp leaflet.markercluster/dist/leaflet.markercluster.js \
   leaflet.markercluster/dist/MarkerCluster.css \
   leaflet.markercluster/dist/MarkerCluster.Default.css "$DEST/leaflet.markercluster/"
cp leaflet.markercluster/MIT-LICENCE.txt "$DEST/leaflet.markercluster/LICENCE.txt"
sed -i '/^\/\/# sourceMappingURL=/d' "$DEST/leaflet.markercluster/leaflet.markercluster.js"

{
  echo "# Vendored front-end files"
  echo
  echo "Made by \`scripts/vendor_frontend.sh\` from the npm registry; do not edit by hand."
  echo
  echo "| package | version | sha256 of the npm tarball | licence |"
  echo "| --- | --- | --- | --- |"
  echo "| govuk-frontend | $GOVUK_FRONTEND_VERSION | $(sha256sum "govuk-frontend-$GOVUK_FRONTEND_VERSION.tgz" | cut -d' ' -f1) | MIT (CSS modified: no GDS Transport font, no crest) |"
  echo "| leaflet | $LEAFLET_VERSION | $(sha256sum "leaflet-$LEAFLET_VERSION.tgz" | cut -d' ' -f1) | BSD-2-Clause |"
  echo "| leaflet.markercluster | $MARKERCLUSTER_VERSION | $(sha256sum "leaflet.markercluster-$MARKERCLUSTER_VERSION.tgz" | cut -d' ' -f1) | MIT |"
} > "$DEST/README.md"

echo "Vendored into ${DEST#"$ROOT"/}:"
(cd "$DEST" && find . -type f | sort | sed 's/^\.\//  /')
