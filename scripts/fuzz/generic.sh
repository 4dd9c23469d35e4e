#!/bin/bash
# generic.sh [SECONDS [CONFIG...]]: QEMU's own fuzzer, generic-fuzz
# (tests/qtest/fuzz/generic_fuzz.c), on the vSMMU of virt, built with clang,
# ASan, UBSan and llvm's coverage (build/fuzz-qemu, from the work tree
# qemu/, cached like the other builds), SECONDS (default 600) on one core
# for each CONFIG (default all):
#   emulated    arm-smmuv3 with an NVMe behind it, whose DMA it translates
#   accel       arm-smmuv3,accel=on with the test double of the host
#   accel-fail  the same, every invalidation the double is given failing
#               with ETIMEDOUT as Linux fails them (the batch, errno and
#               give-up paths)
# The fuzzer writes the vSMMU's registers (and ECAM and the NVMe's), fills
# what the devices read from guest memory (queues, STEs, CDs, page tables)
# and steps the clock.  Seeds: fuzz/generic-seeds.py, the hostile guest's
# cases.  An input that runs over FUZZ_TIMEOUT s (default 10; more on a
# loaded machine, where a starved run looks hung) is a finding (a hang),
# as is a crash, an ASan or a UBSan report.  Corpora: $CACHE/fuzz/generic-CONFIG;
# findings: logs/fuzz/generic-CONFIG/.  Then every corpus is run once more
# for the line coverage of hw/arm/smmuv3*.c and smmu-common.c (llvm-cov;
# build/fuzz/profile/all.lcov).  Exit status 1 if there is a finding, or
# if no coverage could be read.  make fuzz gives it a quarter of
# FUZZ_SECONDS; run by itself, SECONDS (or FUZZ_SECONDS) is per CONFIG,
# and 0 runs no fuzzer: only the corpora again, for the coverage.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
secs=${1:-${FUZZ_SECONDS:-600}}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(emulated accel accel-fail)

"$TOP/scripts/setup/deps.sh" fuzz >/dev/null || { echo "fuzz: deps.sh failed"; exit 1; }
[ -d "$WORK/.git" ] || "$TOP/scripts/series/apply.sh" >/dev/null ||
    { echo "fuzz: make apply failed"; exit 1; }
# A work tree behind patches/ (make apply not run since a pull) lacks what
# the series now has, the fix that lets generic-fuzz run on virt among it
"$TOP/scripts/series/in-sync.sh" >/dev/null 2>&1 ||
    echo "fuzz: note: $WORK and patches/ differ (scripts/series/in-sync.sh); fuzzing $WORK as it is"

bld=$BUILD/fuzz-qemu
mkdir -p "$BUILD/fuzz"
cat "$TOP/scripts/build/bisect.mak" "$here/generic-devices.mak" > "$BUILD/fuzz/fuzz.mak"
echo "fuzz: building qemu-fuzz-aarch64 in $bld (cold: about 20 min)"
BUILD_CC=/usr/lib/ccache/clang BUILD_CXX=/usr/lib/ccache/clang++ \
BUILD_DEVICES=$BUILD/fuzz/fuzz.mak BUILD_OPT=1 BUILD_DEBUG_INFO=1 \
BUILD_CONFIGURE_EXTRA="--enable-fuzzing --enable-asan --enable-ubsan
 --extra-cflags=-fprofile-instr-generate --extra-cflags=-fcoverage-mapping
 --extra-ldflags=-fprofile-instr-generate" \
BUILD_ONLY_TARGETS=1 BUILD_TARGETS=qemu-fuzz-aarch64 \
    "$TOP/scripts/build/qemu.sh" "$WORK" "$bld" > "$BUILD/fuzz/build.log" 2>&1 ||
    { tail -n 20 "$BUILD/fuzz/build.log"; echo "fuzz: the build failed ($BUILD/fuzz/build.log)"; exit 1; }
fuzzer=$bld/qemu-fuzz-aarch64
[ -x "$fuzzer" ] || { echo "fuzz: the build made no $fuzzer"; exit 1; }

# The machine of each configuration, and what the fuzzer writes
# (generic-fuzz adds -m 512M and -display none)
machine="-machine virt,highmem-ecam=off -nodefaults"
accel="-device arm-smmuv3,primary-bus=pcie.0,id=smmu0,accel=on,x-accel-host-stub=on,ril=on,ats=off,oas=44,ssidsize=0"
args() {
    case "$1" in
    emulated) echo "$machine -device arm-smmuv3,primary-bus=pcie.0,id=smmu0 -drive if=none,id=d0,driver=null-co,size=1M -device nvme,serial=fuzz,drive=d0,bus=pcie.0,addr=1" ;;
    accel) echo "$machine $accel" ;;
    accel-fail) echo "$machine $accel -global arm-smmuv3.x-accel-host-stub-fail=invalidate:1:110:0" ;;
    *) return 1 ;;
    esac
}
# The vSMMU (by type), ECAM and the NVMe's registers (by region name;
# naming the NVMe's type would have generic-fuzz map its BARs through the
# PC's I/O ports, which virt does not have)
objects() {
    case "$1" in
    emulated) echo 'arm-smmuv3 pcie-mmcfg-mmio* nvme?0?' ;;
    *) echo 'arm-smmuv3 pcie-mmcfg-mmio*' ;;
    esac
}

# fuzz CONFIG SECONDS ARGS...: the fuzzer on CONFIG's machine, in its log
# directory, killed after SECONDS
fuzz() {
    local config=$1 limit=$2
    shift 2
    (cd "$TOP/logs/fuzz/generic-$config" &&
     QEMU_FUZZ_ARGS=$(args "$config") QEMU_FUZZ_OBJECTS=$(objects "$config") \
     ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     timeout "$limit" "$fuzzer" --fuzz-target=generic-fuzz "$@")
}

rc=0
for config in "${configs[@]}"; do
    args "$config" >/dev/null || { echo "fuzz: no configuration '$config'"; exit 1; }
    logs=$TOP/logs/fuzz/generic-$config
    corpus=$CACHE/fuzz/generic-$config
    seeds=$BUILD/fuzz/seeds-$config
    rm -rf "$seeds"
    mkdir -p "$logs" "$corpus"
    python3 "$TOP/fuzz/generic-seeds.py" "$config" "$seeds" || { echo "fuzz: the seeds failed"; exit 1; }
    [ "$secs" = 0 ] && continue
    before=$(ls "$logs" | grep -cE '^(crash|timeout|oom|leak)-')
    LLVM_PROFILE_FILE=/dev/null \
        fuzz "$config" $((secs + 300)) -max_total_time="$secs" \
        -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=4096 \
        -print_final_stats=1 "$corpus" "$seeds" > "$logs/fuzz.log" 2>&1
    frc=$?
    after=$(ls "$logs" | grep -cE '^(crash|timeout|oom|leak)-')
    log=$logs/fuzz.log
    first=$(grep -m1 -oE 'INITED cov: [0-9]+ ft: [0-9]+' "$log")
    last=$(grep -oE '(DONE|#[0-9]+ +[A-Z]+) +cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    line="generic-fuzz $config ran ${secs} s: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions, $(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")/s; coverage from '${first#INITED }' to '$(echo "$last" | grep -oE 'cov: .*')'; corpus $(ls "$corpus" | wc -l) inputs"
    echo "fuzz: $line"
    if [ "$frc" = 124 ] && [ "$after" = "$before" ]; then
        echo "fuzz: $config: libFuzzer did not stop $((secs + 300)) s after it started (log $log)"
        rc=1
    elif [ "$frc" != 0 ] || [ "$after" -gt "$before" ]; then
        grep -E '^SUMMARY|==ERROR|runtime error|Test unit written|ALARM' "$log" | head -n 5 | sed 's/^/fuzz: /'
        echo "fuzz: FINDING in $config (log $log): $(ls "$logs" | grep -E '^(crash|timeout|oom|leak)-' | tr '\n' ' ')"
        echo "fuzz: reproduce (QTEST_LOG=1 prints its qtest commands): QEMU_FUZZ_ARGS='$(args "$config")' QEMU_FUZZ_OBJECTS='$(objects "$config")' ASAN_OPTIONS=detect_leaks=0 $fuzzer --fuzz-target=generic-fuzz $logs/<the file>"
        rc=1
    fi
done

# The line coverage that the corpora reach: each input run once more, with
# the profile written this time
prof=$BUILD/fuzz/profile
rm -rf "$prof"
mkdir -p "$prof"
for config in "${configs[@]}"; do
    LLVM_PROFILE_FILE=$prof/$config.profraw \
        fuzz "$config" 1800 -runs=0 -timeout="${FUZZ_TIMEOUT:-10}" \
        "$CACHE/fuzz/generic-$config" \
        "$BUILD/fuzz/seeds-$config" \
        > "$TOP/logs/fuzz/generic-$config/coverage.log" 2>&1 ||
        echo "fuzz: $config: the coverage run failed (logs/fuzz/generic-$config/coverage.log)"
done
if llvm-profdata-14 merge -o "$prof/all.profdata" "$prof"/*.profraw 2>/dev/null &&
   llvm-cov-14 export "$fuzzer" -instr-profile="$prof/all.profdata" -format=lcov \
       > "$prof/all.lcov" 2>/dev/null; then
    echo "fuzz: line coverage of the corpora (llvm-cov, $prof/all.lcov):"
    # Per source file of the vSMMU: lines with code (DA), and those run
    awk '/^SF:/ { f = $0; sub(/.*\/qemu\//, "", f); next }
         /^DA:/ && f ~ /^hw\/arm\/smmu(v3[^\/]*|-common)\.c$/ {
             split(substr($0, 4), d, ","); n[f]++; if (d[2] > 0) hit[f]++ }
         END { if (!length(n)) { print "fuzz:   no line of hw/arm/smmu*.c in the profile"; exit 1 }
               for (f in n) { printf "fuzz:   %-30s %5d of %5d lines (%.1f%%)\n",
                              f, hit[f], n[f], 100 * hit[f] / n[f]; t += n[f]; h += hit[f] }
               printf "fuzz:   %-30s %5d of %5d lines (%.1f%%)\n", "all", h, t, 100 * h / t }' \
        "$prof/all.lcov" | sort
else
    echo "fuzz: no coverage profile was written"
    rc=1
fi
[ "$rc" = 0 ] && echo "fuzz: generic-fuzz: no finding"
exit "$rc"
