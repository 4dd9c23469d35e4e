#!/bin/bash
# scripts.sh: the project's shell scripts parse (bash -n), and each script
# that is run (not sourced) and uses $TOP defines it by sourcing
# scripts/config.sh: nothing exports TOP, so a script that relies on its
# caller's stops under set -u on a machine where that caller is not the
# one it was tried with.  The e2e scenarios (testbed/scenarios/) and
# testbed/lib.sh are sourced by testbed/run.sh, which sources config.sh.
# And no test runner can pass a failing command: PIPESTATUS is not read
# where "|| true" has reset it, and quick.sh and run.sh's step() are run
# with a command that fails.  And a few of the testbed's and make bench's
# parsers, on made-up input.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
cd "$TOP" || exit 1
bad=0 n=0
while IFS= read -r f; do
    n=$((n + 1))
    if ! err=$(bash -n "$f" 2>&1); then
        echo "FAIL $f does not parse: $err"
        bad=$((bad + 1))
        continue
    fi
    case "$f" in testbed/scenarios/*|testbed/lib.sh|scripts/config.sh) continue ;; esac
    if grep -qE '\$\{?TOP\b' "$f" && ! grep -qE '^[^#]*(\.|source) .*config\.sh' "$f"; then
        echo "FAIL $f uses \$TOP but does not source scripts/config.sh (use the script's own directory, or source it)"
        bad=$((bad + 1))
    fi
    # PIPESTATUS read after "cmd | ... || true": then it is true's
    awk -v f="$f" '
        /PIPESTATUS/ && prev ~ /\|\| *(true|:) *$/ {
            printf "FAIL %s:%d reads PIPESTATUS where it is no longer the pipeline'"'"'s: %s\n", f, NR, $0
            bad = 1
        }
        NF { prev = $0 }
        END { exit bad }' "$f" || bad=$((bad + 1))
done < <(git ls-files '*.sh' .ci/run)

# A failing quick test fails quick.sh, whatever it printed
tmp=$(mktemp -d)
mkdir -p "$tmp/tests/unit"
printf '#!/bin/sh\necho "# a test that fails"\nexit 1\n' > "$tmp/tests/unit/test-smmuv3-accel"
chmod +x "$tmp/tests/unit/test-smmuv3-accel"
if "$TOP/scripts/tests/quick.sh" "$tmp" > "$tmp/out" 2>&1; then
    echo "FAIL scripts/tests/quick.sh passed a test program that exited 1:"
    sed 's/^/    /' "$tmp/out"
    bad=$((bad + 1))
fi
rm -rf "$tmp"
# A failing preparation step fails testbed/run.sh's step()
eval "$(sed -n '/^step() {/,/^}/p' "$TOP/testbed/run.sh")"
progress() { :; }
if (step "a step that fails" 0 sh -c 'echo /a/path; exit 3') > /dev/null 2>&1; then
    echo "FAIL testbed/run.sh: step() took a command that exited 3 as done"
    bad=$((bad + 1))
fi
# check.sh's background work (a patch's quick tests while the next patch
# builds; QEMU's tests two at a time) does not wait for the prefetch, a
# background job of the same shell that runs for many minutes when cold
tmp=$(mktemp -d)
# shellcheck disable=SC2016
if ! out=$(cd "$tmp" && timeout 60 bash -c '
        LOGS=$PWD; CHECK=$PWD; VERDICTS=$PWD; TOP=/nonexistent; CHECK_JOBS=2
        QUICK_PENDING=()
        timed() { shift; "$@" > /dev/null 2>&1; }
        eval "$(sed -n "/^bg_jobs() {/,/^}/p; /^quick_bg() {/,/^}/p;
                        /^run_bg() {/,/^}/p; /^wait_bg() {/,/^}/p" "$1")"
        sleep 30 & PREFETCH_PID=$!
        t0=$SECONDS
        quick_bg 1 key1 /nonexistent
        quick_bg 2 key2 /nonexistent
        run_bg one true; run_bg two true; run_bg three true
        wait_bg
        [ -z "$QUICK_PID" ] || wait "$QUICK_PID"
        echo $((SECONDS - t0))
        kill $PREFETCH_PID 2> /dev/null' _ "$TOP/scripts/check.sh" 2>&1) || [ "$out" -gt 5 ]; then
    echo "FAIL scripts/check.sh: quick_bg and run_bg waited for the prefetch ($out s for work of none)"
    bad=$((bad + 1))
fi
rm -rf "$tmp"
# L1's reading of "info mtree" (testbed/guest/l1-lib.sh) finds the
# device's bus-master address space wherever QEMU prints it: first (right
# after '{"return": "'), in a group of address spaces with one root, or
# after others
eval "$(sed -n '/^mtree_bus_master() {/,/^}/p' "$TOP/testbed/guest/l1-lib.sh")"
bm='  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\r\n    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @'
vfio="address-space: vfio-pci\r\n${bm}system 0000000000000000-ffffffffffffffff\r\n\r\n"
other="address-space: virtio-net-pci\r\n${bm}smmuv3-iommu-memory-region-8-0 0000000000000000-ffffffffffffffff\r\n\r\n"
for reply in "{\"return\": \"$vfio$other\", \"id\": 7}" \
             "{\"return\": \"$other$vfio\", \"id\": 7}" \
             "{\"return\": \"${other}address-space: nvme\r\n$vfio\", \"id\": 7}"; do
    got=$(printf '%s\n' "$reply" | mtree_bus_master vfio-pci)
    [ "$got" = system ] || {
        echo "FAIL testbed/guest/l1-lib.sh: mtree_bus_master found '$got', not 'system', in: $reply"
        bad=$((bad + 1)); }
done
got=$(printf '%s\n' "{\"return\": \"$other\", \"id\": 7}" | mtree_bus_master vfio-pci)
[ -z "$got" ] || {
    echo "FAIL testbed/guest/l1-lib.sh: mtree_bus_master found '$got' for a device that is not in the tree"
    bad=$((bad + 1)); }
# make bench's table reads the cmdqv=on targets off the rows: met, and
# not met where a row forwarded commands
tmp=$(mktemp)
for r in "none 10.0 0" "accel-cmdqv-strict 9.5 0" "accel-cmdqv-lazy 9.8 2"; do
    set -- $r
    echo "E2E-BENCH $1 1 read seq bs=4096 qd=1 bytes=2097152 MBps=$2 IOPS=2500 verify=ok host-calls=$(($3 / 2)) cmds=$3 syncs=$(($3 / 2)) cpu-ticks=10"
done > "$tmp"
out=$("$TOP/scripts/bench/table.sh" "$tmp")
echo "$out" | grep -q 'cmdqv=on strict >= 0.9 x no vIOMMU, seq-4K-qd1-read: 0.95, met$' &&
    echo "$out" | grep -q 'during the I/O, target 0: 2, not met: seq-4K-qd1-read/accel-cmdqv-lazy$' || {
    echo "FAIL scripts/bench/table.sh: the cmdqv=on targets are not read off the rows:"
    echo "$out" | sed 's/^/    /'
    bad=$((bad + 1)); }
rm -f "$tmp"
[ $bad = 0 ] || exit 1
echo "$n shell scripts parse; every one that is run and uses \$TOP sources scripts/config.sh; PIPESTATUS is read where it holds the pipeline's; quick.sh and run.sh's step() fail with a failing command; check.sh's background work does not wait for its prefetch; L1 reads the bus-master address space in any order of info mtree; make bench's table reads the cmdqv=on targets"
