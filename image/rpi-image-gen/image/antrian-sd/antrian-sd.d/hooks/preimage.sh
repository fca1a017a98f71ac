#!/bin/bash
# rpi-image-gen pre-image hook of the antrian-sd layout: writes genimage.cfg.
#   $1 the root file system, $2 the directory genimage.cfg goes to
set -euo pipefail
genimg_in=$2
# One disk signature for the partition table, cmdline.txt and fstab (PARTUUID=<sig>-0N).
sig=${IGconf_image_disksig:-random}
if [[ ! $sig =~ ^0x[0-9a-fA-F]{8}$ ]]; then
    sig=0x$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
fi
# shellcheck disable=SC2154 # exported by rpi-image-gen
sed -e "s|<IMAGE_NAME>|$IGconf_image_name|g" \
    -e "s|<IMAGE_SUFFIX>|$IGconf_image_suffix|g" \
    -e "s|<BOOT_SIZE>|$IGconf_image_boot_part_size|g" \
    -e "s|<ROOT_SIZE>|$IGconf_image_root_part_size|g" \
    -e "s|<DATA_SIZE>|$IGconf_image_data_part_size|g" \
    -e "s|<DISK_SIGNATURE>|$sig|g" \
    -e "s|<SETUP>|'$(readlink -ef "$LAYER_DIR/setup.sh")'|g" \
    "$LAYER_DIR/genimage.cfg.in" > "$genimg_in/genimage.cfg"
