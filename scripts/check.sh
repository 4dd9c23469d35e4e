#!/bin/bash
# check.sh [GROUP...]: the project's tests (make check).  Groups, in order:
#   series  the patch queue: applies (git am, quilt on Debian's tree),
#           checkpatch, commit messages, builds and quick tests after every
#           patch, and a build without iommufd
#   qemu    QEMU's own tests the series could break, and the series' tests
#   libvirt Debian sid's libvirt 12.8 driving the series' QEMU on this host
#           (scripts/libvirt/host.sh)
#   e2e     the end-to-end testbed scenarios (scripts/e2e.sh)
#   demo    make demo in a clean copy of the tree (scripts/demo-clean.sh)
# Every test prints PASS or FAIL with its name; the last line is
# "N passed, M failed".  Logs: logs/check/<test>.log
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(series qemu libvirt e2e demo)

LOGS=$TOP/logs/check
rm -rf "$LOGS"
mkdir -p "$LOGS"
CHECK=$BUILD/check
CSRC=$CHECK/qemu
CBLD=$CHECK/build/qemu
passed=0
failed=0
failures=()

# run NAME CMD...: one test; its output goes to its log.
run() {
    local name=$1 log t0 rc
    shift
    log=$LOGS/${name//\//_}.log
    t0=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
        printf 'PASS %s (%ss)\n' "$name" $(($(date +%s) - t0))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL %s (exit %s; log %s)\n' "$name" "$rc" "${log#"$TOP"/}"
        tail -n 15 "$log" | sed 's/^/    | /'
    fi
    return $rc
}

patches() { grep -v '^#' "$PATCHES/series" | grep -v '^$'; }

series_tests() {
    "$here/deps.sh" build && "$here/fetch-base.sh" || return 1

    rm -rf "$CSRC"
    run series/apply env FORCE=1 "$here/apply.sh" "$CSRC" || return 1
    # series-qemu.sh (QEMU tests; l0-qemu.sh starts from it) reuses this
    # tree as long as patches/ is unchanged.
    series_hash > "$CSRC/.series-hash"
    echo "/.series-hash" >> "$CSRC/.git/info/exclude"
    run series/debian-quilt "$here/check-quilt.sh"

    # Tests are named by the patch's number (0001, ...).
    local i=0 p c
    for p in $(patches); do
        run "series/message/${p%%-*}" "$here/check-message.sh" "$PATCHES/$p"
        run "series/checkpatch/${p%%-*}" "$here/check-patch.sh" "$PATCHES/$p"
    done
    # Bisectability: the tree builds after every patch (incremental, ccache:
    # QEMU and the quick tests only), and the quick tests that exist then
    # pass.  The patch that adds arm-smmuv3,accel=on, and the last one, are
    # also built without iommufd, where the accel=on tests must skip.
    local accel_patch=
    for c in $(git -C "$CSRC" rev-list --reverse base..HEAD); do
        i=$((i + 1))
        p=$(patches | sed -n "${i}p")
        git -C "$CSRC" checkout -q "$c"
        BUILD_TARGETS="tests/qtest/arm-smmuv3-test tests/unit/test-smmuv3-accel" \
            run "series/build/${p%%-*}" "$here/build.sh" "$CSRC" "$CBLD" &&
        run "series/quick/${p%%-*}" "$here/quick-tests.sh" "$CBLD"
        if [ -z "$accel_patch" ] && [ -f "$CSRC/hw/arm/smmuv3-accel.c" ]; then
            accel_patch=$c
            run "series/no-iommufd/${p%%-*}" "$here/noiommufd.sh" "$CSRC" "$CHECK/build/noiommufd"
        fi
    done
    [ "$accel_patch" = "$c" ] ||
        run "series/no-iommufd/${p%%-*}" "$here/noiommufd.sh" "$CSRC" "$CHECK/build/noiommufd"
    git -C "$CSRC" checkout -q series
}

qemu_tests() {
    # The series as it is in patches/, built (a no-op after the series group).
    run qemu/build "$here/series-qemu.sh" || return 1
    local t
    for t in $QEMU_TESTS; do
        run "qemu/${t#qtest-aarch64/}" "$here/qemu-test.sh" "$CBLD" "$t"
    done
}

# group_lines GROUP PREFIX CMD...: a group script that prints
# "PASS|FAIL <name>..." lines; count them (failures named PREFIX<name>)
group_lines() {
    local group=$1 prefix=$2 line name
    shift 2
    while IFS= read -r line; do
        echo "$line"
        case "$line" in
        PASS\ *) passed=$((passed + 1)) ;;
        FAIL\ *) failed=$((failed + 1)); name=${line#FAIL }; failures+=("$prefix${name%%[ :]*}") ;;
        esac
    done < <("$@" 2>&1 | tee "$LOGS/$group.log" | grep --line-buffered -E '^(PASS |FAIL |e2e: )')
    if ! grep -qE '^(PASS|FAIL) ' "$LOGS/$group.log"; then
        failed=$((failed + 1)); failures+=("$group")
        echo "FAIL $group (no test ran; log logs/check/$group.log)"
        tail -n 20 "$LOGS/$group.log" | sed 's/^/    | /'
    fi
}

libvirt_tests() {
    group_lines libvirt "" "$here/libvirt/host.sh"
}

e2e_tests() {
    # scripts/e2e.sh prints one "PASS|FAIL <scenario> ..." line per scenario
    group_lines e2e e2e/ "$here/e2e.sh"
}

# The meson names of the QEMU tests we run (qtest-aarch64 suite + ours).
QEMU_TESTS="qtest-aarch64/qom-test qtest-aarch64/device-introspect-test
 qtest-aarch64/pci-acpi-index-test
 qtest-aarch64/test-hmp qtest-aarch64/arm-smmuv3-test test-smmuv3-accel
 qtest-aarch64/bios-tables-test"
[ -n "${SMMU_QEMU_TESTS:-}" ] && QEMU_TESTS=$SMMU_QEMU_TESTS

for g in "${groups[@]}"; do
    case "$g" in
    series) series_tests ;;
    qemu) qemu_tests ;;
    libvirt) libvirt_tests ;;
    e2e) e2e_tests ;;
    demo) run demo/clean-clone "$here/demo-clean.sh" ;;
    *) echo "check: unknown group $g (series, qemu, libvirt, e2e, demo)" >&2; exit 2 ;;
    esac
done

if [ $failed -gt 0 ]; then
    echo "failed: ${failures[*]}"
    echo "logs: ${LOGS#"$TOP"/}/"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ] && [ $passed -gt 0 ]
