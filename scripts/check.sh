#!/bin/bash
# check.sh [GROUP...]: the project's tests (make check).  Groups, in order:
#   series  the patch queue: applies (git am, quilt on Debian's tree),
#           checkpatch, commit messages, the docs' generated parts, the
#           shell scripts, patch sizes, builds and quick tests after every
#           patch, and builds without iommufd (at the patch that adds
#           accel=on and at the last)
#   qemu    QEMU's own tests the series could break, and the series' tests
#   libvirt Debian sid's libvirt 12.8 driving the series' QEMU on this host
#           (scripts/libvirt/host.sh)
#   e2e     the end-to-end testbed scenarios (testbed/run.sh)
#   demo    make demo in a clean copy of the tree (scripts/demo/clean-copy.sh)
# Every test prints PASS or FAIL with its name; the last line is
# "N passed, M failed".  Logs: logs/check/<test>.log.  A test that passed
# before with the same inputs is not run again: "PASS <name> (cached:
# <date>)" (the builds, quick tests, QEMU's tests, libvirt group, e2e
# scenarios and demo; see "verdicts" below).  SMMU_CHECK_FRESH=1 runs all.
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

# timed LOG CMD...: run CMD with its output in LOG; "<wall> <cpu>" seconds
# (the CPU time of everything it ran, user and system) in LOG.time
timed() {
    local log=$1 t0 rc TIMEFORMAT='%U %S'
    shift
    t0=$(date +%s)
    { time "$@" >"$log" 2>&1; } 2>"$log.cpu"
    rc=$?
    awk -v w=$(($(date +%s) - t0)) '{ printf "%d %d\n", w, $1 + $2 + 0.5 }' \
        "$log.cpu" > "$log.time"
    rm -f "$log.cpu"
    return $rc
}
took() { awk '{ printf "%ss, cpu %ss", $1, $2 }' "$1.time" 2>/dev/null; }

# tally NAME LOG RC: count a test's result and print its line
tally() {
    local name=$1 log=$2 rc=$3
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        printf 'PASS %s (%s)\n' "$name" "$(took "$log")"
        return 0
    fi
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL %s (exit %s; log %s)\n' "$name" "$rc" "${log#"$TOP"/}"
    tail -n 15 "$log" | sed 's/^/    | /'
    return 1
}

# run NAME CMD...: one test; its output goes to its log.
run() {
    local name=$1 log rc
    shift
    log=$LOGS/${name//\//_}.log
    timed "$log" "$@"
    rc=$?
    tally "$name" "$log" "$rc"
    return $rc
}

patches() { grep -v '^#' "$PATCHES/series" | grep -v '^$'; }

# The verdicts of the series group are kept, by the hash of everything they
# depend on: a patch and those before it, the base QEMU tree, the device
# configuration, the scripts and the compiler.  A run with nothing changed reads them instead
# of building again; any change to one of these builds and tests that patch
# again, and every patch after it.  SMMU_CHECK_FRESH=1: ignore them.
VERDICTS=$CACHE/verdicts
mkdir -p "$VERDICTS"
verdict_salt=$( { cat "$TOP/scripts/build/qemu.sh" "$TOP/scripts/build/bisect.mak" \
                      "$TOP/scripts/build/noiommufd.sh" "$TOP/scripts/build/noiommufd.mak" \
                      "$TOP/scripts/tests/quick.sh" "$TOP/scripts/series/apply.sh" \
                      "$TOP/scripts/build/roms.sh"
                  echo "base $QEMU_ORIG_SHA256"
                  echo "${QEMU_CONFIGURE_COMMON[*]}"; gcc --version | head -n 1; } |
                sha256sum | cut -c1-16)

# cached NAME KEY CMD...: run, as run() does, unless a run with KEY passed
cached() {
    local name=$1 key=$2
    shift 2
    if [ -z "${SMMU_CHECK_FRESH:-}" ] && [ -f "$VERDICTS/$key" ]; then
        passed=$((passed + 1))
        printf 'PASS %s (cached: %s)\n' "$name" "$(cat "$VERDICTS/$key")"
        return 0
    fi
    run "$name" "$@" || return 1
    date -u +%Y-%m-%dT%H:%MZ > "$VERDICTS/$key"
}

# quick_bg N KEY BUILDDIR: the quick tests of patch N on a copy of what
# BUILDDIR built, in the background (one at a time; about one core) while
# the next patch builds; reap() reports those that ended, in order.  A
# pass is kept as a verdict under KEY.
QUICK_PENDING=()
QUICK_PID=
quick_bg() {
    local n=$1 key=$2 bld=$3 d=$CHECK/snap/$1 f log
    log=$LOGS/series_quick_$n.log
    # (the one before it; not the prefetch, which may run for many minutes)
    [ -z "$QUICK_PID" ] || wait "$QUICK_PID" 2>/dev/null
    rm -rf "$d" && mkdir -p "$d/tests/unit" "$d/tests/qtest"
    for f in qemu-system-aarch64 tests/unit/test-smmuv3-accel tests/qtest/arm-smmuv3-test; do
        [ -e "$bld/$f" ] && cp "$bld/$f" "$d/$f"
    done
    # With the ROMs a QEMU in BUILDDIR finds (virtio-net-pci's, for one)
    ( timed "$log" sh -c '"$1/scripts/build/roms.sh" "$2" && "$1/scripts/tests/quick.sh" "$2"' \
            quick "$TOP" "$d"
      rc=$?
      [ $rc = 0 ] && date -u +%Y-%m-%dT%H:%MZ > "$VERDICTS/$key"
      rm -rf "$d"
      echo "$rc" > "$log.rc" ) &
    QUICK_PID=$!
    QUICK_PENDING+=("$n")
}
reap() {
    while [ ${#QUICK_PENDING[@]} -gt 0 ] &&
          [ -f "$LOGS/series_quick_${QUICK_PENDING[0]}.log.rc" ]; do
        report "series/quick/${QUICK_PENDING[0]}"
        QUICK_PENDING=("${QUICK_PENDING[@]:1}")
    done
}

series_tests() {
    "$TOP/scripts/setup/deps.sh" build && "$TOP/scripts/setup/fetch-base.sh" || return 1

    rm -rf "$CSRC"
    run series/apply env FORCE=1 "$TOP/scripts/series/apply.sh" "$CSRC" || return 1
    # scripts/build/series.sh (QEMU's tests; the testbed's L0 starts from
    # it) reuses this tree as long as patches/ is unchanged.
    series_hash > "$CSRC/.series-hash"
    echo "/.series-hash" >> "$CSRC/.git/info/exclude"
    run series/debian-quilt "$TOP/scripts/series/quilt.sh"

    # Tests are named by the patch's number (0001, ...).
    local i=0 p c prefix=$verdict_salt n
    for p in $(patches); do
        run "series/message/${p%%-*}" "$TOP/scripts/series/message.sh" "$PATCHES/$p"
        run "series/checkpatch/${p%%-*}" "$TOP/scripts/series/checkpatch.sh" "$PATCHES/$p"
    done
    run series/docs "$TOP/scripts/tests/docs.sh"
    run series/scripts "$TOP/scripts/tests/scripts.sh"
    run series/sizes "$TOP/scripts/series/sizes.sh"
    # Bisectability: the tree builds after every patch, and the quick tests
    # that exist then pass.  These builds have the virt machine and the
    # devices the quick tests use, without optimization
    # (scripts/build/bisect.mak): what matters is that every patch compiles,
    # links and passes; qemu's group builds the whole series the usual way.
    # The patch that adds arm-smmuv3,accel=on, and the last one, are also
    # built without iommufd, where the accel=on tests must skip.
    local accel_patch= accel_key=
    for c in $(git -C "$CSRC" rev-list --reverse base..HEAD); do
        i=$((i + 1))
        p=$(patches | sed -n "${i}p")
        n=${p%%-*}
        prefix=$( { echo "$prefix"; sha256sum < "$PATCHES/$p"; } | sha256sum | cut -c1-16)
        # The build and its quick tests go together: a test runs on the
        # build of its own patch
        if [ -z "${SMMU_CHECK_FRESH:-}" ] && [ -f "$VERDICTS/quick-$prefix" ]; then
            cached "series/build/$n" "quick-$prefix"
            cached "series/quick/$n" "quick-$prefix"
        else
            git -C "$CSRC" checkout -q "$c"
            BUILD_DEVICES=$TOP/scripts/build/bisect.mak BUILD_OPT=0 BUILD_DEBUG_INFO=0 \
            BUILD_TARGETS="tests/qtest/arm-smmuv3-test tests/unit/test-smmuv3-accel" \
                run "series/build/$n" \
                    "$TOP/scripts/build/qemu.sh" "$CSRC" "$CHECK/build/bisect" &&
            quick_bg "$n" "quick-$prefix" "$CHECK/build/bisect"
        fi
        reap
        if [ -z "$accel_patch" ] && git -C "$CSRC" cat-file -e "$c:hw/arm/smmuv3-accel.c" 2>/dev/null; then
            accel_patch=$c
            accel_key=$prefix
        fi
    done
    [ -z "$QUICK_PID" ] || wait "$QUICK_PID" 2>/dev/null
    reap
    # (the tree at the patch for the first build, at the end for the last)
    if [ -n "$accel_patch" ]; then
        n=$(patches | sed -n "$(git -C "$CSRC" rev-list --count "base..$accel_patch")p" | cut -d- -f1)
        if ! { [ -z "${SMMU_CHECK_FRESH:-}" ] && [ -f "$VERDICTS/noiommufd-$accel_key" ]; }; then
            git -C "$CSRC" checkout -q "$accel_patch"
        fi
        cached "series/no-iommufd/$n" "noiommufd-$accel_key" \
            "$TOP/scripts/build/noiommufd.sh" "$CSRC" "$CHECK/build/noiommufd"
        if [ "$accel_patch" != "$c" ]; then
            git -C "$CSRC" checkout -q "$c"
            cached "series/no-iommufd/${p%%-*}" "noiommufd-$prefix" \
                "$TOP/scripts/build/noiommufd.sh" "$CSRC" "$CHECK/build/noiommufd"
        fi
    fi
    git -C "$CSRC" checkout -q series
}

# bg_jobs: how many of this shell's background tests run (not the
# prefetch, which is one of its jobs too)
bg_jobs() {
    jobs -rp | grep -cvx "${PREFETCH_PID:-none}"
}

# run_bg NAME CMD...: start one test in the background, at most
# $CHECK_JOBS (2) at once; report() prints and counts it, as run() does
CHECK_JOBS=${CHECK_JOBS:-2}
run_bg() {
    local name=$1 log
    shift
    log=$LOGS/${name//\//_}.log
    while [ "$(bg_jobs)" -ge "$CHECK_JOBS" ]; do
        wait -n
    done
    ( timed "$log" "$@"; echo "$?" > "$log.rc" ) &
    BG_PIDS+=("$!")
}
# wait_bg: until every run_bg test has ended (not the prefetch)
BG_PIDS=()
wait_bg() {
    local p
    for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
        wait "$p" 2>/dev/null
    done
    BG_PIDS=()
}
report() {
    local name=$1 log rc
    log=$LOGS/${name//\//_}.log
    read -r rc < "$log.rc"
    rm -f "$log.rc"
    tally "$name" "$log" "$rc"
}

# test_key TEST: the hash of what one of QEMU's tests runs: the binaries
# (QEMU and the test), the patches (the tests' data is in the tree), the
# runner script and the salt of the series group
test_key() {
    { echo "$verdict_salt"; build_key; echo "$1"
      sha256sum < "$TOP/scripts/tests/qemu-test.sh"; } |
        sha256sum | cut -c1-16
}

# build_key: what the series' optimized build (scripts/build/series.sh,
# CBLD) is made from: the series and the script, with the salt's build
# scripts, configure flags and compiler.  Not the binaries: they differ
# from one clone to the next, so that a fresh clone would run the qemu
# and libvirt groups again for nothing.
build_key() {
    series_hash
    sha256sum < "$TOP/scripts/build/series.sh"
}

# l0_key: what L0's QEMU and its qtest are made of (testbed/build/l0-qemu.sh)
l0_key() {
    { echo "$verdict_salt"; series_hash
      cat "$TOP"/testbed/l0-patches/*.patch "$TOP/testbed/build/l0-qemu.sh" \
          "$TOP/scripts/tests/l0-qtest.sh" "$TOP/scripts/config.sh"; } |
        sha256sum | cut -c1-16
}

qemu_tests() {
    # The series as it is in patches/, built (a no-op after the series group).
    run qemu/build "$TOP/scripts/build/series.sh" || return 1
    # generic-fuzz's harness, which the series changes and no build of
    # make check compiles (seconds)
    run qemu/fuzz-harness "$TOP/scripts/tests/fuzz-harness.sh" "$CSRC" "$CBLD"
    # Two at a time: each runs one QEMU after another, about a core.  A
    # test whose binaries, data and runner passed before is not run again.
    local t key
    local -A keys=()
    for t in $QEMU_TESTS; do
        key=qemu-$(test_key "$t")
        keys[$t]=$key
        if [ -z "${SMMU_CHECK_FRESH:-}" ] && [ -f "$VERDICTS/$key" ]; then
            continue
        fi
        run_bg "qemu/${t#qtest-aarch64/}" "$TOP/scripts/tests/qemu-test.sh" "$CBLD" "$t"
    done
    wait_bg
    # The testbed's own patches to L0's QEMU (testbed/l0-patches/): their
    # qtest, on the L0 QEMU the e2e group boots (built here, from ccache)
    cached qemu/l0-qtest "l0qtest-$(l0_key)" "$TOP/scripts/tests/l0-qtest.sh"
    for t in $QEMU_TESTS; do
        if [ ! -f "$LOGS/qemu_${t#qtest-aarch64/}.log.rc" ]; then
            cached "qemu/${t#qtest-aarch64/}" "${keys[$t]}"
            continue
        fi
        report "qemu/${t#qtest-aarch64/}" &&
            date -u +%Y-%m-%dT%H:%MZ > "$VERDICTS/${keys[$t]}"
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
    done < <("$@" 2>&1 | tee "$LOGS/$group.log" | grep --line-buffered -E '^(PASS |FAIL |SKIP |e2e: )')
    if ! grep -qE '^(PASS|FAIL) ' "$LOGS/$group.log"; then
        failed=$((failed + 1)); failures+=("$group")
        echo "FAIL $group (no test ran; log logs/check/$group.log)"
        tail -n 20 "$LOGS/$group.log" | sed 's/^/    | /'
    fi
}

# libvirt_key: the hash of what the libvirt group runs: its scripts, what
# the series' QEMU and the base QEMU are made of (build_key; the base
# tarball is in the salt) and the name of sid's root file system (which
# carries the hash of its inputs); empty if one of them is not there yet
libvirt_key() {
    local qemu=$CBLD/qemu-system-aarch64 base rootfs
    base=$("$TOP/scripts/libvirt/base-qemu.sh" 2>>"$LOGS/libvirt-key.log" | tail -n 1)
    rootfs=$("$TOP/scripts/libvirt/rootfs.sh" 2>>"$LOGS/libvirt-key.log" | tail -n 1)
    [ -f "$qemu" ] && [ -f "$base" ] && [ -n "$rootfs" ] || return 0
    { echo "$verdict_salt"; cat "$TOP"/scripts/libvirt/*.sh
      build_key; sha256sum < "$TOP/scripts/build/edk2-blobs.sh"
      basename "$rootfs"; } |
        sha256sum | cut -c1-16
}

libvirt_tests() {
    # The group passed with the same inputs: its lines again, marked
    local key date
    key=$(libvirt_key)
    if [ -n "$key" ] && [ -z "${SMMU_CHECK_FRESH:-}" ] && [ -f "$VERDICTS/libvirt-$key" ]; then
        date=$(head -n 1 "$VERDICTS/libvirt-$key")
        group_lines libvirt "" sed "1d; s/^PASS \([^:]*\):/PASS \1 (cached: $date):/" \
            "$VERDICTS/libvirt-$key"
        return
    fi
    local before=$failed
    group_lines libvirt "" "$TOP/scripts/libvirt/host.sh"
    [ -n "$key" ] && [ "$failed" = "$before" ] &&
        { date -u +%Y-%m-%dT%H:%MZ; grep '^PASS ' "$LOGS/libvirt.log"; } > "$VERDICTS/libvirt-$key"
}

# demo_key: the hash of the files the clean copy gets (those git tracks,
# and new ones it does not ignore) and of the compiler; the demo builds
# everything else from them, through the cache
demo_key() {
    { echo "$verdict_salt"
      (cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
           sort -z | while IFS= read -r -d '' f; do
               [ -f "$f" ] && { echo "$f"; sha256sum < "$f"; }
           done); } | sha256sum | cut -c1-16
}

e2e_tests() {
    # testbed/run.sh prints one "PASS|FAIL <scenario> ..." line per scenario
    # (a scenario that passed with the same inputs is not run again:
    # testbed/run.sh, E2E_CACHE_VERDICTS)
    group_lines e2e e2e/ env E2E_CACHE_VERDICTS=1 "$TOP/testbed/run.sh"
}

# The meson names of the QEMU tests we run (qtest-aarch64 suite + ours).
# (the slowest first: two run at a time)
QEMU_TESTS="qtest-aarch64/qom-test qtest-aarch64/bios-tables-test
 qtest-aarch64/test-hmp qtest-aarch64/arm-smmuv3-test
 qtest-aarch64/device-introspect-test qtest-aarch64/pci-acpi-index-test
 test-smmuv3-accel"
[ -n "${SMMU_QEMU_TESTS:-}" ] && QEMU_TESTS=$SMMU_QEMU_TESTS

# What the libvirt and e2e groups need that does not depend on the work
# of the groups before them is made in the background, at low priority,
# while the series group builds: the arm64 kernel, busybox, sysroot and
# tools, the arm64 QEMU that L1 runs (from patches/), libvirt's root file
# systems (downloads).  The packages come first, in the foreground (apt
# takes one at a time).  Each step is cached by the hash of its inputs;
# the groups that need them wait for the whole (wait_prefetch), so no step
# runs twice at once.  Its log: logs/check/prefetch.log.  A step that
# fails here is run again, and reported, by the group that needs it.
PREFETCH_PID=
prefetch() {
    local want=" ${groups[*]} "
    case "$want" in *" e2e "*|*" demo "*|*" libvirt "*) ;; *) return 0 ;; esac
    "$TOP/scripts/setup/deps.sh" build >/dev/null 2>&1
    case "$want" in *" e2e "*|*" demo "*)
        "$TOP/scripts/setup/deps.sh" testbed >/dev/null 2>&1 ;; esac
    case "$want" in *" libvirt "*)
        "$TOP/scripts/setup/deps.sh" libvirt >/dev/null 2>&1 ;; esac
    (
        trap '' HUP
        step() { echo "prefetch: $*"; local t0=$SECONDS; nice -n 10 "$@" >/dev/null ||
                 echo "prefetch: $1 failed (its group runs it again)"; echo "prefetch:   $((SECONDS - t0)) s"; }
        case "$want" in *" e2e "*|*" demo "*)
            step "$TOP/testbed/build/kernel.sh"
            step "$TOP/testbed/build/busybox.sh"
            step "$TOP/testbed/build/sysroot.sh"
            for t in smmuv3-accel-probe smmuv3-hostile-guest dmabench; do
                step "$TOP/testbed/build/tool.sh" "$t"
            done
            step "$TOP/scripts/libvirt/l1-rootfs.sh"
            step "$TOP/testbed/build/l2-qemu.sh" ;;
        esac
        case "$want" in *" libvirt "*)
            step "$TOP/scripts/libvirt/rootfs.sh" ;; esac
    ) > "$LOGS/prefetch.log" 2>&1 &
    PREFETCH_PID=$!
}
wait_prefetch() {
    [ -n "$PREFETCH_PID" ] || return 0
    local t0=$SECONDS
    wait "$PREFETCH_PID" 2>/dev/null
    PREFETCH_PID=
    [ $((SECONDS - t0)) -lt 5 ] || echo "check: waited $((SECONDS - t0)) s for the background builds (logs/check/prefetch.log)"
}

# The CPU seconds this shell and its children have used so far
# (times must run in this shell, not in a pipeline's subshell)
cpu_now() {
    times > "$LOGS/.times"
    CPU_NOW=$(tr ' ' '\n' < "$LOGS/.times" |
        awk -F'[ms]' '/m/ { t += $1 * 60 + $2 } END { printf "%d\n", t + 0.5 }')
}
summary=()
t_all=$(date +%s)
prefetch
for g in "${groups[@]}"; do
    case "$g" in libvirt|e2e|demo) wait_prefetch ;; esac
    t_g=$(date +%s)
    cpu_now
    c_g=$CPU_NOW
    case "$g" in
    series) series_tests ;;
    qemu) qemu_tests ;;
    libvirt) libvirt_tests ;;
    e2e) e2e_tests ;;
    demo) cached demo/clean-clone "demo-$(demo_key)" "$TOP/scripts/demo/clean-copy.sh" ;;
    *) echo "check: unknown group $g (series, qemu, libvirt, e2e, demo)" >&2; exit 2 ;;
    esac
    cpu_now
    summary+=("$g $(($(date +%s) - t_g))s (cpu $((CPU_NOW - c_g))s)")
done
echo "time: ${summary[*]/%/,} total $(($(date +%s) - t_all))s"

if [ $failed -gt 0 ]; then
    echo "failed: ${failures[*]}"
    echo "logs: ${LOGS#"$TOP"/}/"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ] && [ $passed -gt 0 ]
