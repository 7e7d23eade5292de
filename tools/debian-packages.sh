#!/usr/bin/env bash
# Install the Debian packages that a build step needs and this machine lacks.
#   tools/debian-packages.sh base    # Python with venv, make, git: for `make book` and `make test`
# Nothing is installed when everything is present, so it is cheap to call before every build.
# Runs apt-get as root, or through sudo.
set -euo pipefail

declare -A GROUPS_=(
  [base]="python3 python3-venv make git"
)

missing=()
for group in "${@:-base}"; do
  for package in ${GROUPS_[$group]:?unknown package group: $group}; do
    case "$package" in
      python3) command -v python3 >/dev/null 2>&1 || missing+=("$package") ;;
      python3-venv) python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=("$package") ;;
      make|git) command -v "$package" >/dev/null 2>&1 || missing+=("$package") ;;
      *) dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package") ;;
    esac
  done
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
