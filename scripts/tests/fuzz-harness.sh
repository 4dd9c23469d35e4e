#!/bin/bash
# fuzz-harness.sh SRC BLD: compile QEMU's generic-fuzz harness
# (tests/qtest/fuzz/generic_fuzz.c, which the series changes) from the tree
# SRC with the flags that the build BLD (gcc, -Werror) gives the
# target-specific files, as an --enable-fuzzing build would compile it,
# syntax only.  make check builds no fuzzer (make fuzz's clang build does):
# without this, nothing in make check would compile that file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
src=$(realpath "$1")
bld=$(realpath "$2")
harness=$src/tests/qtest/fuzz/generic_fuzz.c
[ -f "$harness" ] || { echo "fuzz-harness: no $harness"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# config-host.h has CONFIG_FUZZ undefined in a build without fuzzing: the
# wrapper defines it after, as an --enable-fuzzing build's would
printf '#include "qemu/osdep.h"\n#define CONFIG_FUZZ 1\n#include "%s"\n' \
    "$harness" > "$tmp/generic_fuzz.c"
python3 - "$bld" "$tmp/generic_fuzz.c" "$(dirname "$harness")" <<'PY'
import json, shlex, subprocess, sys
bld, wrapper, incdir = sys.argv[1:]
cmds = json.load(open(bld + "/compile_commands.json"))
target = [c for c in cmds if "libqemu-aarch64-softmmu.a.p" in c["command"]
          and c["file"].endswith(".c")]
if not target:
    sys.exit("fuzz-harness: no target-specific C file in " + bld)
c = target[0]
argv, skip = [], False
for w in shlex.split(c["command"]):
    if skip:
        skip = False
    elif w in ("-MQ", "-MF", "-o"):
        skip = True
    elif w not in ("-MD", "-c", c["file"]):
        argv.append(w)
argv += ["-fsyntax-only", "-iquote", incdir, wrapper]
r = subprocess.run(argv, cwd=c["directory"])
sys.exit(r.returncode)
PY
echo "fuzz-harness: tests/qtest/fuzz/generic_fuzz.c compiles with the flags of $bld's target-specific files"
