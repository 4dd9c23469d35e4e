#!/bin/bash
# rules.sh [SECONDS]: build fuzz/rules-fuzz.c, the libFuzzer harness of the
# accelerated SMMUv3's rules (hw/arm/smmuv3-accel-rules.c), with clang, ASan
# and UBSan, against the work tree qemu/ (made by make apply if missing)
# and its build (scripts/build/qemu.sh, for the generated headers and
# libqemuutil.a), then run it for SECONDS (FUZZ_SECONDS, default 600) on
# one core.  The corpus is kept in the cache ($CACHE/fuzz/rules-corpus);
# what it finds goes to logs/fuzz/ (crash-*, timeout-*).  Prints the
# executions, executions per second, the coverage at the start and at the
# end, and the findings.  Exit status: 1 if there is a finding.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
secs=${1:-${FUZZ_SECONDS:-600}}

"$TOP/scripts/setup/deps.sh" fuzz >/dev/null || { echo "fuzz: deps.sh failed"; exit 1; }
command -v clang >/dev/null || { echo "fuzz: no clang (scripts/setup/deps.sh fuzz installs it)"; exit 1; }
[ -d "$WORK/.git" ] || "$TOP/scripts/series/apply.sh" >/dev/null ||
    { echo "fuzz: make apply failed"; exit 1; }
BUILD_TARGETS="tests/unit/test-smmuv3-accel" "$TOP/scripts/build/qemu.sh" > /dev/null ||
    { echo "fuzz: the QEMU build failed"; exit 1; }

bld=$BUILD/qemu
out=$BUILD/fuzz
logs=$TOP/logs/fuzz
corpus=$CACHE/fuzz/rules-corpus
mkdir -p "$out" "$logs" "$corpus"
cflags=(-O1 -g -std=gnu11 -fsanitize=fuzzer-no-link,address,undefined
        -fno-sanitize-recover=undefined -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
        -D_LARGEFILE_SOURCE -fno-strict-aliasing -fno-common -fwrapv
        -Wall -Werror -I"$bld" -I"$bld/qapi" -I"$bld/trace"
        $(pkg-config --cflags glib-2.0) -isystem "$WORK/linux-headers"
        -iquote "$bld" -iquote "$WORK" -iquote "$WORK/include"
        -iquote "$WORK/host/include/x86_64" -iquote "$WORK/host/include/generic"
        -iquote "$WORK/tcg/i386")
clang "${cflags[@]}" -c "$WORK/hw/arm/smmuv3-accel-rules.c" -o "$out/rules.o" &&
clang "${cflags[@]}" -c "$TOP/fuzz/rules-fuzz.c" -o "$out/rules-fuzz.o" &&
clang -fsanitize=fuzzer,address,undefined "$out/rules-fuzz.o" "$out/rules.o" \
      -Wl,--start-group "$bld/libqemuutil.a" $(pkg-config --libs glib-2.0) \
      -lm -pthread -Wl,--end-group -o "$out/rules-fuzz" ||
    { echo "fuzz: building the harness failed"; exit 1; }

log=$logs/rules.log
before=$(ls "$logs" | grep -cE '^(crash|timeout|oom)-')
(cd "$logs" && timeout $((secs + 120)) "$out/rules-fuzz" -max_total_time="$secs" \
    -timeout=10 -print_final_stats=1 "$corpus") > "$log" 2>&1
rc=$?
after=$(ls "$logs" | grep -cE '^(crash|timeout|oom)-')
first=$(grep -m1 -oE 'INITED cov: [0-9]+ ft: [0-9]+' "$log")
last=$(grep -oE '(DONE|#[0-9]+ +[A-Z]+) +cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
echo "fuzz: rules-fuzz ran ${secs} s: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions," \
     "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")/s;" \
     "coverage from '${first#INITED }' to '$(echo "$last" | grep -oE 'cov: .*')';" \
     "corpus $(ls "$corpus" | wc -l) inputs ($corpus)"
if [ "$rc" != 0 ] || [ "$after" -gt "$before" ]; then
    grep -E '^rules-fuzz: .*broken|^SUMMARY|Test unit written' "$log" | sed 's/^/fuzz: /'
    echo "fuzz: FINDING (log $log); reproduce: $out/rules-fuzz <the file>"
    exit 1
fi
echo "fuzz: no finding"
