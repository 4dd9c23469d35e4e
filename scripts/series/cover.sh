#!/bin/bash
# cover.sh [DIR [OUT]]: bring the generated parts of OUT/cover-letter.txt
# (default patches/) in line with the commits base..HEAD of the work tree
# DIR: the patch count in the subject, the numbered list of patches and the
# diffstat, which start at the line "  01. ".  The prose above the list is
# written by hand; this only keeps the numbers true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
dir=${1:-$WORK}
out=${2:-$PATCHES}
cover=$out/cover-letter.txt

[ -f "$cover" ] || { echo "cover: no $cover" >&2; exit 1; }
grep -q '^  01\. ' "$cover" || {
    echo "cover: $cover has no line '  01. ' where the patch list starts" >&2
    exit 1
}
n=$(git -C "$dir" rev-list --count base..HEAD)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    sed -n '/^  01\. /q;p' "$cover" |
        sed "1s|\[PATCH \(v[0-9]* \)\?00/[0-9]*\]|[PATCH \100/$n]|"
    git -C "$dir" log --reverse --format='%s' base..HEAD |
        awk '{ printf "  %02d. %s\n", NR, $0 }'
    echo
    git -C "$dir" -c diff.noprefix=false diff --stat=78 base..HEAD
} > "$tmp"
cmp -s "$tmp" "$cover" || cp "$tmp" "$cover"
