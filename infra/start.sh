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

# idle_percent: the share of CPU time left idle (iowait counted as idle) over the next 2 seconds.
idle_percent() {
  local a b
  a=$(awk '/^cpu /{ print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 2
  b=$(awk '/^cpu /{ print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; print (t > 0 ? int(100 * (y[1] - x[1]) / t) : 0) }'
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
  # threads spin, so on a busy one a second thread makes every call slower, not faster
  # (measured: 147 s instead of 57 s for one call at a load of 21). Busy is measured now, over
  # two seconds: the 1-minute load average still counts the image build that set-up has just
  # finished on a fresh machine, and so kept every first main job on one thread.
  if ! is_set SCIENTIST_LLM_LOCAL_THREADS && [ "$(idle_percent)" -ge 60 ]; then
    export SCIENTIST_LLM_LOCAL_THREADS=2
  fi
  if [ -n "${SCIENTIST_LLM_LOCAL_THREADS:-}" ]; then
    say "local model threads: $SCIENTIST_LLM_LOCAL_THREADS"
  elif is_set SCIENTIST_LLM_LOCAL_THREADS; then
    say "local model threads: as set in $ENV_FILE"
  else
    say "local model threads: 1 (the CPU is busy)"
  fi
fi

exec bin/scientist run --template grokking --quick --fast --local-workers --follow "$@"
