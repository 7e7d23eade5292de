#!/usr/bin/env bash
# Install the Debian packages that a build step needs and this machine lacks.
#   tools/debian-packages.sh base    # Python with venv, make, git: for `make book` and `make test`
#   tools/debian-packages.sh browser # Chromium and fonts (Latin, Cyrillic) for the browser tests
#   tools/debian-packages.sh node    # Node.js and npm: `npm ci` of package-lock.json (axe-core)
# Nothing is installed when everything is present, so it is cheap to call before every build.
# Runs apt-get as root, or through sudo.
set -euo pipefail

declare -A GROUPS_=(
  [base]="python3 python3-venv make git"
  [browser]="chromium fonts-dejavu-core"
  [node]="nodejs npm"
)

missing=()
for group in "${@:-base}"; do
  for package in ${GROUPS_[$group]:?unknown package group: $group}; do
    case "$package" in
      python3) command -v python3 >/dev/null 2>&1 || missing+=("$package") ;;
      python3-venv) python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=("$package") ;;
      make|git|npm) command -v "$package" >/dev/null 2>&1 || missing+=("$package") ;;
      nodejs) command -v node >/dev/null 2>&1 || missing+=("$package") ;;
      # Debian's package: tests/test_browser.py drives /usr/bin/chromium, never a downloaded browser
      chromium) test -x /usr/bin/chromium || missing+=("$package") ;;
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
