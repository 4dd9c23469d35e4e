#!/bin/bash
# scripts.sh: the project's shell scripts parse (bash -n), and each script
# that is run (not sourced) and uses $TOP defines it by sourcing
# scripts/config.sh: nothing exports TOP, so a script that relies on its
# caller's stops under set -u on a machine where that caller is not the
# one it was tried with.  The e2e scenarios (testbed/scenarios/) are
# sourced by testbed/run.sh, which sources config.sh.
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
    case "$f" in testbed/scenarios/*|scripts/config.sh) continue ;; esac
    if grep -qE '\$\{?TOP\b' "$f" && ! grep -qE '^[^#]*(\.|source) .*config\.sh' "$f"; then
        echo "FAIL $f uses \$TOP but does not source scripts/config.sh (use the script's own directory, or source it)"
        bad=$((bad + 1))
    fi
done < <(git ls-files '*.sh' .ci/run)
[ $bad = 0 ] || exit 1
echo "$n shell scripts parse; every one that is run and uses \$TOP sources scripts/config.sh"
