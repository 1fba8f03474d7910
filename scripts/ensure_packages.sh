#!/usr/bin/env bash
# Debian packages the project runs with, installed when missing: bubblewrap, the sandbox of the
# workspace's commands (workers need it), and Chromium, which the browser tests drive with
# Playwright (no browser download). `--runtime` installs only what workers need; as a user
# without root or password-less sudo it says what to install and goes on.
set -euo pipefail
wanted=(bwrap:bubblewrap)
if [ "${1:-}" != "--runtime" ]; then wanted+=(chromium:"chromium fonts-dejavu-core"); fi
missing=()
for item in "${wanted[@]}"; do
  command -v "${item%%:*}" >/dev/null 2>&1 || missing+=(${item#*:})
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then as_root=(env);
elif sudo -n true 2>/dev/null; then as_root=(sudo env);
elif [ "${1:-}" = "--runtime" ]; then
  echo "ensure_packages: install ${missing[*]} (sudo apt-get install ${missing[*]}): run_command needs it" >&2
  exit 0
else
  echo "ensure_packages: ${missing[*]} missing, and installing needs root: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "ensure_packages: installing Debian's ${missing[*]}" >&2
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
for item in "${wanted[@]}"; do command -v "${item%%:*}" >/dev/null; done
