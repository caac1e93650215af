#!/usr/bin/env bash
# Installs every Debian 12 package plcstack needs. Idempotent; run as root.
# Package roles are listed in docs/build.md.
set -euo pipefail

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
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
