#!/usr/bin/env bash
# The browser and GPU tests need Debian's Chromium (with its SwiftShader Vulkan driver) and the Vulkan loader
# (for Dawn in Node). Installs them when missing and we are root; otherwise says what to install.
set -euo pipefail
missing=()
[ -x "${CHROME_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
# ldconfig is in /sbin, which a normal user's PATH on Debian leaves out. Its list is read whole before grep
# looks (grep -q in a pipe would stop reading at the first match and, under pipefail, fail on ldconfig's SIGPIPE).
libs=$(PATH="$PATH:/usr/sbin:/sbin" ldconfig -p 2>/dev/null || true)
[[ $libs == *libvulkan.so.1* ]] || missing+=(libvulkan1)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (needed by the WebGPU and browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "error: the tests need the Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
