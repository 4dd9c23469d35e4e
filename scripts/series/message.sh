#!/bin/bash
# check-message.sh PATCH: the commit message of a series patch is fit for
# qemu-devel: "subsystem: summary" subject of at most 76 characters, a body
# that says why (three lines of prose at least, trailers not counted), and a
# Signed-off-by: that matches the author.
set -euo pipefail
p=$1
name=$(basename "$p")
fail() { echo "check-message: $name: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# git mailinfo parses the mail the way git am does (folded headers, etc.).
info=$(git mailinfo "$tmp/msg" "$tmp/diff" < "$p")
subject=$(echo "$info" | sed -n 's/^Subject: //p')
author="$(echo "$info" | sed -n 's/^Author: //p') <$(echo "$info" | sed -n 's/^Email: //p')>"
[ -n "$subject" ] || fail "no subject"
case "$subject" in
*:\ *) ;;
*) fail "subject '$subject' has no 'subsystem: ' prefix" ;;
esac
[ ${#subject} -le 76 ] || fail "subject is ${#subject} characters (76 at most)"
[ -s "$tmp/diff" ] || fail "no diff"

grep -qxF "Signed-off-by: $author" "$tmp/msg" ||
    fail "no 'Signed-off-by: $author' (the author's sign-off)"
prose=$(grep -vE '^[A-Za-z-]+: ' "$tmp/msg" | grep -cvE '^\s*$' || true)
[ "$prose" -ge 3 ] || fail "the commit message says too little ($prose lines): say why"
echo "check-message: $name: ok ($prose lines)"
