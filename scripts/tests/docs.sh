#!/bin/bash
# docs.sh: the generated parts of the documentation agree with what they
# are generated from (--fix: rewrite the scenario list, which is all
# that this can regenerate by itself): the scenario list of docs/testbed.md with the
# scenarios' headers (testbed/run.sh --list), the cover letter's patch
# count and list with patches/, and every relative link of README.md and
# docs/*.md with a file of the repository, and that no FIGURE-<what>
# placeholder is left where a measured figure belongs.  Says how to fix
# what differs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
bad=0
fix=0
[ "${1:-}" = --fix ] && fix=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The scenario list
"$TOP/testbed/run.sh" --list > "$tmp/list"
sed -n '/<!-- scenarios: begin -->/,/<!-- scenarios: end -->/p' "$TOP/docs/testbed.md" |
    sed '1d;$d' > "$tmp/doc"
if ! diff -u "$tmp/doc" "$tmp/list" > "$tmp/diff"; then
    if [ $fix = 1 ]; then
        awk -v list="$tmp/list" '
            /<!-- scenarios: end -->/ { while ((getline l < list) > 0) print l; skip = 0 }
            !skip { print }
            /<!-- scenarios: begin -->/ { skip = 1 }' "$TOP/docs/testbed.md" > "$tmp/new" &&
            cat "$tmp/new" > "$TOP/docs/testbed.md"
        echo "docs: docs/testbed.md's scenario list rewritten"
    else
        echo "docs: docs/testbed.md's scenario list differs from the scenarios' headers:"
        sed 's/^/    /' "$tmp/diff" | head -n 30
        echo "docs: regenerate it: scripts/tests/docs.sh --fix"
        bad=1
    fi
fi

# 2. The cover letter's count and list
cover=$PATCHES/cover-letter.txt
n=0
: > "$tmp/subjects"
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    s=$(git mailinfo -k /dev/null /dev/null < "$PATCHES/$p" |
        sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p')
    printf '  %02d. %s\n' "$n" "$s" >> "$tmp/subjects"
done < "$PATCHES/series"
grep -E '^  [0-9]{2}\. ' "$cover" > "$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/subjects" > "$tmp/diff"; then
    echo "docs: the cover letter's patch list differs from patches/:"
    sed 's/^/    /' "$tmp/diff" | head -n 30
    echo "docs: regenerate it: make export (scripts/series/cover.sh)"
    bad=1
fi
head -n 1 "$cover" | grep -q "00/$n\]" || {
    echo "docs: the cover letter's subject does not say 00/$n: $(head -n 1 "$cover")"
    bad=1; }

# 3. Relative links in the Markdown files
for f in "$TOP"/README.md "$TOP"/docs/*.md "$TOP"/tools/*/README.md; do
    d=$(dirname "$f")
    grep -o '](\([^)#:]*\)\(#[^)]*\)\{0,1\})' "$f" | sed 's/^](//;s/)$//;s/#.*//' |
    while read -r l; do
        [ -n "$l" ] || continue
        [ -e "$d/$l" ] || echo "docs: ${f#"$TOP"/} links to $l, which does not exist"
    done
done > "$tmp/links"
if [ -s "$tmp/links" ]; then
    cat "$tmp/links"
    bad=1
fi
# 4. No figure left to fill in (a placeholder is written FIGURE-<what>)
if grep -nE '(TIMING|FIGURE)-[A-Z]' "$TOP"/README.md "$TOP"/docs/*.md > "$tmp/ph"; then
    sed "s|^$TOP/||; s/^/docs: a placeholder where a measured figure belongs: /" "$tmp/ph"
    bad=1
fi
[ $bad = 0 ] && echo "docs: the scenario list, the cover letter's list and $(wc -l < "$tmp/subjects") patches, and the links agree"
exit $bad
