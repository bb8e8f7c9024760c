#!/usr/bin/env bash
# Builds the LaTeX sandbox image offline, the same way as ../sandbox/build.sh: Debian's own
# packages (../rootfs.sh), loaded with `docker import`. Usage: build.sh IMAGE_TAG
# LaTeX written by a model is untrusted input, so it compiles in its own container (no network,
# read-only root, non-root) with TeX's file access locked to the paper folder (see ENV below).
# The image holds TeX Live (base, recommended, extra, fonts, science, biblatex styles), latexmk,
# chktex and poppler-utils (pdftotext, pdfinfo); no Python and no compilers are needed.
set -euo pipefail
# shellcheck source=sandbox/images/rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/../rootfs.sh"
TAG=${1:?usage: build.sh IMAGE_TAG}
PACKAGES=texlive-latex-base,texlive-latex-recommended,texlive-latex-extra,texlive-fonts-recommended,texlive-science,texlive-bibtex-extra,lmodern,latexmk,chktex,poppler-utils,tini

# TeX Live's documentation (most of its size) is never unpacked. The font and format caches
# are built at install time into the read-only root; a compile writes only to /work and /tmp
# (HOME, TEXMFVAR).
# TeX's own file policy (kpathsea): openin_any=p / openout_any=p ("paranoid") refuse absolute
# paths, `..` and hidden files for both reading and writing, so \input{/etc/passwd} fails.
# shell_escape=f turns \write18 off even if a command line asks for it.
build_rootfs_image "$TAG" "$PACKAGES" '/usr/share/texlive/texmf-dist/doc/* /usr/share/texmf/doc/*' -- \
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
  --change 'ENTRYPOINT ["/usr/bin/tini", "--"]'
