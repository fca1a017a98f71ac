#!/usr/bin/env bash
# Build the Antrian SD card image with pi-gen (on a Debian machine with pi-gen's
# dependencies; this is not run in CI). One image for every role: the role is chosen on
# the boot partition after flashing (image/firstboot.py).
#   PIGEN=/path/to/pi-gen bash image/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${PIGEN:?set PIGEN to a pi-gen checkout}"
rm -rf "$PIGEN/stage-antrian"
cp -r "$here/stage-antrian" "$PIGEN/stage-antrian"
mkdir -p "$PIGEN/stage-antrian/00-antrian/files"
git -C "$here/.." archive --format=tar HEAD -o "$PIGEN/stage-antrian/00-antrian/files/antrian.tar"
cp "$here/firstboot.py" "$here/files/"* "$PIGEN/stage-antrian/00-antrian/files/"
cat > "$PIGEN/config" <<CFG
IMG_NAME=antrian
RELEASE=bookworm
TARGET_HOSTNAME=antrian
FIRST_USER_NAME=teknisi
ENABLE_SSH=1
STAGE_LIST="stage0 stage1 stage2 stage-antrian"
CFG
cd "$PIGEN" && ./build.sh
