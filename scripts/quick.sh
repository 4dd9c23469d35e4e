#!/bin/bash
# quick.sh: make quick, the inner loop of work on the series.  The
# hygiene of the patches that changed (checkpatch and the commit message
# rules of make check), then the work tree (qemu/, made by make apply)
# built and its quick tests run: the unit test of the accelerated SMMUv3's
# logic and the arm-smmuv3 qtest.  The patches that changed: those that
# differ from the last commit, or if none do, those the last commit
# changed.  The last line says "quick: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

passed=0
failed=0
step() { # NAME CMD...
    local name=$1 t0=$SECONDS out
    shift
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "PASS $name ($((SECONDS - t0))s)"
    else
        failed=$((failed + 1))
        echo "FAIL $name ($((SECONDS - t0))s)"
        echo "$out" | tail -n 15 | sed 's/^/    | /'
    fi
}

cd "$TOP"
changed=$( { git diff --name-only HEAD -- patches; git ls-files -o --exclude-standard patches; } |
          grep '\.patch$' | sort -u)
[ -n "$changed" ] ||
    changed=$(git diff --name-only HEAD~1 HEAD -- patches 2>/dev/null | grep '\.patch$')
# checkpatch.pl runs from the base tree (a fresh machine has none yet)
[ -z "$changed" ] || "$TOP/scripts/setup/fetch-base.sh" >/dev/null ||
    { echo "quick: the base QEMU tree could not be fetched"; exit 1; }
for p in $changed; do
    [ -f "$p" ] || continue        # a patch that left the series
    step "checkpatch/$(basename "${p%%-*}")" "$TOP/scripts/series/checkpatch.sh" "$p"
    step "message/$(basename "${p%%-*}")" "$TOP/scripts/series/message.sh" "$p"
done

step scripts "$TOP/scripts/tests/scripts.sh"

[ -d "$WORK/.git" ] || "$TOP/scripts/series/apply.sh" >/dev/null ||
    { echo "quick: make apply failed"; exit 1; }
"$TOP/scripts/series/in-sync.sh" >/dev/null 2>&1 ||
    echo "quick: note: qemu/ and patches/ differ (make export, or make apply); testing qemu/"
before=$failed
step build env BUILD_TARGETS="tests/qtest/arm-smmuv3-test tests/unit/test-smmuv3-accel" \
    "$TOP/scripts/build/qemu.sh"
[ "$failed" = "$before" ] && step quick-tests env QUICK_TESTS_REQUIRED=1 \
    "$TOP/scripts/tests/quick.sh" "$BUILD/qemu"
echo "quick: $passed passed, $failed failed"
[ "$failed" = 0 ]
