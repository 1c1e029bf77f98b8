#!/usr/bin/env bash
# Refresh the web workbench's Simplified Chinese (zh-Hans) translations.
#
# Run it from anywhere (it goes to the repo root itself) after changing any UI text, that is any
# gettext()/gettext_lazy() string in src/opslens/web/**.py or any {% translate %} /
# {% blocktranslate %} in src/opslens/web/templates:
#
#     bash scripts/i18n.sh
#
# 1. makemessages collects the msgids into src/opslens/web/locale/zh_Hans/LC_MESSAGES/django.po.
#    It merges: existing translations are kept, new strings come with an empty msgstr (or marked
#    "#, fuzzy" with a guess), and strings no longer in the code are dropped (--no-obsolete).
# 2. Fill in the new or fuzzy entries in django.po (and remove their "#, fuzzy" line).
# 3. Run this script again: compilemessages writes django.mo, which is committed because CI and
#    some developer machines have no GNU gettext (msgfmt) to build it.
#
# Needs GNU gettext (msgmerge, xgettext, msgfmt): apt-get install gettext.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
opslens="$root/.venv/bin/opslens"

# `opslens manage` wants a data dir; these commands touch no database, so a throwaway one does.
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
export OPSLENS_DATA_DIR="$data_dir"

cd src/opslens/web
# Run inside the app dir so only our own code is scanned; migrations carry no UI text and
# static/ holds vendored third-party files.
"$opslens" manage makemessages -l zh_Hans --no-location --no-obsolete \
    --ignore 'migrations/*' --ignore 'static/*'
"$opslens" manage compilemessages -l zh_Hans --ignore 'static/*'

po=locale/zh_Hans/LC_MESSAGES/django.po
# e.g. "300 translated messages, 2 fuzzy translations, 5 untranslated messages."
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$po" 2>&1)
echo "i18n: $po: $stats"
case "$stats" in
    *fuzzy* | *untranslated*)
        echo "i18n: fill in the fuzzy/untranslated entries of $po, then run scripts/i18n.sh again" >&2
        ;;
esac
