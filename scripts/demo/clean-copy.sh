#!/bin/bash
# clean-copy.sh: run `make demo` the way a newcomer does, from a clean copy
# of this tree (the files git tracks, and new ones it does not ignore: no
# logs/, no build/), with the same cache.  check.sh runs it, so that the
# demo cannot break unnoticed.  Exit status: the demo's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smmuv3-demo-clean.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf -) | (cd "$tmp" && tar xf -) || exit 1
echo "demo-clean: a clean copy in $tmp ($(cd "$tmp" && find . -type f | wc -l) files, no logs/ or build/)"
# A clean tree builds its own L0 QEMU (ccache serves it); the testbed's
# other artefacts come from the cache, by the hash of their inputs.
unset SMMU_BUILD
make -C "$tmp" --no-print-directory demo
rc=$?
# The demo's logs, for the check's log
[ -d "$tmp/logs" ] && cp -r "$tmp/logs" "$TOP/logs/demo-clean" 2>/dev/null
echo "demo-clean: make demo exited $rc"
exit $rc
