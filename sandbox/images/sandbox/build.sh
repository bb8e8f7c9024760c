#!/usr/bin/env bash
# Builds the sandbox image offline: no container registry is reachable, so the root
# filesystem comes from Debian's own packages via debootstrap and is loaded with
# `docker import`. Usage: build.sh IMAGE_TAG
# The image holds Python with Debian's PyTorch, NumPy, SciPy and Matplotlib: what the
# research templates import. GPU hosts use the Dockerfile in ../gpu instead.
set -euo pipefail
TAG=${1:?usage: build.sh IMAGE_TAG}
SUITE=${SANDBOX_DEBIAN_SUITE:-bookworm}
PACKAGES=python3,python3-numpy,python3-scipy,python3-matplotlib,python3-torch,ca-certificates,tini

# The Debian mirror is whatever this host's apt already uses; nothing is hard-coded.
mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | awk '{print $2}' | head -n1)
  [ -n "$m" ] || { echo "no Debian mirror found in /etc/apt sources; set SANDBOX_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$m"
}
MIRROR=${SANDBOX_DEBIAN_MIRROR:-$(mirror)}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-rootfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

R=$WORK/rootfs
# Slim the image: package caches, docs and man pages are never read inside a sandbox.
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/locale/*
# Matplotlib wants a writable config dir; HOME points at the writable /tmp at run time.
mkdir -p "$R/work" && chmod 1777 "$R/work"

tar -C "$R" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/tmp' \
  --change 'ENV MPLBACKEND=Agg' \
  --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
  --change 'ENV PYTHONUNBUFFERED=1' \
  --change 'WORKDIR /work' \
  --change 'USER 65534:65534' \
  --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
  - "$TAG" >/dev/null
echo "built $TAG"
