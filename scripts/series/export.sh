#!/bin/bash
# export.sh [DIR [OUT]]: write the commits base..HEAD of the work tree DIR as
# one git format-patch file each into OUT (default patches/) and rewrite
# OUT/series.  Output depends only on the commits and their notes (what
# changed in this version, below each patch's "---"; apply.sh restores
# them): exporting an unchanged series changes no file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
dir=${1:-$WORK}
out=${2:-$PATCHES}

git -C "$dir" rev-parse -q --verify base >/dev/null || {
    echo "export: $dir is not a work tree made by 'make apply' (no tag base)" >&2
    exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$dir" -c core.abbrev=12 -c diff.noprefix=false -c format.signature= \
    format-patch -q --zero-commit --no-signature --no-numbered --notes \
    --no-add-header --no-cover-letter --no-from -o "$tmp" base..HEAD >/dev/null
mkdir -p "$out"
(cd "$tmp" && ls -1 -- *.patch 2>/dev/null || true) > "$tmp/series.new"
{
    echo "# Applied in this order on QEMU 10.2.2 (git am, or quilt push -a)."
    cat "$tmp/series.new"
} > "$tmp/series"
# Remove patches that are no longer part of the series, then update the rest
# only where their content changed.
for f in "$out"/*.patch; do
    [ -e "$f" ] || continue
    [ -e "$tmp/$(basename "$f")" ] || rm -f "$f"
done
for f in "$tmp"/*.patch "$tmp/series"; do
    [ -e "$f" ] || continue
    cmp -s "$f" "$out/$(basename "$f")" 2>/dev/null || cp "$f" "$out/"
done
echo "export: $(wc -l < "$tmp/series.new") patches in $out"
# The cover letter's patch count, list and diffstat follow the commits
[ -f "$out/cover-letter.txt" ] && "$here/cover.sh" "$dir" "$out"
exit 0
