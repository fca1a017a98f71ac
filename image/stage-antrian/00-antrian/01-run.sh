#!/bin/bash -e
# pi-gen stage: install Antrian into /opt/antrian with its own venv, its units, first boot.
install -d "${ROOTFS_DIR}/opt/antrian/src"
tar -xf files/antrian.tar -C "${ROOTFS_DIR}/opt/antrian/src"
install -m 755 files/firstboot.py "${ROOTFS_DIR}/opt/antrian/firstboot.py"
install -m 644 files/antrian-firstboot.service "${ROOTFS_DIR}/etc/systemd/system/"
install -m 644 files/antrian.example.toml "${ROOTFS_DIR}/boot/firmware/antrian.toml"
install -m 644 "${ROOTFS_DIR}"/opt/antrian/src/systemd/antrian-*.service "${ROOTFS_DIR}/etc/systemd/system/"
install -D -m 644 "${ROOTFS_DIR}/opt/antrian/src/systemd/mosquitto/antrian.conf" \
    "${ROOTFS_DIR}/etc/mosquitto/conf.d/antrian.conf"
on_chroot <<CHROOT
id antrian >/dev/null 2>&1 || useradd --system --home /var/lib/antrian --groups gpio,i2c,input,video,audio,render,lp,dialout,plugdev antrian
python3 -m venv /opt/antrian/venv
/opt/antrian/venv/bin/pip install --no-cache-dir /opt/antrian/src
systemctl enable antrian-firstboot.service
systemctl disable mosquitto.service
CHROOT
