# Shared by ./sandbox/build.sh and ./latex/build.sh (sourced, not run): builds a Debian root
# filesystem offline from Debian's own packages and loads it into Docker with `docker import`,
# since no container registry is reachable. Part of both recipes' tags (recipe-image.ts), so
# an edit here rebuilds both images.
#
# mmdebstrap rather than debootstrap: apt fetches the packages over parallel, pipelined
# connections (debootstrap fetches one .deb at a time), dpkg unpacks with --force-unsafe-io
# (no fsync per file: a half-written image is thrown away anyway), the paths an image never
# reads (docs, man pages, translations) are never unpacked instead of deleted afterwards, and
# the filesystem streams to `docker import` as a tarball with no copy on disk.

# The Debian mirror is whatever this host's apt already uses; nothing is hard-coded.
debian_mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | awk '{print $2}' | head -n1)
  [ -n "$m" ] || { echo "no Debian mirror found in /etc/apt sources; set SANDBOX_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$m"
}

# build_rootfs_image TAG PACKAGES EXCLUDES -- DOCKER_IMPORT_ARGS...
#   PACKAGES: comma-separated Debian packages on top of the minimal base.
#   EXCLUDES: space-separated path globs never unpacked (besides docs, man pages, locales).
build_rootfs_image() {
  local tag=$1 packages=$2 excludes=$3
  shift 4
  local suite=${SANDBOX_DEBIAN_SUITE:-bookworm}
  local mirror=${SANDBOX_DEBIAN_MIRROR:-$(debian_mirror)}
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/rootfs-build.XXXXXX.log")
  local dpkgopts=(--dpkgopt=force-unsafe-io)
  local p extra
  read -ra extra <<<"$excludes" # split on spaces; never globbed against the host's files
  for p in '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*' "${extra[@]}"; do
    dpkgopts+=("--dpkgopt=path-exclude=$p")
  done
  # The root's temporary tree lives in TMPDIR; on a tmpfs it never touches the disk.
  if ! mmdebstrap --quiet --variant=minbase --include="$packages" "${dpkgopts[@]}" \
    --customize-hook='mkdir -p "$1/work" && chmod 1777 "$1/work"' \
    "$suite" - "$mirror" 2>"$log" | docker import "$@" - "$tag" >/dev/null; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "built $tag"
}
