#!/bin/bash
# apply.sh [DIR]: make DIR (default: the work tree) a git tree of the pristine
# base with one commit per patch of patches/series (git am).  The base commit is
# reproducible (fixed author, committer and dates), so its hash is the same on
# every machine, and it is tagged "base".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../config.sh"
dir=${1:-$WORK}

"$TOP/scripts/setup/fetch-base.sh"

# The base repository is made once and cloned (hard links: fast, no copy).
baserepo=$CACHE/base/qemu-base.git
if [ ! -f "$baserepo/.complete" ]; then
    echo "apply: making the base repository (once)"
    rm -rf "$baserepo"
    git init -q -b pristine "$baserepo"
    (
        cd "$baserepo"
        export GIT_WORK_TREE=$BASE GIT_DIR=$baserepo/.git
        git add -A -f -- . ':!.complete'
        GIT_AUTHOR_NAME="QEMU 10.2.2 base" GIT_AUTHOR_EMAIL="base@smmuv3-accel.invalid" \
        GIT_COMMITTER_NAME="QEMU 10.2.2 base" GIT_COMMITTER_EMAIL="base@smmuv3-accel.invalid" \
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
            git commit -q -m "QEMU 10.2.2 from Debian's $QEMU_ORIG (qemu $QEMU_DEB_VERSION)"
        git tag base
    )
    touch "$baserepo/.complete"
fi

if [ -e "$dir" ]; then
    if [ -d "$dir/.git" ] && [ -n "$(git -C "$dir" status --porcelain)" ]; then
        echo "apply: $dir has uncommitted changes; commit and export them, or remove the tree." >&2
        exit 1
    fi
    if [ -d "$dir/.git" ] && git -C "$dir" rev-parse -q --verify base >/dev/null &&
       [ -z "${FORCE:-}" ] && ! "$TOP/scripts/series/in-sync.sh" "$dir" >/dev/null 2>&1; then
        echo "apply: $dir has commits that patches/ does not have; run 'make export'" \
             "first (or FORCE=1 make apply to throw them away)." >&2
        exit 1
    fi
    rm -rf "$dir"
fi
git clone -q -b pristine "$baserepo/.git" "$dir"
git -C "$dir" checkout -q -b series && git -C "$dir" branch -q -D pristine
git -C "$dir" config user.name >/dev/null ||
    git -C "$dir" config user.name "${GIT_AUTHOR_NAME:-smmuv3-accel developer}"
git -C "$dir" config user.email >/dev/null ||
    git -C "$dir" config user.email "${GIT_AUTHOR_EMAIL:-dev@smmuv3-accel.invalid}"

# The +ds tarball strips the edk2 firmware blobs that pc-bios/meson.build
# insists on when bzip2 is installed.  Put Debian's AAVMF builds of the same
# firmware in their place for aarch64 (bios-tables-test boots them) and empty
# images for the other targets, which this project never builds; git ignores
# them, so they are not part of any patch.
"$TOP/scripts/build/edk2-blobs.sh" "$dir"

n=0
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    if ! git -C "$dir" am -q --keep-cr "$PATCHES/$p"; then
        echo "apply: patch $p does not apply on top of the base and the patches before it" >&2
        git -C "$dir" am --abort || true
        exit 1
    fi
    # The notes below the patch's "---" (what changed in this version)
    # go back to the commit, so that make export writes them again
    notes=$(sed -n '/^---$/,/^diff --git /p' "$PATCHES/$p" |
            sed -n '/^Notes:$/,/^$/{/^Notes:$/d;/^$/d;s/^    //;p}')
    if [ -n "$notes" ]; then
        git -C "$dir" notes add -f -m "$notes" HEAD
    fi
    n=$((n + 1))
done < "$PATCHES/series"
echo "apply: $dir: base + $n patches"
