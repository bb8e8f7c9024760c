#!/usr/bin/env bash
# The main job (`npm start`, after infra/setup.sh): the stronger offline model, then one quick
# campaign.
#
# Offline (no model configured), ideas and code edits run on Qwen2.5-Coder-1.5B-Instruct, the
# one registry-packaged model that can edit the template's code; the write-up, novelty check
# and reviews stay on SmolLM2-135M, five times faster per token, which keeps the job near 20
# minutes on 2 cores. When the Qwen parts cannot be fetched every role runs on SmolLM2 (the
# job still ends with a PDF, but expect no experiment edit). Any model setting of your own, in
# the environment or the env file, is left exactly as you set it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=infra/lib.sh
source infra/lib.sh


ENV_FILE=${SCIENTIST_ENV_FILE:-scientist.env}
# is_set NAME: the setting has a value in the environment or a line in the env file.
is_set() {
  [ -n "${!1:-}" ] && return 0
  [ -f "$ENV_FILE" ] && grep -Eq "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" "$ENV_FILE"
}

configured=no
for s in DEFAULT IDEATION CODING WRITING REVIEW NOVELTY LOCAL_MODEL; do
  if is_set "SCIENTIST_LLM_$s"; then configured=yes; fi
done

if [ "$configured" = no ]; then
  if timed "offline coder model" node_modules/.bin/tsx infra/offline-model.ts; then
    export SCIENTIST_LLM_IDEATION=local:qwen2.5-coder-1.5b
    export SCIENTIST_LLM_CODING=local:qwen2.5-coder-1.5b
    # The grokking experiment.py alone is ~4 K tokens: the coder needs the larger window.
    is_set SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS || export SCIENTIST_LLM_LOCAL_CONTEXT_TOKENS=8192
    say "models: ideation and coding on qwen2.5-coder-1.5b, writing, novelty and review on smollm2-135m"
  else
    say "models: every role on smollm2-135m (the fallback)"
  fi
  # One paper runs one model call at a time: on an idle machine both cores serve it. llama.cpp's
  # threads spin, so on a busy one (1-minute load of 1 or more) a second thread makes every
  # call slower, not faster (measured: 147 s instead of 57 s for one call at a load of 21).
  if ! is_set SCIENTIST_LLM_LOCAL_THREADS && awk '{ exit !($1 < 1.0) }' /proc/loadavg; then
    export SCIENTIST_LLM_LOCAL_THREADS=2
  fi
fi

exec bin/scientist run --template grokking --quick --fast --local-workers --follow "$@"
