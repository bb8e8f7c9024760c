#!/usr/bin/env bash
# Builds the sandbox image offline: no container registry is reachable, so the root
# filesystem comes from Debian's own packages (../rootfs.sh) and is loaded with
# `docker import`. Usage: build.sh IMAGE_TAG
# The image holds Python with Debian's PyTorch, NumPy, SciPy and Matplotlib: what the
# research templates import. GPU hosts use the Dockerfile in ../gpu instead.
set -euo pipefail
# shellcheck source=sandbox/images/rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/../rootfs.sh"
TAG=${1:?usage: build.sh IMAGE_TAG}
PACKAGES=python3,python3-numpy,python3-scipy,python3-matplotlib,python3-torch,ca-certificates,tini
# /work is writable by the sandbox user; Matplotlib's config dir follows HOME to the writable /tmp.

build_rootfs_image "$TAG" "$PACKAGES" '' -- \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/tmp' \
  --change 'ENV MPLBACKEND=Agg' \
  --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
  --change 'ENV PYTHONUNBUFFERED=1' \
  --change 'WORKDIR /work' \
  --change 'USER 65534:65534' \
  --change 'ENTRYPOINT ["/usr/bin/tini", "--"]'
