#!/usr/bin/env bash
# The virtual Pi office (slow, by hand or a slow CI job; not in .ci/run): the CI image
# booted in qemu-system-aarch64 -M virt (TCG) once per role, each VM with its own
# `antrian provision` boot file on its boot partition, the hub's VM beside each node's on
# a shared Ethernet segment (see image/office_test.py and docs/image.md).
#   sudo bash image/office-test.sh [OUT_DIR]       (default build/image; built if missing)
#   ROLES=kiosk,counter,display HUB_ABSENT_S=120    which roles (also: touch); how long the hub stays away
# Writes OUT_DIR/office/: the provisioned office, each VM's console log, the kiosk's
# printer bytes and the display's screen dumps. The built image is never changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/build/image}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ ! -s $out/antrian-ci.img ]]; then
    bash "$here/build-debian.sh" "$out"
fi
for tool in qemu-system-aarch64:qemu-system-arm mcopy:mtools sfdisk:fdisk \
    mosquitto_rr:mosquitto-clients dtc:device-tree-compiler; do
    command -v "${tool%%:*}" >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null
    }
done
[[ -x $repo/.venv/bin/antrian ]] || bash "$repo/scripts/install.sh" >/dev/null

work=$out/office
mkdir -p "$work"
img=$out/antrian-ci.img
start=$(sfdisk --json "$img" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])')
offset=$((start * 512))
mcopy -o -n -i "$img@@$offset" ::vmlinuz ::initrd.img "$work/"

# The office, provisioned as a technician does; every VM gets its card's file.
rm -rf "$work/provision"
"$repo/.venv/bin/antrian" provision --config "$here/ci/office.toml" --out "$work/provision" \
    >/dev/null
# Two cards: the hub's, and one the nodes take in turn (each VM boots with snapshot=on, so
# only the boot file copied before each boot differs from the built image).
for card in hub node; do
    cp --sparse=always "$img" "$work/$card.img"
done

exec python3 "$here/office_test.py" --hub-image "$work/hub.img" --node-image "$work/node.img" \
    --offset "$offset" --kernel "$work/vmlinuz" --initrd "$work/initrd.img" \
    --provision "$work/provision" --out "$work" --roles "${ROLES:-kiosk,counter,display}" \
    --hub-absent-s "${HUB_ABSENT_S:-120}"
