#!/usr/bin/env bash
# Builds the LaTeX sandbox image offline, the same way as ../sandbox/build.sh: Debian's own
# packages via debootstrap, loaded with `docker import`. Usage: build.sh IMAGE_TAG
# LaTeX written by a model is untrusted input, so it compiles in its own container (no network,
# read-only root, non-root) with TeX's file access locked to the paper folder (see ENV below).
# The image holds TeX Live (base, recommended, extra, fonts, science, biblatex styles), latexmk,
# chktex and poppler-utils (pdftotext, pdfinfo); no Python and no compilers are needed.
set -euo pipefail
TAG=${1:?usage: build.sh IMAGE_TAG}
SUITE=${SANDBOX_DEBIAN_SUITE:-bookworm}
PACKAGES=texlive-latex-base,texlive-latex-recommended,texlive-latex-extra,texlive-fonts-recommended,texlive-science,texlive-bibtex-extra,lmodern,latexmk,chktex,poppler-utils,tini

# The Debian mirror is whatever this host's apt already uses; nothing is hard-coded.
mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | awk '{print $2}' | head -n1)
  [ -n "$m" ] || { echo "no Debian mirror found in /etc/apt sources; set SANDBOX_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$m"
}
MIRROR=${SANDBOX_DEBIAN_MIRROR:-$(mirror)}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latex-rootfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

R=$WORK/rootfs
# Slim the image: package caches, docs (TeX Live ships many PDFs) and man pages are never read.
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* "$R"/usr/share/man/* \
  "$R"/usr/share/locale/* "$R"/usr/share/texlive/texmf-dist/doc "$R"/usr/share/texmf/doc
mkdir -p "$R/work" && chmod 1777 "$R/work"
# The font and format caches are built at install time into the read-only root; a compile
# writes only to /work and /tmp (HOME, TEXMFVAR).

# TeX's own file policy (kpathsea): openin_any=p / openout_any=p ("paranoid") refuse absolute
# paths, `..` and hidden files for both reading and writing, so \input{/etc/passwd} fails.
# shell_escape=f turns \write18 off even if a command line asks for it.
tar -C "$R" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/tmp' \
  --change 'ENV TEXMFVAR=/tmp/texmf-var' \
  --change 'ENV TEXMFHOME=/nonexistent' \
  --change 'ENV openin_any=p' \
  --change 'ENV openout_any=p' \
  --change 'ENV shell_escape=f' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'WORKDIR /work' \
  --change 'USER 65534:65534' \
  --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
  - "$TAG" >/dev/null
echo "built $TAG"
