#!/usr/bin/env bash
# Turn a Debian bookworm root file system (arm64 under qemu-user, or native) into an Antrian
# node: Debian packages, the project in a pinned venv under /opt/antrian, the system user,
# the units and configs from systemd/, the data partition's fstab line, a sample boot file.
#   image/install.sh ROOTFS          (as root; called by image/build-debian.sh and by the
#                                     rpi-image-gen layer's customize hook)
#   image/install.sh --list-targets  (print "repo-path -> node-path" for every file of
#                                     systemd/ and exit; tests/image reads it)
#   image/install.sh --stale-packages LOCK < FREEZE  (print the packages of a `pip freeze`
#                                     that the lock does not name, and exit; tests/image)
# Idempotent: a second run changes nothing it does not have to. Nothing it installs needs a
# writable root at run time (everything derived at boot goes under /run, state under
# /var/lib/antrian on its own partition).
# Environment:
#   ANTRIAN_SRC=head|worktree   what goes to /opt/antrian/src: the committed HEAD (default,
#                               reproducible) or the working tree (tracked + untracked files
#                               that git does not ignore)
#   ANTRIAN_KEEP_CACHES=1       keep /var/cache/apt/archives and the pip cache (the CI build
#                               bind-mounts its download cache there)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Where each top-level entry of systemd/ goes on the node (systemd/README.md documents the
# same table). A file added inside one of these directories needs no change here; a new
# top-level entry stops the install until it gets a row.
declare -A DEST=(
    [system]=/etc/systemd/system
    [mosquitto]=/etc/mosquitto
    [journald.conf.d]=/etc/systemd/journald.conf.d
    [system.conf.d]=/etc/systemd/system.conf.d
    [udev]=/etc/udev/rules.d
    [tmpfiles.d]=/etc/tmpfiles.d
    [sysusers.d]=/etc/sysusers.d
    [logind.conf.d]=/etc/systemd/logind.conf.d
    [networkmanager]=/etc/NetworkManager/conf.d
    [modules-load.d]=/etc/modules-load.d
)
SKIP_TOP=" README.md "

# Debian packages a node needs at run time (installed without recommends: the list is
# complete). Wi-Fi: NetworkManager drives wpasupplicant; firstboot sets the country with iw.
# The Pi's own Wi-Fi firmware comes with rpi-image-gen's device layers. SDL2 is not listed:
# pygame-ce's aarch64 wheel brings its own; libasound2 is what its SDL opens for sound.
# SDL's kmsdrm driver (the display and the touch kiosk draw on the bare console) dlopens
# libgbm, libEGL and libGLESv2 (its window surface is a GLES2 texture); Mesa's EGL needs a DRI
# driver from libgl1-mesa-dri: vc4/v3d on the Pi, virtio_gpu or kms_swrast (llvmpipe) in qemu.
PACKAGES=(
    systemd-sysv udev dbus ca-certificates tzdata
    python3 python3-venv
    mosquitto mosquitto-clients
    network-manager avahi-daemon libnss-mdns
    wpasupplicant iw wireless-regdb
    espeak-ng libasound2 alsa-utils
    libgbm1 libegl1 libgles2 libgl1-mesa-dri
    libusb-1.0-0 i2c-tools
)
# Only to compile evdev (no aarch64 wheel on PyPI); removed again afterwards.
BUILD_PACKAGES=(build-essential python3-dev)

GROUPS_DEVICE=(gpio i2c spi lp dialout plugdev input video render audio)

# "relative/path/in/systemd destination-path" for every installable file under $1.
list_targets() {
    local tree=$1 file top rest
    while IFS= read -r file; do
        file=${file#"$tree"/}
        top=${file%%/*}
        [[ $SKIP_TOP == *" $top "* ]] && continue
        if [[ $file != */* || -z ${DEST[$top]:-} ]]; then
            echo "install.sh: systemd/$file: no destination for '$top' (add it to DEST)" >&2
            return 1
        fi
        rest=${file#*/}
        echo "$file ${DEST[$top]}/$rest"
    done < <(find "$tree" -type f | LC_ALL=C sort)
}

# Names normalised as PEP 503 does, so "et_xmlfile" in the lock matches pip's "et-xmlfile".
normalise() { sed -E 's/#.*//; /^[[:space:]]*$/d; s/[[:space:]]+//g' | tr 'A-Z_.' 'a-z--' | LC_ALL=C sort; }

# The names in $2 (normalised `name==version` lines, the venv's) that $1 (the lock's) lacks.
# Sorted by name alone for comm: sorted whole lines are not ("a-b==1" < "a==2", "a" < "a-b").
stale_packages() {
    LC_ALL=C comm -13 <(cut -d= -f1 <<<"$1" | LC_ALL=C sort -u) \
        <(cut -d= -f1 <<<"$2" | LC_ALL=C sort -u) | grep . || true
}

if [[ ${1:-} == --list-targets ]]; then
    list_targets "$repo/systemd" | sed 's/^/systemd\//; s/ / -> /'
    exit 0
fi
if [[ ${1:-} == --stale-packages ]]; then  # LOCK < `pip freeze`: what the lock lacks (tests)
    stale_packages "$(normalise < "${2:?usage: install.sh --stale-packages LOCK}")" "$(normalise)"
    exit 0
fi

root=${1:?usage: image/install.sh ROOTFS | --list-targets}
root=$(cd "$root" && pwd)
[[ $root != / ]] || { echo "install.sh: refusing to install into the running system" >&2; exit 1; }
[[ -x $root/usr/bin/apt-get ]] || { echo "install.sh: $root is not a Debian root" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "install.sh: run as root (chroot)" >&2; exit 1; }

log() { printf '[install.sh %s] %s\n' "$(date +%T)" "$*" >&2; }

in_root() {
    chroot "$root" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# What this run set up temporarily, undone on exit whatever happens.
cleanup_mounts=()
cleanup_files=()
restore_resolv=""
cleanup() {
    local i
    for ((i = ${#cleanup_mounts[@]} - 1; i >= 0; i--)); do
        umount "${cleanup_mounts[i]}" || umount -l "${cleanup_mounts[i]}" || true
    done
    for i in "${cleanup_files[@]}"; do rm -f "$i"; done
    if [[ -n $restore_resolv ]]; then
        rm -f "$root/etc/resolv.conf"
        mv "$restore_resolv" "$root/etc/resolv.conf" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# mmdebstrap's and rpi-image-gen's hooks already have these mounted; a bare rootfs does not.
for fs in proc sys dev dev/pts; do
    mountpoint -q "$root/$fs" && continue
    mkdir -p "$root/$fs"
    case $fs in
        proc) mount -t proc proc "$root/proc" ;;
        sys) mount -t sysfs sysfs "$root/sys" ;;
        dev) mount --bind /dev "$root/dev" ;;
        dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
    esac
    cleanup_mounts+=("$root/$fs")
done
# No daemon may start inside the chroot while packages are installed.
if [[ ! -e $root/usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    cleanup_files+=("$root/usr/sbin/policy-rc.d")
fi
# Name resolution for apt and pip inside the chroot.
if [[ ! -s $root/etc/resolv.conf ]]; then
    if [[ -e $root/etc/resolv.conf || -L $root/etc/resolv.conf ]]; then
        restore_resolv=$(mktemp -u "$root/etc/.resolv.conf.antrian.XXXXXX")
        mv "$root/etc/resolv.conf" "$restore_resolv"
    else
        cleanup_files+=("$root/etc/resolv.conf")
    fi
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
fi

# pip inside the chroot trusts the build host's CA bundle (a host behind a TLS-inspecting
# proxy has its CA there, the fresh root does not); the root's own store is not changed.
host_ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
pip_env=()
if [[ -s $host_ca ]]; then
    cp "$host_ca" "$root/tmp/antrian-build-ca.pem"
    cleanup_files+=("$root/tmp/antrian-build-ca.pem")
    pip_env=(PIP_CERT=/tmp/antrian-build-ca.pem)
fi
in_pip() { in_root "${pip_env[@]}" "$venv/bin/pip" "$@"; }

# --- Debian packages -------------------------------------------------------------------
apt_updated=""
if ! compgen -G "$root/var/lib/apt/lists/*_Packages" >/dev/null; then
    log "apt-get update"
    in_root apt-get update -qq
    apt_updated=1
fi
log "apt packages: ${PACKAGES[*]}"
in_root apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

# --- the project -----------------------------------------------------------------------
log "project source -> /opt/antrian/src (${ANTRIAN_SRC:-head})"
src=$root/opt/antrian/src
rm -rf "$src"
mkdir -p "$src"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    if [[ ${ANTRIAN_SRC:-head} == worktree ]]; then
        # Files deleted but not yet committed are listed too: skip them quietly.
        git -C "$repo" ls-files -z --cached --others --exclude-standard \
            | tar -C "$repo" --null -T - --ignore-failed-read -cf - 2>/dev/null \
            | tar -C "$src" -xf -
    else
        git -C "$repo" archive --format=tar HEAD | tar -C "$src" -xf -
    fi
    git -C "$repo" describe --always --dirty > "$src/REVISION" 2>/dev/null || true
else
    tar -C "$repo" --exclude=./.venv --exclude=./build -cf - . | tar -C "$src" -xf -
fi

venv=/opt/antrian/venv
pip_cache=(--no-cache-dir)
[[ -n ${ANTRIAN_KEEP_CACHES:-} ]] && pip_cache=(--cache-dir /var/cache/antrian-pip)
[[ -x $root$venv/bin/python ]] || { log "venv $venv"; in_root python3 -m venv "$venv"; }

wanted=$(normalise < "$src/image/requirements.txt")
have=$(in_pip freeze --all --exclude antrian --exclude pip 2>/dev/null | normalise)
if [[ $wanted != "$have" ]]; then
    built=()
    for pkg in "${BUILD_PACKAGES[@]}"; do
        # shellcheck disable=SC2016 # dpkg-query's format, not a shell expansion
        in_root dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || built+=("$pkg")
    done
    if ((${#built[@]})); then
        log "build packages for evdev: ${built[*]}"
        in_root apt-get install -y -qq --no-install-recommends "${built[@]}" >/dev/null
    fi
    # Anything the venv has that the lock does not name is stale: remove it first, as a
    # package may share a directory with its replacement (pygame and pygame-ce both own
    # pygame/: uninstalling pygame afterwards would delete pygame-ce's files).
    mapfile -t extra < <(stale_packages "$wanted" "$have")
    if ((${#extra[@]})); then
        log "pip uninstall ${extra[*]} (not in the lock)"
        in_pip uninstall -y -q "${extra[@]}"
    fi
    log "pip install -r requirements.txt (pinned)"
    in_pip install -q "${pip_cache[@]}" --no-deps \
        -r /opt/antrian/src/image/requirements.txt
    if ((${#built[@]})); then
        log "removing build packages again"
        in_root apt-get purge -y -qq --autoremove "${built[@]}" >/dev/null
    fi
fi
# The project itself: no dependency resolution (all pinned above), no build isolation (the
# pinned setuptools builds it, nothing unpinned is downloaded).
log "pip install /opt/antrian/src"
in_pip install -q --no-cache-dir --no-deps --no-build-isolation \
    --force-reinstall /opt/antrian/src >/dev/null
rm -rf "$src/build" "$src"/*.egg-info
# A lock that lags behind pyproject.toml (run image/lock.sh) fails here, not on the Pi.
if ! in_pip check >/dev/null; then
    in_pip check >&2 || true
    log "the venv does not satisfy the project's dependencies: run bash image/lock.sh"
    exit 1
fi
in_root "$venv/bin/antrian" --help >/dev/null

# --- user and groups -------------------------------------------------------------------
log "user antrian, groups ${GROUPS_DEVICE[*]}"
for g in antrian "${GROUPS_DEVICE[@]}"; do
    in_root getent group "$g" >/dev/null || in_root groupadd --system "$g"
done
if ! in_root getent passwd antrian >/dev/null; then
    in_root useradd --system --gid antrian --home-dir /var/lib/antrian --no-create-home \
        --shell /usr/sbin/nologin --comment "Antrian queue system" antrian
fi
in_root usermod --append --groups "$(IFS=,; echo "${GROUPS_DEVICE[*]}")" antrian

# --- units and configs -----------------------------------------------------------------
log "files from systemd/"
manifest=$root/opt/antrian/installed-files
targets=$(list_targets "$src/systemd")
# Files an earlier run installed that the repository no longer has.
if [[ -f $manifest ]]; then
    while IFS= read -r old; do
        grep -qxF "$old" <(cut -d' ' -f2 <<<"$targets") || rm -f "$root$old"
    done < "$manifest"
fi
: > "$manifest.new"
while read -r rel dest; do
    install -D -m 644 "$src/systemd/$rel" "$root$dest"
    echo "$dest" >> "$manifest.new"
done <<<"$targets"
mv "$manifest.new" "$manifest"

units=(antrian-firstboot.service mosquitto.service)
for f in "$src"/systemd/system/antrian-*.service; do
    [[ -e $f ]] && units+=("$(basename "$f")")
done
mapfile -t units < <(printf '%s\n' "${units[@]}" | LC_ALL=C sort -u)
log "systemctl enable ${units[*]}"
in_root systemctl enable "${units[@]}" 2>&1 | grep -v '^Created symlink' >&2 || true
for u in "${units[@]}"; do
    in_root systemctl is-enabled --quiet "$u" || { log "$u is not enabled"; exit 1; }
done

# --- data partition, boot file ---------------------------------------------------------
mkdir -p "$root/var/lib/antrian" "$root/boot/firmware"
# systemd-logind's StateDirectory=: on a read-only root it cannot be created at boot, and
# logind would fail (the CI image's boot test found it).
mkdir -p "$root/var/lib/systemd/linger"
fstab=$root/etc/fstab
[[ -e $fstab ]] || : > "$fstab"
# 90 s, not 20: under qemu TCG the partition appeared 22 s after systemd began waiting
# (image/office-test.sh); past the timeout the node ran with no data partition.
line="LABEL=antrian-data /var/lib/antrian ext4 defaults,noatime,nofail,x-systemd.device-timeout=90s 0 2"
if ! grep -qxF "$line" "$fstab"; then
    grep -vE '^[^#[:space:]]+[[:space:]]+/var/lib/antrian[[:space:]]' "$fstab" > "$fstab.new" || true
    echo "$line" >> "$fstab.new"
    cat "$fstab.new" > "$fstab"
    rm -f "$fstab.new"
fi
# The system's time zone is the office's ([office] timezone), chosen at every boot: the
# root is read-only, so /etc/localtime points into /run, where antrian firstboot links
# the zone (journalctl then shows local time; until firstboot has run, UTC).
ln -sfn /run/antrian/localtime "$root/etc/localtime"
if [[ ! -e $root/boot/firmware/antrian.toml ]]; then
    install -m 644 "$src/image/antrian.toml.sample" "$root/boot/firmware/antrian.toml"
fi

if [[ -z ${ANTRIAN_KEEP_CACHES:-} ]]; then
    in_root apt-get clean
    # The root came without package lists: it leaves without them too.
    [[ -z $apt_updated ]] || rm -rf "$root"/var/lib/apt/lists/*
fi
log "done"
