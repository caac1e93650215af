#!/usr/bin/env bash
# Installs every Debian 12 package plcstack needs. Idempotent; run as root.
# Package roles are listed in docs/build.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcmocka-dev      # unit and integration tests
  libfec-dev         # test oracle for Reed-Solomon and Viterbi (never linked into the product)
  libfftw3-dev       # FFT for the OFDM modem on Linux
  libliquid-dev      # SDR front end DSP and benchmark peer
  libsoapysdr-dev    # SDR device backend of the sample port (optional at build time)
  libmbedtls-dev     # AES-CCM* for MAC security
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler  # gateway transport and messages
  python3-zmq python3-protobuf protobuf-compiler  # a head-end in Python from the same .proto (tests)
  libsqlite3-dev sqlite3  # gateway store (sqlite3: the tests look into it)
  libinih-dev        # the gateway daemon's INI configuration
  systemd            # systemd-analyze checks the daemon's unit file in the tests
  gnuplot-nox        # plots in docs/
  tshark             # decodes the MAC's pcap captures in tests (IEEE 802.15.4)
  gcc-arm-none-eabi libnewlib-arm-none-eabi  # the firmware build (Cortex-M4F)
  qemu-system-arm    # runs the firmware tests on an emulated MPS2 AN386 board
  python3-cryptography  # an independent crypto implementation the tests compare with
  graphviz           # renders the mesh routes plc-sim writes (--topology-out) in docs/ and tests
  dpkg-dev           # unpacks Debian source packages (mbedTLS for the firmware, below)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# mbedTLS for the firmware build: Debian ships it only for the host, so the firmware's ECDSA
# is built from Debian's source package (apt-get source, into build-deps/: not in the tree)
src_list=/etc/apt/sources.list.d/plcstack-src.sources
need_src=0
compgen -G "build-deps/mbedtls-*/library/ecdsa.c" > /dev/null || need_src=1

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed, mbedTLS source in build-deps/"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}) or the mbedTLS source; run this script as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ $need_src -eq 1 ] && ! grep -rqs "^Types:.*deb-src" /etc/apt/sources.list.d/ &&
   ! grep -qs "^deb-src" /etc/apt/sources.list; then
  . /etc/os-release
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$VERSION_CODENAME" "$VERSION_CODENAME" > "$src_list"
  echo "setup: added $src_list"
fi
apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "setup: installed ${missing[*]}"
fi
if [ $need_src -eq 1 ]; then
  mkdir -p build-deps
  (cd build-deps && apt-get source -q mbedtls)
  echo "setup: mbedTLS source in $(ls -d build-deps/mbedtls-*/)"
fi
