#!/usr/bin/env bash
# Install the Debian packages that a build step needs and this machine lacks.
#   tools/debian-packages.sh base    # Python with venv, make, git, and FreeSerif (TrueType), the
#                                    # font of the charts' printed copies that the notebooks draw:
#                                    # for `make book` and `make test`
#   tools/debian-packages.sh pdf     # XeLaTeX and fonts for `make pdf`; PDF tools for its tests
#   tools/debian-packages.sh epub    # epubcheck (it brings a Java runtime) for `make epub`
#   tools/debian-packages.sh base pdf epub   # everything `make test` needs (.ci/run)
#   tools/debian-packages.sh browser # Chromium and fonts (Latin, Cyrillic) for the browser tests
#   tools/debian-packages.sh node    # Node.js and npm: `npm ci` of package-lock.json (axe-core)
# Nothing is installed when everything is present, so it is cheap to call before every build.
# Runs apt-get as root, or through sudo.
set -euo pipefail

# pdf: the smallest set that builds _build/latex/thesis.pdf (tests/test_pdf.py checks that
# every file and font XeLaTeX reads belongs to these packages or their dependencies):
#   texlive-xetex              XeLaTeX, fontspec, polyglossia (pulls texlive-latex-base)
#   texlive-latex-recommended  Sphinx's LaTeX packages (fancyvrb, float, parskip, ...)
#   texlive-latex-extra        titlesec, tabulary, framed, needspace, capt-of, varwidth, xurl, ...
#   texlive-fonts-recommended  pzdr.tfm, which hyperref loads under XeTeX
#   latexmk                    runs XeLaTeX as often as contents and references need
#   fonts-freefont-otf         FreeSerif, FreeSans, FreeMono: Latin, Cyrillic and Kazakh letters
#   poppler-utils qpdf         pdftotext, pdfinfo, pdffonts, pdfimages; qpdf --json: the tests
# Not needed: texlive-fonts-extra (500 MB; bbm.sty of sphinx-jupyterbook-latex, which this
# book does not use) and texlive-lang-cyrillic (XeLaTeX takes Cyrillic from the fonts).
declare -A GROUPS_=(
  [base]="python3 python3-venv make git fonts-freefont-ttf"
  [pdf]="texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended latexmk fonts-freefont-otf poppler-utils qpdf"
  [epub]="epubcheck"
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
