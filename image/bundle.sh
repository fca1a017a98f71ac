#!/usr/bin/env bash
# A signed RAUC update bundle from a root slot's file system (docs/operations.md "Updates").
#   image/bundle.sh ROOTFS_EXT4 OUT.raucb VERSION [KEYS_DIR]
# ROOTFS_EXT4: the ext4 image of a root, e.g. OUT_DIR/rootfs.ext4 of
#   `LAYOUT=ab image/build-debian.sh OUT_DIR`. It is copied and shrunk to its content, so
#   the update writes only that much into the other slot.
# KEYS_DIR (default: the directory of ROOTFS_EXT4 + /keys): signing.cert.pem and
#   signing.key.pem sign the bundle; ca.cert.pem (the device's keyring) checks it before
#   the bundle is written. An office's vendor points KEYS_DIR at its own key.
# Environment: COMPATIBLE (default antrian-ci-arm64: RAUC refuses a bundle made for
# another system.conf).
set -euo pipefail
rootfs=${1:?usage: image/bundle.sh ROOTFS_EXT4 OUT.raucb VERSION [KEYS_DIR]}
out=${2:?usage: image/bundle.sh ROOTFS_EXT4 OUT.raucb VERSION [KEYS_DIR]}
version=${3:?usage: image/bundle.sh ROOTFS_EXT4 OUT.raucb VERSION [KEYS_DIR]}
keys=${4:-$(dirname "$rootfs")/keys}
compatible=${COMPATIBLE:-antrian-ci-arm64}
log() { printf '[bundle %s] %s\n' "$(date +%T)" "$*" >&2; }

for tool in rauc:rauc mksquashfs:squashfs-tools resize2fs:e2fsprogs; do
    command -v "${tool%%:*}" >/dev/null || {
        log "apt-get install ${tool#*:}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null
    }
done
for f in signing.cert.pem signing.key.pem ca.cert.pem; do
    [[ -s $keys/$f ]] || { echo "bundle.sh: no $keys/$f" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
cp --sparse=always "$rootfs" "$work/content/rootfs.ext4"
e2fsck -fy "$work/content/rootfs.ext4" >/dev/null || (($? <= 1))
resize2fs -M "$work/content/rootfs.ext4" >/dev/null 2>&1
cat > "$work/content/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
MANIFEST
rm -f "$out"
# MKSQUASHFS_ARGS, e.g. "-comp lz4": a faster, larger bundle (the qemu test uses it).
rauc bundle --cert "$keys/signing.cert.pem" --key "$keys/signing.key.pem" \
    --keyring "$keys/ca.cert.pem" ${MKSQUASHFS_ARGS:+--mksquashfs-args="$MKSQUASHFS_ARGS"} \
    "$work/content" "$out" >/dev/null
log "$out: version $version, $(du -h "$out" | cut -f1)"
