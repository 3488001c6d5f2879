#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build and test. Idempotent: packages already
# present are skipped, so the README commands and CI can call it on every run.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libasan8 libubsan1 libtsan2           # GCC's sanitizer runtimes (asan and tsan presets)
  clang libclang-rt-14-dev            # libFuzzer build and sanitizer runtimes
  libssl-dev                          # MD5 through EVP (ring hashing)
  libgtest-dev libgmock-dev googletest librapidcheck-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev     # the dynamo CLI, conformance vectors
  librocksdb-dev                      # the durable storage engine (impl/store/)
  libtomlplusplus-dev                 # toml++: the node configuration file (impl/node/config_file.cc)
  capnproto libcapnp-dev              # the wire format (spec/dynamo.capnp, impl/net/wire.cc)
  libnng-dev                          # NNG: node and client transport, the HTTP server
  libgoogle-perftools-dev             # tcmalloc_minimal: the node's allocator (DYNAMO_TCMALLOC)
  curl iproute2 iptables              # the end-to-end tests: curl against the HTTP API, netns partitions
  python3                             # spec/reference: independent checks of the vectors
  default-jre-headless                # TLC (the jar itself comes from ../shared/tools, never the repo)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them with apt-get)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
