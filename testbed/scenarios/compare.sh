# shellcheck shell=sh
# compare: the series' QEMU and Debian's QEMU 11.1 (sid, arm64), side by
# side in one L1 with KVM and the same L2 guest: each runs the command lines
# of accel-strict, accel-hostile-guest and the three refusals
# (accel-device-before-vsmmu, accel-devicetree-refused,
# accel-two-vsmmus-one-host), and the table (logs/e2e/compare/table) gives
# what each did: the guest's data checks, every hostile-guest case, the ID
# registers the guest read, the refusals.  L0 attaches a sid root file
# system with QEMU 11.1 (scripts/libvirt/l1-rootfs.sh compare); make
# compare runs it and prints the table.

settings() {
    NEEDS=accel
    IN_CHECK=no
    L0_NVME=2
    L0_LVDISK=1
    L0_LVIMG=compare
    L2FW=uefi
    # Each case's own kernel parameters come with its run (l1_steps)
    L2_APPEND=""
    L2_SECS=$((L2_TIMEOUT + 90))
    # Two runs of each of five cases, each bounded by L2_SECS
    L0_EXTRA=$((10 * L2_SECS))
    COMPARE_CASES="accel-strict accel-hostile-guest accel-device-before-vsmmu
     accel-devicetree-refused accel-two-vsmmus-one-host"
    L1_APPEND="e2e.compare_cases=$(echo $COMPARE_CASES | tr ' ' ,)"
}

# cmp_field CASE SIDE KEY: the value of "E2E-CMP CASE SIDE KEY value"
cmp_field() {
    grep -m1 "^E2E-CMP $1 $2 $3 " "$log" | sed "s/^E2E-CMP $1 $2 $3 //"
}

# cmp_data CASE SIDE: what the guest's data checks found, in a word or two
cmp_data() {
    local read wrote back done want_pat
    want_pat=$(pattern "$name" 4096 | sha256sum | cut -d' ' -f1)
    read=$(cmp_field "$1" "$2" read)
    wrote=$(cmp_field "$1" "$2" wrote)
    back=${wrote#* readback=}
    wrote=${wrote%% *}
    done=$(cmp_field "$1" "$2" done)
    if [ -z "$read" ]; then echo "no data read"
    elif [ "$read" != "$(known_sha)" ]; then echo "WRONG data read"
    elif [ "$wrote" != "$want_pat" ] || [ "$back" != "$want_pat" ]; then echo "read ok, write WRONG"
    elif [ "$done" != ok ]; then echo "read and write ok, then ${done:-no end}"
    else
        echo "data ok$(grep -q "^E2E-CMP $1 $2 reboot ok" "$log" && echo ", after a reboot too")"
    fi
}

# cmp_outcome CASE SIDE: exit status and, if it failed, QEMU's first error
cmp_outcome() {
    local rc err
    rc=$(cmp_field "$1" "$2" exit)
    # (QEMU's words without the option and the device they are about)
    err=$(cmp_field "$1" "$2" error |
          sed 's/^qemu-system-aarch64: //; s/^-device [^ ]*: //; s/^vfio [0-9a-f:.]*: //
               s/^Failed to set vIOMMU: //' | cut -c1-150)
    case "$rc" in
    0) echo "ran, exit 0" ;;
    124) echo "TIMED OUT (killed after ${L2_SECS}s)" ;;
    "") echo "no result" ;;
    *) echo "refused (exit $rc): ${err:-no message}" ;;
    esac
}

verdict() {
    local c out ours up bad="" hc line want side
    out=$d/table
    {
        echo "The same L2 command lines and guest, in one L1 with KVM and the NVMe on vfio-pci:"
        echo "  ours:     the series' QEMU ($(grep -m1 '^E2E-CMP-VERSION ours ' "$log" | sed 's/^E2E-CMP-VERSION ours //'))"
        echo "  upstream: Debian sid's ($(grep -m1 '^E2E-CMP-VERSION upstream ' "$log" | sed 's/^E2E-CMP-VERSION upstream //'))"
        echo
        printf '%-44s | %-50s | %s\n' "case" "ours" "upstream"
        printf '%-44s-+-%-50s-+-%s\n' "--------------------------------------------" \
            "--------------------------------------------------" "--------------------------------------------------"
    } > "$out"
    row() { printf '%-44s | %-50s | %s\n' "$1" "$2" "$3" >> "$out"; }
    for c in $COMPARE_CASES; do
        ours=$(cmp_outcome "$c" ours)
        up=$(cmp_outcome "$c" upstream)
        row "$c" "$ours" "$up"
        case "$c" in
        accel-strict)
            ours=$(cmp_data "$c" ours)
            row "  the guest's data checks" "$ours" "$(cmp_data "$c" upstream)"
            case "$ours" in "data ok"*) ;; *) bad="$bad $c:data" ;; esac
            row "  the guest's SMMU driver (dmesg)" "$(cmp_field "$c" ours smmu | cut -c1-50)" "$(cmp_field "$c" upstream smmu | cut -c1-60)"
            ;;
        accel-hostile-guest)
            for hc in $(sed -n "s/^E2E-CMP $c ours hostile \([a-z0-9-]*\) .*/\1/p" "$log"); do
                ours=$(cmp_field "$c" ours "hostile $hc")
                up=$(cmp_field "$c" upstream "hostile $hc")
                # a failure: what the guest got instead
                case "$up" in FAIL*" got "*) up="FAIL: got ${up##* got }" ;; esac
                row "  $hc" "$(echo "$ours" | cut -c1-50)" "$(echo "${up:-no verdict}" | cut -c1-90)"
                case "$ours" in PASS*) ;; *) bad="$bad $c:$hc" ;; esac
            done
            [ -n "$(cmp_field "$c" ours "hostile alive")" ] || bad="$bad $c:no-cases"
            row "  hostile cases passed" \
                "$(grep -c "^E2E-CMP $c ours hostile [a-z0-9-]* PASS" "$log") of $(grep -c "^E2E-CMP $c ours hostile " "$log")" \
                "$(grep -c "^E2E-CMP $c upstream hostile [a-z0-9-]* PASS" "$log") of $(grep -c "^E2E-CMP $c upstream hostile " "$log")"
            line=$(cmp_field "$c" ours idr)
            if [ -n "$line" ] && [ "$line" = "$(cmp_field "$c" upstream idr)" ]; then
                row "  ID registers the guest read" "the same" "the same"
            else
                row "  ID registers the guest read" "${line%%:*}" "$(cmp_field "$c" upstream idr | sed 's/:.*//')"
            fi
            ;;
        *)
            # A refusal: ours must refuse, with the scenario's words
            want=$( (load "$c" && echo "$REFUSAL") )
            case "$ours" in
            "refused (exit "*) cmp_field "$c" ours error | grep -qF "$want" ||
                                  bad="$bad $c:words" ;;
            *) bad="$bad $c:not-refused" ;;
            esac
            ;;
        esac
        case "$c:$(cmp_outcome "$c" ours)" in
        accel-strict:"ran, exit 0"|accel-hostile-guest:"ran, exit 0"|accel-device*|accel-two*) ;;
        *) bad="$bad $c:exit" ;;
        esac
        [ "$(cmp_outcome "$c" upstream)" = "no result" ] && bad="$bad $c:upstream-no-result"
    done
    {
        echo
        echo "What each VMM logged (-d guest_errors and errors) during accel-hostile-guest, counted:"
        for side in ours upstream; do
            echo "  $side:"
            sed -n "/^E2E-CMP-RUN accel-hostile-guest $side\$/,/^E2E-CMP accel-hostile-guest $side exit /p" "$log" |
                grep -E '^(L2-VMM-LOG: |  qemu-system-aarch64: )' | grep -v -i warning |
                sed 's/^L2-VMM-LOG: //; s/^  //; s/0x[0-9a-f]*/0x../g; s/[0-9][0-9]* entries/N entries/g' |
                sort | uniq -c | sort -rn | head -n 8 | cut -c1-150 | sed 's/^/    /'
        done
    } >> "$out"
    if [ -n "$bad" ]; then
        echo "the comparison is incomplete or ours failed:$bad; table in ${out#"$TOP"/}"
        return 1
    fi
    echo "$(echo $COMPARE_CASES | wc -w) cases on both QEMUs, ours passing all; table in ${out#"$TOP"/}"
}

# In L1 (guest/l1-init.sh calls it, with guest/l1-lib.sh)
l1_steps() {
    # compare (in L1): Debian sid's QEMU runs in a chroot of the root file
    # system L0 attaches as /dev/vda, with /dev, /sys, /proc, /tmp and /l2
    # bound in, so that l2_start runs it as it runs ours (L2_QEMU).  Each
    # case takes the arguments and kernel parameters of its scenario
    # (/l2/args.d, its settings()), without -trace options, which name our
    # trace events.  accel-strict runs ours on the first NVMe and upstream
    # on the second (each reboots once, marking its disk); the other cases
    # use both as their scenarios do.  After each run, E2E-CMP lines say
    # what happened: E2E-CMP <case> <ours|upstream> <key> <value>.
CMP=/cmp
cmp_setup() {
    i=0
    while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
    [ -b /dev/vda ] || { echo "E2E-L1-ERROR compare: no /dev/vda (L0 attached no root file system)"; return 1; }
    mkdir -p $CMP
    mount -t ext4 /dev/vda $CMP || { echo "E2E-L1-ERROR compare: mount /dev/vda failed"; return 1; }
    mkdir -p $CMP/l2 $CMP/tmp
    mount -t proc proc $CMP/proc
    mount -t sysfs sys $CMP/sys
    mount -o bind /dev $CMP/dev
    mount -o bind /tmp $CMP/tmp
    mount -o bind /l2 $CMP/l2
    chroot $CMP /sbin/ldconfig || { echo "E2E-L1-ERROR compare: ldconfig failed in the chroot"; return 1; }
    printf '#!/bin/sh\nexec chroot %s /usr/bin/qemu-system-aarch64 "$@"\n' $CMP > /tmp/qemu-upstream
    chmod +x /tmp/qemu-upstream
    echo "E2E-CMP-VERSION ours $(/bin/qemu-system-aarch64 --version | head -n 1)"
    echo "E2E-CMP-VERSION upstream $(/tmp/qemu-upstream --version | head -n 1)"
}

# cmp_settings CASE: the case's scenario settings as shell assignments
# (C_APPEND, C_FW); refusal() is the host's (testbed/lib.sh), here only
# what it sets
cmp_settings() {
    ( refusal() { L2_ARGS=$1; L2FW=uefi; }
      L2_APPEND="" L2FW=dt
      . "/l2/scenarios/$1.sh"
      settings >/dev/null 2>&1
      echo "C_APPEND='$L2_APPEND' C_FW='$L2FW'" )
}

# cmp_run CASE SIDE QEMU DEVICE: one L2 run of CASE's command line on QEMU,
# with DEVICE (a BDF) as the first NVMe
cmp_run() {
    c=$1 side=$2 L2_QEMU=$3
    eval "$(cmp_settings "$c")"
    say "compare: $c on $side"
    echo "E2E-CMP-RUN $c $side"
    t=$(cut -d. -f1 /proc/uptime)
    set -f
    # shellcheck disable=SC2046
    set -- $(scenario=$c; bdf=$4; l2_args | sed 's/-trace [^ ]*//g')
    set +f
    noreboot=-no-reboot
    case "$C_APPEND" in *e2e.reboot=1*) noreboot= ;; esac
    L2_EXTRA_APPEND=$C_APPEND
    L2FW_RUN=$C_FW
    l2_start $noreboot "$@"
    l2_end
    o=/tmp/l2out.clean
    tr -d '\r' < "$L2OUT" > $o
    p="E2E-CMP $c $side"
    echo "$p exit $(cat /tmp/l2rc 2>/dev/null)"
    echo "$p secs $(($(cut -d. -f1 /proc/uptime) - t))"
    grep -v -i warning $o | grep -m1 'qemu-system-aarch64: ' | sed "s/^/$p error /"
    sed -n 's/^E2E-L2-READ sha256=//p' $o | head -n 1 | sed "s/^/$p read /"
    sed -n 's/^E2E-L2-WROTE sha256=//p' $o | head -n 1 | sed "s/^/$p wrote /"
    grep -q '^E2E-L2-REBOOT-OK' $o && echo "$p reboot ok"
    sed -n 's/^E2E-L2-DONE //p' $o | tail -n 1 | sed "s/^/$p done /"
    grep -m1 'L2: dmesg: .*arm-smmu-v3.*features' $o |
        sed "s/.*arm-smmu-v3[^:]*: */$p smmu /"
    sed -n 's/^ *E2E-HOSTILE \(PASS\|FAIL\|SKIP\) \([a-z0-9-]*\): \(.*\)/\2 \1: \3/p' $o |
        sed "s/^/$p hostile /"
    grep -m1 -o 'IDR0=0x[0-9a-f]* IDR1=.*' $o | sed "s/^/$p idr /"
}

(
    cmp_setup || exit 1
    second=$(echo "$bdfs" | cut -d' ' -f2 -s)
    for c in $(param e2e.compare_cases | tr , ' '); do
        cmp_run "$c" ours /bin/qemu-system-aarch64 "$bdf"
        dev=$bdf
        [ "$c" = accel-strict ] && dev=$second
        cmp_run "$c" upstream /tmp/qemu-upstream "$dev"
    done
    for m in $CMP/l2 $CMP/tmp $CMP/dev $CMP/sys $CMP/proc $CMP; do
        umount $m 2>/dev/null || umount -l $m 2>/dev/null
    done
)
}
