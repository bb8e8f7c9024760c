# Shell helpers shared by the infra scripts.
say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $* (run as root or install sudo)"; return 1
  fi
}

# timed LABEL CMD...: runs CMD and prints how long it took, so slow steps show up in CI logs.
timed() {
  local label=$1; shift
  local t0=$SECONDS
  if ! "$@"; then say "FAILED: $label"; return 1; fi
  say "$label ready ($((SECONDS - t0)) s)"
}
