#!/usr/bin/env bash
# Re-create the vendored front-end libraries of the web workbench from the npm registry.
# Nothing is loaded from a CDN at run time: many users run opslens on an intranet.
#
#   scripts/vendor_web_assets.sh                      # the pinned versions below
#   ECHARTS_VERSION=6.1.0 scripts/vendor_web_assets.sh
#
# Writes src/opslens/web/static/vendor/:
#   htmx.min.js                                 htmx.org (0BSD): partial page updates
#   echarts.min.js                              Apache ECharts (Apache-2.0): charts
#   bpmn-navigated-viewer.production.min.js     bpmn-js (bpmn.io license): draws BPMN swimlanes
#   bpmn-js.css, diagram-js.css                 its style sheets
#   *.LICENSE.txt, VERSIONS.txt                 licenses, versions and sha256 of what was vendored
set -euo pipefail

HTMX_VERSION="${HTMX_VERSION:-2.0.8}"
ECHARTS_VERSION="${ECHARTS_VERSION:-6.1.0}"
BPMNJS_VERSION="${BPMNJS_VERSION:-18.31.1}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/src/opslens/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION: unpack the registry tarball into $work/NAME/package
    mkdir -p "$work/$1"
    (cd "$work/$1" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
}
fetch htmx.org "$HTMX_VERSION"
fetch echarts "$ECHARTS_VERSION"
fetch bpmn-js "$BPMNJS_VERSION"

strip_map() { grep -v '^//# sourceMappingURL=' "$1"; }

rm -rf "$dest"
mkdir -p "$dest"
strip_map "$work/htmx.org/package/dist/htmx.min.js" >"$dest/htmx.min.js"
cp "$work/htmx.org/package/LICENSE" "$dest/htmx.LICENSE.txt"
strip_map "$work/echarts/package/dist/echarts.min.js" >"$dest/echarts.min.js"
cp "$work/echarts/package/LICENSE" "$dest/echarts.LICENSE.txt"
strip_map "$work/bpmn-js/package/dist/bpmn-navigated-viewer.production.min.js" \
    >"$dest/bpmn-navigated-viewer.production.min.js"
cp "$work/bpmn-js/package/dist/assets/bpmn-js.css" "$work/bpmn-js/package/dist/assets/diagram-js.css" "$dest/"
cp "$work/bpmn-js/package/LICENSE" "$dest/bpmn-js.LICENSE.txt"

{
    echo "Vendored by scripts/vendor_web_assets.sh from the npm registry; do not edit by hand."
    echo
    echo "htmx.org $HTMX_VERSION (0BSD): dist/htmx.min.js"
    echo "echarts $ECHARTS_VERSION (Apache-2.0): dist/echarts.min.js"
    echo "bpmn-js $BPMNJS_VERSION (bpmn.io license, keeps its watermark): dist/bpmn-navigated-viewer.production.min.js, dist/assets/{bpmn-js,diagram-js}.css"
    echo
    (cd "$dest" && sha256sum ./*.js ./*.css ./*.txt | grep -v VERSIONS)
} >"$dest/VERSIONS.txt"
echo "vendored into $dest:"
ls -l "$dest"
