#!/usr/bin/env bash
# Installs the Debian packages Tortie's tests and lab need, when missing.
# Run as root on Debian 12 / Ubuntu. Idempotent: does nothing when all are present.
# Debian's init scripts would try to start each daemon on install; a
# policy-rc.d that answers 101 ("action forbidden") keeps them stopped, since
# the testbed starts every daemon itself inside its own network namespaces.
set -euo pipefail

PKGS=(bird2 frr gobgpd exabgp etcd-server etcd-client containernetworking-plugins
      nftables iptables iproute2 iputils-ping tcpdump procps psmisc haproxy systemd
      chromium)
# command that proves each package is present (same order as PKGS)
PROBES=(bird /usr/lib/frr/bgpd gobgpd exabgp etcd etcdctl /usr/lib/cni/ptp
        nft iptables ip ping tcpdump pgrep killall haproxy systemd-analyze
        /usr/bin/chromium)

missing=()
for i in "${!PKGS[@]}"; do
  p=${PROBES[$i]}
  if [[ $p == /* ]]; then [[ -x $p ]] || missing+=("${PKGS[$i]}")
  else command -v "$p" >/dev/null 2>&1 || missing+=("${PKGS[$i]}"); fi
done

if ((${#missing[@]} == 0)); then
  echo "install-system: all system packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system: need root to install: ${missing[*]}" >&2
  exit 1
fi

# The guard lives only for this install: if we put it there, we take it away
# again on every exit path, so later Debian packages on the user's machine
# start their services as usual. A policy-rc.d the user already had is left
# exactly as it was.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi

echo "install-system: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system: done"
