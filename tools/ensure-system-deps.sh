#!/usr/bin/env bash
# Makes sure the Debian packages that the tests need are installed, installing the missing ones with apt.
# Usage: tools/ensure-system-deps.sh PACKAGE[:BINARY[:ENV_VAR]]...
#   BINARY  the command that proves the package is there (default: PACKAGE)
#   ENV_VAR when set to an executable file, the dependency counts as present (e.g. chromium:chromium:CHROMIUM_PATH)
# apt-get update runs once, and only when something is missing. Without root or apt, it says what to install.
set -euo pipefail

missing=()
for spec in "$@"; do
  IFS=: read -r pkg bin var <<<"$spec"
  bin=${bin:-$pkg}
  if [[ -n ${var:-} && -n ${!var:-} && -x ${!var} ]]; then continue; fi
  if command -v "$bin" >/dev/null 2>&1; then continue; fi
  missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "ensure-system-deps: installing ${missing[*]} (apt-get)" >&2
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-deps: missing ${missing[*]}; install them as root, e.g. 'apt-get update && apt-get install -y ${missing[*]}'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq || ! apt-get install -y -qq "${missing[@]}" >/dev/null; then
  echo "ensure-system-deps: apt-get could not install ${missing[*]} (no network or no such package?)" >&2
  exit 1
fi
