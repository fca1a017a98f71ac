#!/bin/bash
# genimage exec-pre of the antrian-sd layout, run on each staged file system
# ($IMAGEMOUNTPATH): the root's fstab and the kernel's root= by PARTUUID.
#   setup.sh BOOT|ROOT DISK_SIGNATURE
set -euo pipefail
part=$1
sig=${2#0x}
sig=$(tr 'A-F' 'a-f' <<<"$sig")
case $part in
    ROOT)
        # The data line is image/install.sh's (kept as it wrote it).
        data=$(grep -E '^[^#[:space:]]+[[:space:]]+/var/lib/antrian[[:space:]]' \
            "$IMAGEMOUNTPATH/etc/fstab" || true)
        {
            echo "PARTUUID=$sig-02 / ext4 defaults,noatime 0 1"
            echo "PARTUUID=$sig-01 /boot/firmware vfat defaults,noatime 0 2"
            echo "${data:-LABEL=antrian-data /var/lib/antrian ext4 defaults,noatime,nofail,x-systemd.device-timeout=90s 0 2}"
        } > "$IMAGEMOUNTPATH/etc/fstab"
        ;;
    BOOT)
        if [[ -f $IMAGEMOUNTPATH/cmdline.txt ]]; then
            if grep -q 'root=' "$IMAGEMOUNTPATH/cmdline.txt"; then
                sed -i "s|root=[^ ]*|root=PARTUUID=$sig-02|" "$IMAGEMOUNTPATH/cmdline.txt"
            else
                sed -i "1s|\$| root=PARTUUID=$sig-02|" "$IMAGEMOUNTPATH/cmdline.txt"
            fi
        fi
        ;;
esac
