#!/usr/bin/env bash
# The Debian-only card image for CI: mmdebstrap builds an arm64 bookworm root (qemu-user),
# image/install.sh makes it an Antrian node, genimage packs boot (FAT), root and data
# partitions. Debian's arm64 kernel instead of the Pi's, so it boots under
# qemu-system-aarch64 -M virt (image/boot-test.sh); the real Pi image is image/rpi-image-gen.
#   sudo bash image/build-debian.sh OUT_DIR
# Writes OUT_DIR/antrian-ci.img and OUT_DIR/provision/ (the CI office's credentials).
# THE CI IMAGE LOGS ROOT IN WITHOUT A PASSWORD ON THE SERIAL CONSOLE: never flash it for an
# office. Downloads are cached in ANTRIAN_CACHE (default ~/.cache/antrian-image).
# Environment: ANTRIAN_SRC=head|worktree (see install.sh), MIRROR (a Debian mirror URL),
# KEEP_ROOTFS=1 (keep OUT_DIR/work/rootfs), REUSE_ROOTFS=1 (run the customize step again on
# a kept OUT_DIR/work/rootfs instead of mmdebstrap: a changed project in about two minutes),
# LAYOUT=ab (the A/B variant for RAUC updates: OUT_DIR/antrian-ci-ab.img booted by UEFI and
# GRUB, plus OUT_DIR/keys/, the CI signing key; docs/image.md "A/B updates").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
log() { printf '[build-debian %s] %s\n' "$(date +%T)" "$*" >&2; }

# --- the A/B variant: RAUC, its keyring, GRUB on the EFI boot partition ---------------------
ab_setup() {
    local root=$1 keys=$2 kernel=$3 initrd=$4
    install -D -m 644 "$here/ab/system.conf" "$root/etc/rauc/system.conf"
    install -D -m 644 "$keys/ca.cert.pem" "$root/etc/rauc/keyring.pem"
    install -D -m 755 "$here/ab/post-install" "$root/usr/lib/antrian/rauc-post-install"
    # RAUC's status file, on the data partition (the root is read-only).
    mkdir -p "$root/var/lib/antrian/rauc"
    mkdir -p "$root/etc/systemd/system/rauc.service.d"
    printf '[Unit]\nRequiresMountsFor=/var/lib/antrian /boot/firmware\n' \
        > "$root/etc/systemd/system/rauc.service.d/antrian.conf"
    # antrian-update-check marks the slot good only after the node proved healthy.
    if [[ -e $root/lib/systemd/system/rauc-mark-good.service ]]; then
        chroot "$root" systemctl mask rauc-mark-good.service >/dev/null 2>&1
    fi
    # GRUB reads each slot's own kernel and initrd: an update brings its kernel with it.
    ln -sf "$(basename "$kernel")" "$root/boot/vmlinuz"
    ln -sf "$(basename "$initrd")" "$root/boot/initrd.img"
    local efi=$root/boot/firmware/EFI/BOOT
    mkdir -p "$efi"
    chroot "$root" grub-mkimage -O arm64-efi -p /EFI/BOOT -o /boot/firmware/EFI/BOOT/BOOTAA64.EFI \
        part_gpt fat ext2 normal linux configfile loadenv test echo regexp reboot
    install -m 644 "$here/ab/grub.cfg" "$efi/grub.cfg"
    rm -f "$efi/grubenv"
    chroot "$root" grub-editenv /boot/firmware/EFI/BOOT/grubenv set \
        ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
}

# The CI signing key: a test CA (the keyring on the image) and a signing certificate under
# it. Made once per OUT_DIR and kept, so bundles built later still install. An office or
# vendor uses its own CA instead (docs/operations.md "Updates").
make_keys() {
    local keys=$1
    [[ -s $keys/ca.cert.pem && -s $keys/signing.key.pem ]] && return 0
    mkdir -p "$keys"
    openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/O=Antrian CI/CN=Antrian CI test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$keys/ca.key.pem" -out "$keys/ca.cert.pem" 2>/dev/null
    openssl req -newkey rsa:3072 -nodes -subj "/O=Antrian CI/CN=Antrian CI update signing" \
        -keyout "$keys/signing.key.pem" -out "$keys/signing.csr" 2>/dev/null
    openssl x509 -req -in "$keys/signing.csr" -CA "$keys/ca.cert.pem" -CAkey "$keys/ca.key.pem" \
        -CAcreateserial -days 3650 -out "$keys/signing.cert.pem" \
        -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n') 2>/dev/null
    rm -f "$keys/signing.csr"
    chmod 600 "$keys"/*.key.pem
}

# --- customize hook: runs inside mmdebstrap (as "$0 --customize ROOT") -----------------------
customize() {
    local root=$1 prov=$2
    # The CI image's own machine setup (the Pi image gets these from rpi-image-gen).
    echo antrian > "$root/etc/hostname"
    # The root is mounted read-only, as on a Pi with the overlay root, to prove nothing
    # needs to write it. PrivateTmp= needs writable /tmp and /var/tmp: RAM. install.sh adds
    # the data partition's line.
    cat > "$root/etc/fstab" <<'FSTAB'
# CI image (image/build-debian.sh): read-only root.
LABEL=rootfs / ext4 ro,noatime 0 1
LABEL=bootfs /boot/firmware vfat defaults,noatime,nofail 0 2
tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0
tmpfs /var/tmp tmpfs mode=1777,nosuid,nodev 0 0
FSTAB
    # A/B: both slots carry the label rootfs; the kernel mounts the booted one read-only
    # (GRUB's root=PARTUUID=... ro), so fstab names no root at all.
    if [[ ${LAYOUT:-} == ab ]]; then
        sed -i '/^LABEL=rootfs /d' "$root/etc/fstab"
    fi
    # apt's archives are bind-mounted from the cache since the setup hook; pip's now.
    mkdir -p "$root/var/cache/antrian-pip"
    mount --bind "$ANTRIAN_CACHE/pip" "$root/var/cache/antrian-pip"
    local rc=0
    ANTRIAN_KEEP_CACHES=1 bash "$here/install.sh" "$root" || rc=$?
    umount "$root/var/cache/antrian-pip"
    rmdir "$root/var/cache/antrian-pip"
    ((rc == 0)) || return "$rc"
    # A/B under qemu (UEFI, TCG): udev names the data partition well after install.sh's
    # 20 s device timeout when the host is busy; the CI image waits longer for it.
    if [[ ${LAYOUT:-} == ab ]]; then
        sed -i '/ \/var\/lib\/antrian /s/x-systemd.device-timeout=20s/x-systemd.device-timeout=180s/' \
            "$root/etc/fstab"
    fi

    # The serial console logs root in (CI image only: boot-test.sh drives it).
    mkdir -p "$root/etc/systemd/system/serial-getty@ttyAMA0.service.d"
    cat > "$root/etc/systemd/system/serial-getty@ttyAMA0.service.d/autologin.conf" <<'GETTY'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
GETTY
    # The sample boot file of the CI office (role hub), from `antrian provision`.
    install -m 644 "$prov/boot/hub/antrian.toml" "$root/boot/firmware/antrian.toml"
    # Debian's kernel and initrd beside it, for qemu's -kernel/-initrd (read with mtools).
    local kernel initrd
    kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
    initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
    [[ -n $kernel && -n $initrd ]] || { log "no kernel/initrd in the root"; return 1; }
    install -m 644 "$kernel" "$root/boot/firmware/vmlinuz"
    install -m 644 "$initrd" "$root/boot/firmware/initrd.img"
    if [[ ${LAYOUT:-} == ab ]]; then
        ab_setup "$root" "$ANTRIAN_KEYS" "$kernel" "$initrd"
    fi
}

if [[ ${1:-} == --customize ]]; then
    customize "$2" "$3"
    exit 0
fi

out=${1:?usage: image/build-debian.sh OUT_DIR}
[[ $(id -u) == 0 ]] || { echo "build-debian.sh: run as root" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
export ANTRIAN_CACHE=${ANTRIAN_CACHE:-$HOME/.cache/antrian-image}
mkdir -p "$ANTRIAN_CACHE"/{apt,pip}
mirror=${MIRROR:-http://deb.debian.org/debian}
t0=$SECONDS
layout=${LAYOUT:-default}
case $layout in
    default) genimage_cfg=$here/genimage.cfg name=antrian-ci extra_packages="" ;;
    # rauc-service: `rauc install` and `rauc status mark-good` talk to it over D-Bus.
    ab) genimage_cfg=$here/ab/genimage.cfg name=antrian-ci-ab \
        extra_packages=",rauc,rauc-service,grub-efi-arm64-bin,grub-common" ;;
    *) echo "build-debian.sh: LAYOUT must be default or ab" >&2; exit 1 ;;
esac
export LAYOUT=$layout ANTRIAN_KEYS=$out/keys

# --- host tools ----------------------------------------------------------------------------
need=()
for tool in mmdebstrap:mmdebstrap qemu-aarch64-static:qemu-user-static \
    update-binfmts:binfmt-support genimage:genimage mkfs.vfat:dosfstools mcopy:mtools \
    mke2fs:e2fsprogs qemu-system-aarch64:qemu-system-arm arch-test:arch-test \
    sfdisk:fdisk unshare:util-linux openssl:openssl; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mountpoint -q /proc/sys/fs/binfmt_misc \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2>/dev/null || true
grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 \
    || { echo "build-debian.sh: qemu-aarch64 is not registered in binfmt_misc" >&2; exit 1; }
arch-test arm64 >/dev/null || { echo "build-debian.sh: arm64 binaries do not run" >&2; exit 1; }

# --- the sample boot file: the CI office, provisioned -----------------------------------------
prov=$out/provision
log "antrian provision -> $prov"
if [[ ! -x $repo/.venv/bin/antrian ]]; then
    log "no .venv: bash scripts/install.sh"
    bash "$repo/scripts/install.sh" >/dev/null
fi
rm -rf "$prov"
"$repo/.venv/bin/antrian" provision --config "$here/ci/hub.toml" --out "$prov" >/dev/null
[[ -s $prov/boot/hub/antrian.toml ]] || { echo "provision wrote no hub boot file" >&2; exit 1; }

[[ $layout != ab ]] || make_keys "$ANTRIAN_KEYS"

# --- root file system -------------------------------------------------------------------------
work=$out/work
t1=$SECONDS
if [[ ${REUSE_ROOTFS:-} == 1 && -d $work/rootfs ]]; then
    log "REUSE_ROOTFS: the customize step again on $work/rootfs"
    rm -rf "$work/genimage-tmp" "$work/images" "$work/input"
    unshare --mount --propagation private -- bash "$here/build-debian.sh" --customize \
        "$work/rootfs" "$prov"
else
rm -rf "$work"
mkdir -p "$work"
log "mmdebstrap arm64 bookworm (packages cached in $ANTRIAN_CACHE/apt)"
# The initrd needs only what qemu's virt machine boots from; initramfs-tools' default
# (MODULES=most) takes over ten minutes under qemu-user.
initrd_modules="virtio_pci virtio_mmio virtio_blk virtio_net ext4 vfat nls_cp437 nls_ascii"
# A private mount namespace: whatever a hook mounts is gone when mmdebstrap ends, even
# on failure.
unshare --mount --propagation private -- mmdebstrap \
    --mode=root --arch=arm64 --variant=apt \
    --include="linux-image-arm64,initramfs-tools,systemd-sysv$extra_packages" \
    --aptopt='Acquire::Retries "3"' \
    --skip=essential/unlink \
    --essential-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\" && printf 'MODULES=list\\n' > \"\$1/etc/initramfs-tools/conf.d/antrian-ci.conf\" && printf '%s\\n' $initrd_modules > \"\$1/etc/initramfs-tools/modules\"" \
    --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && mount --bind '$ANTRIAN_CACHE/apt' \"\$1/var/cache/apt/archives\"" \
    --customize-hook="bash '$here/build-debian.sh' --customize \"\$1\" '$prov'" \
    --customize-hook="umount \"\$1/var/cache/apt/archives\"" \
    --customize-hook="chroot \"\$1\" apt-get clean" \
    bookworm "$work/rootfs" \
    "deb $mirror bookworm main" \
    "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
fi
t2=$SECONDS

# --- card image -------------------------------------------------------------------------------
log "genimage"
mkdir -p "$work/genimage-tmp" "$work/input"
genimage --config "$genimage_cfg" --rootpath "$work/rootfs" \
    --tmppath "$work/genimage-tmp" --inputpath "$work/input" --outputpath "$work/images" \
    >"$work/genimage.log" 2>&1 || { tail -n 30 "$work/genimage.log" >&2; exit 1; }
mv "$work/images/$name.img" "$out/$name.img"
# A/B: the root slot's file system is also what `image/bundle.sh` signs into an update.
[[ $layout != ab ]] || mv "$work/images/rootfs.ext4" "$out/rootfs.ext4"
# KEEP_ROOTFS=1 keeps the root tree (e.g. to run install.sh on it again).
if [[ ${KEEP_ROOTFS:-} == 1 ]]; then
    rm -rf "$work/genimage-tmp" "$work/images" "$work/input"
else
    rm -rf "$work"
fi
t3=$SECONDS
log "done: $out/$name.img ($(du -h --apparent-size "$out/$name.img" | cut -f1))"
log "timings: provision $((t1 - t0)) s, mmdebstrap+install $((t2 - t1)) s, genimage $((t3 - t2)) s, total $((t3 - t0)) s"
