#!/bin/bash
# in-sync.sh [DIR]: exit non-zero when the work tree DIR and patches/
# disagree, i.e. when work would stay behind unexported (or patches/ has
# patches the work tree has not applied).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
dir=${1:-$WORK}

if [ ! -d "$dir/.git" ]; then
    echo "series-check: no work tree at $dir (make apply creates it); nothing to lose."
    exit 0
fi
dirty=$(git -C "$dir" status --porcelain --untracked-files=normal)
if [ -n "$dirty" ]; then
    echo "series-check: $dir has uncommitted changes:" >&2
    echo "$dirty" | head -n 10 >&2
    echo "series-check: commit them (git commit / --fixup) and run 'make export'." >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TOP/scripts/series/export.sh" "$dir" "$tmp" >/dev/null
if ! out=$(diff -r -x cover-letter.txt -x README "$PATCHES" "$tmp" 2>&1 | grep -v '^Only in '"$PATCHES"': cover-letter' ); then :; fi
if [ -n "$out" ]; then
    echo "series-check: the work tree $dir and patches/ disagree:" >&2
    diff -rq -x cover-letter.txt -x README "$PATCHES" "$tmp" | sed "s|$tmp|<work tree export>|" >&2 || true
    echo "series-check: run 'make export' to write the work tree's commits to patches/," \
         "or 'make apply' to rebuild the work tree from patches/." >&2
    exit 1
fi
echo "series-check: work tree and patches/ agree ($(grep -cv '^#' "$PATCHES/series" || true) patches)."
