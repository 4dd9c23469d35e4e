#!/bin/bash
# checkpatch.sh PATCH: QEMU's scripts/checkpatch.pl on one patch of the
# series.  Errors fail.  Warnings fail too, unless the commit message says
# why they are expected (a paragraph that names "checkpatch").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
p=$(realpath "$1")
out=$(cd "$BASE" && ./scripts/checkpatch.pl --color=never --root="$BASE" "$p" 2>&1) || true
echo "$out"
sum=$(echo "$out" | grep -E '^total: [0-9]+ errors, [0-9]+ warnings' | tail -n 1)
[ -n "$sum" ] || { echo "check-patch: checkpatch.pl printed no summary"; exit 1; }
errors=$(echo "$sum" | awk '{print $2}')
warnings=$(echo "$sum" | awk '{print $4}')
if [ "$errors" != 0 ]; then
    echo "check-patch: $(basename "$p"): $errors checkpatch errors"
    exit 1
fi
if [ "$warnings" != 0 ]; then
    # The commit message is what precedes the first "---" line.
    if sed '/^---$/q' "$p" | grep -qi 'checkpatch'; then
        echo "check-patch: $warnings warnings, justified in the commit message"
    else
        echo "check-patch: $(basename "$p"): $warnings checkpatch warnings and the" \
             "commit message does not say why they are expected"
        exit 1
    fi
fi
