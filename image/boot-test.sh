#!/usr/bin/env bash
# The slow image test (not in .ci/run: it takes tens of minutes). Builds the Debian-only CI
# image (or reuses OUT_DIR/antrian-ci.img), boots it under qemu-system-aarch64 -M virt
# (TCG, Debian's arm64 kernel from the image's boot partition) with the root read-only and
# role hub, then checks over the serial console and the forwarded MQTT port that mosquitto
# and the hub start, that a ticket request is answered, and that the hub comes back after
# `systemctl kill -s KILL` and answers with the next number.
#   sudo bash image/boot-test.sh [OUT_DIR]      (default build/image)
#   REBUILD=1 ...                               build even if the image exists
# The image is booted with snapshot=on: the test never changes the built image.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/build/image}
mkdir -p "$out"
out=$(cd "$out" && pwd)
t0=$SECONDS

if [[ ${REBUILD:-} == 1 || ! -s $out/antrian-ci.img ]]; then
    bash "$here/build-debian.sh" "$out"
fi
t1=$SECONDS
for tool in qemu-system-aarch64:qemu-system-arm mcopy:mtools sfdisk:fdisk \
    mosquitto_rr:mosquitto-clients; do
    command -v "${tool%%:*}" >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null
    }
done

# The kernel and initrd the build put on the FAT boot partition (partition 1).
img=$out/antrian-ci.img
start=$(sfdisk --json "$img" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])')
boot=$out/qemu-boot
mkdir -p "$boot"
mcopy -o -n -i "$img@@$((start * 512))" ::vmlinuz ::initrd.img "$boot/"

echo "boot-test: image ready in $((t1 - t0)) s"
exec python3 "$here/boot_test.py" --image "$img" --kernel "$boot/vmlinuz" \
    --initrd "$boot/initrd.img" --credentials "$out/provision/credentials.toml" \
    --log "$out/boot-test-console.log"
