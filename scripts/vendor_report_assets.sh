#!/usr/bin/env bash
# Re-create the vendored third-party assets of the HTML report from the npm registry.
#
#   scripts/vendor_report_assets.sh            # the pinned versions below
#   DAGRE_VERSION=3.1.3 scripts/vendor_report_assets.sh
#
# Writes src/opslens/core/report/assets/vendor/:
#   dagre.min.js          @dagrejs/dagre's minified browser bundle (global `dagre`, graphlib bundled
#                         in), with the trailing sourceMappingURL comment removed so the report
#                         never refers to a file it does not contain
#   dagre.LICENSE.txt     the LICENSE file of @dagrejs/dagre (MIT)
#   graphlib.LICENSE.txt  the LICENSE file of @dagrejs/graphlib (MIT), which the bundle includes
#   VERSIONS.txt          package versions, licenses and sha256 of what was vendored
#
# Needs npm (and tar, sha256sum). Only talks to the npm registry, through `npm pack`.
set -euo pipefail

DAGRE_VERSION="${DAGRE_VERSION:-3.1.3}"
GRAPHLIB_VERSION="${GRAPHLIB_VERSION:-4.0.6}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/src/opslens/core/report/assets/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION DIR: unpack the registry tarball of NAME@VERSION into DIR/package
    local name="$1" version="$2" dir="$3"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
    local license
    license="$(node -p "require('$dir/package/package.json').license")"
    if [[ "$license" != "MIT" ]]; then
        echo "error: $name@$version is licensed '$license', expected MIT" >&2
        exit 1
    fi
}

fetch "@dagrejs/dagre" "$DAGRE_VERSION" "$work/dagre"
fetch "@dagrejs/graphlib" "$GRAPHLIB_VERSION" "$work/graphlib"

bundled_graphlib="$(node -p "require('$work/dagre/package/package.json').dependencies['@dagrejs/graphlib']")"
if [[ "$bundled_graphlib" != "$GRAPHLIB_VERSION" ]]; then
    echo "warning: dagre $DAGRE_VERSION depends on graphlib $bundled_graphlib," \
        "vendoring the license of $GRAPHLIB_VERSION" >&2
fi

src_js="$work/dagre/package/dist/dagre.min.js"
[[ -f "$src_js" ]] || { echo "error: $src_js not in the package" >&2; exit 1; }
if grep -qi '</script' "$src_js"; then
    echo "error: dagre.min.js contains '</script', it cannot be inlined as is" >&2
    exit 1
fi

rm -rf "$dest"
mkdir -p "$dest"
# Drop the source-map reference and point the license note at the file vendored beside it.
grep -v '^//# sourceMappingURL=' "$src_js" \
    | sed 's#see dagre\.min\.js\.LEGAL\.txt#see dagre.LICENSE.txt#' >"$dest/dagre.min.js"
cp "$work/dagre/package/LICENSE" "$dest/dagre.LICENSE.txt"
cp "$work/graphlib/package/LICENSE" "$dest/graphlib.LICENSE.txt"

{
    echo "Vendored by scripts/vendor_report_assets.sh from the npm registry; do not edit by hand."
    echo
    echo "@dagrejs/dagre $DAGRE_VERSION (MIT): dist/dagre.min.js -> dagre.min.js" \
        "(sourceMappingURL comment removed, license note repointed), LICENSE -> dagre.LICENSE.txt"
    echo "@dagrejs/graphlib $GRAPHLIB_VERSION (MIT, bundled inside dagre.min.js):" \
        "LICENSE -> graphlib.LICENSE.txt"
    echo
    (cd "$dest" && sha256sum dagre.min.js dagre.LICENSE.txt graphlib.LICENSE.txt)
} >"$dest/VERSIONS.txt"

echo "vendored into $dest:"
ls -l "$dest"
