#!/usr/bin/env bash
# The A/B update test in qemu (not in .ci/run: it takes tens of minutes). Builds the A/B
# CI image (LAYOUT=ab image/build-debian.sh) or reuses OUT_DIR/antrian-ci-ab.img, makes
# three bundles of its root with image/bundle.sh and puts them on a "USB stick" (a second
# disk):
#   forged.raucb  signed by a key outside the image's keyring: must be refused;
#   broken.raucb  the hub's unit fails: booted once, marked bad, the Pi boots slot A again
#                 by itself;
#   good.raucb    a new version, not installed from the stick: `antrian update-office` on
#                 the hub serves it, the hub's update agent downloads and installs it and
#                 reboots; slot B is booted, marked good, reports the version, and the
#                 rollout ends `done`.
# Then boots the image under qemu-system-aarch64 -M virt with UEFI (edk2) and GRUB and
# drives it over the serial console (image/update_test.py).
#   sudo bash image/update-test.sh [OUT_DIR]      (default build/image-ab)
#   REBUILD=1 ...                                 build even if the image exists
# The card image is booted with snapshot=on: the test never changes the built image.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/build/image-ab}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log() { printf '[update-test %s] %s\n' "$(date +%T)" "$*" >&2; }
t0=$SECONDS

if [[ ${REBUILD:-} == 1 || ! -s $out/antrian-ci-ab.img ]]; then
    LAYOUT=ab bash "$here/build-debian.sh" "$out"
fi
for tool in qemu-system-aarch64:qemu-system-arm mosquitto_sub:mosquitto-clients \
    rauc:rauc mksquashfs:squashfs-tools openssl:openssl; do
    command -v "${tool%%:*}" >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null
    }
done
firmware=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
[[ -s $firmware ]] || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-efi-aarch64 >/dev/null
}
t1=$SECONDS

# --- the bundles --------------------------------------------------------------------------
# A bundle is made again only when the image's root is newer than it (each takes minutes).
work=$out/update-test
mkdir -p "$work/stick" "$work/mnt"
# lz4: the test's bundles are made in a fraction of gzip's time (and are larger).
export MKSQUASHFS_ARGS=${MKSQUASHFS_ARGS:--comp lz4}
fresh() { [[ -s $work/stick/$1 && $work/stick/$1 -nt $out/rootfs.ext4 ]]; }
cleanup() { mountpoint -q "$work/mnt" && umount "$work/mnt"; true; }
trap cleanup EXIT
# edit ROOTFS_COPY COMMANDS: run COMMANDS (a shell snippet) in the mounted copy ($1).
edit() {
    local copy=$1 snippet=$2
    cp --sparse=always "$out/rootfs.ext4" "$copy"
    mount -o loop "$copy" "$work/mnt"
    bash -c "$snippet" _ "$work/mnt"
    umount "$work/mnt"
}
# The new release: the version the node reports in its status.
new_version="0.1.0+update-test"
if ! fresh good.raucb; then
    edit "$work/good.ext4" "sed -i 's/^__version__ = .*/__version__ = \"$new_version\"/' \
        \"\$1\"/opt/antrian/venv/lib/python3*/site-packages/common/__init__.py"
    bash "$here/bundle.sh" "$work/good.ext4" "$work/stick/good.raucb" "$new_version" "$out/keys"
fi
# A release whose hub cannot start: the unit fails (and systemd keeps restarting it).
if ! fresh broken.raucb; then
    # shellcheck disable=SC2016 # $1 is expanded by edit's bash -c
    edit "$work/broken.ext4" 'mkdir -p "$1/etc/systemd/system/antrian-hub.service.d" &&
        printf "[Service]\nExecStart=\nExecStart=/bin/false\n" \
        > "$1/etc/systemd/system/antrian-hub.service.d/broken.conf"'
    bash "$here/bundle.sh" "$work/broken.ext4" "$work/stick/broken.raucb" 0.1.0+broken "$out/keys"
fi
rm -f "$work/good.ext4" "$work/broken.ext4"
# Signed, but by a key the image does not trust (its own self-signed CA).
mkdir -p "$work/forger"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Not the office's vendor" \
    -keyout "$work/forger/signing.key.pem" -out "$work/forger/signing.cert.pem" 2>/dev/null
cp "$work/forger/signing.cert.pem" "$work/forger/ca.cert.pem"
# (random content: RAUC wants more than one squashfs block)
rm -rf "$work/forged" && mkdir -p "$work/forged"
head -c 4M /dev/urandom > "$work/forged/noise"
truncate -s 16M "$work/forged.ext4"
mkfs.ext4 -q -F -L rootfs -d "$work/forged" "$work/forged.ext4"
bash "$here/bundle.sh" "$work/forged.ext4" "$work/stick/forged.raucb" 0.1.0+forged "$work/forger"
rm -rf "$work/forged.ext4" "$work/forged"
# The stick: an ext4 disk image holding the three bundles.
size=$(du -sm "$work/stick" | cut -f1)
rm -f "$work/stick.img"
truncate -s "$((size + 64))M" "$work/stick.img"
mkfs.ext4 -q -L bundles -d "$work/stick" "$work/stick.img"
t2=$SECONDS
log "image ready in $((t1 - t0)) s, bundles and stick in $((t2 - t1)) s"

exec python3 "$here/update_test.py" --image "$out/antrian-ci-ab.img" --firmware "$firmware" \
    --stick "$work/stick.img" --credentials "$out/provision/credentials.toml" \
    --version "$new_version" --log "$out/update-test-console.log"
