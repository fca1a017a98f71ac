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
# KEEP_ROOTFS=1 (keep OUT_DIR/work/rootfs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
log() { printf '[build-debian %s] %s\n' "$(date +%T)" "$*" >&2; }

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
    # apt's archives are bind-mounted from the cache since the setup hook; pip's now.
    mkdir -p "$root/var/cache/antrian-pip"
    mount --bind "$ANTRIAN_CACHE/pip" "$root/var/cache/antrian-pip"
    local rc=0
    ANTRIAN_KEEP_CACHES=1 bash "$here/install.sh" "$root" || rc=$?
    umount "$root/var/cache/antrian-pip"
    rmdir "$root/var/cache/antrian-pip"
    ((rc == 0)) || return "$rc"

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

# --- host tools ----------------------------------------------------------------------------
need=()
for tool in mmdebstrap:mmdebstrap qemu-aarch64-static:qemu-user-static \
    update-binfmts:binfmt-support genimage:genimage mkfs.vfat:dosfstools mcopy:mtools \
    mke2fs:e2fsprogs qemu-system-aarch64:qemu-system-arm arch-test:arch-test \
    sfdisk:fdisk unshare:util-linux; do
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

# --- root file system -------------------------------------------------------------------------
work=$out/work
rm -rf "$work"
mkdir -p "$work"
t1=$SECONDS
log "mmdebstrap arm64 bookworm (packages cached in $ANTRIAN_CACHE/apt)"
# The initrd needs only what qemu's virt machine boots from; initramfs-tools' default
# (MODULES=most) takes over ten minutes under qemu-user.
initrd_modules="virtio_pci virtio_mmio virtio_blk virtio_net ext4 vfat nls_cp437 nls_ascii"
# A private mount namespace: whatever a hook mounts is gone when mmdebstrap ends, even
# on failure.
unshare --mount --propagation private -- mmdebstrap \
    --mode=root --arch=arm64 --variant=apt \
    --include=linux-image-arm64,initramfs-tools,systemd-sysv \
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
t2=$SECONDS

# --- card image -------------------------------------------------------------------------------
log "genimage"
mkdir -p "$work/genimage-tmp" "$work/input"
genimage --config "$here/genimage.cfg" --rootpath "$work/rootfs" \
    --tmppath "$work/genimage-tmp" --inputpath "$work/input" --outputpath "$work/images" \
    >"$work/genimage.log" 2>&1 || { tail -n 30 "$work/genimage.log" >&2; exit 1; }
mv "$work/images/antrian-ci.img" "$out/antrian-ci.img"
# KEEP_ROOTFS=1 keeps the root tree (e.g. to run install.sh on it again).
if [[ ${KEEP_ROOTFS:-} == 1 ]]; then
    rm -rf "$work/genimage-tmp" "$work/images" "$work/input"
else
    rm -rf "$work"
fi
t3=$SECONDS
log "done: $out/antrian-ci.img ($(du -h --apparent-size "$out/antrian-ci.img" | cut -f1))"
log "timings: provision $((t1 - t0)) s, mmdebstrap+install $((t2 - t1)) s, genimage $((t3 - t2)) s, total $((t3 - t0)) s"
