#!/bin/sh
# The man page is clean under mandoc's linter and documents every option that
# --help lists, every reason keyword and every exit status the code defines.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd mandoc
top=$TESTS/..
man=$top/man/nix-mount-reap.8

# An empty MANPATH keeps mandoc from checking cross-references against this
# machine's man page index, which is unrelated to the page itself.
lint=$(MANPATH= mandoc -T lint -W warning "$man" 2>&1 | grep -v "outdated mandoc.db")
[ -z "$lint" ] || fail "mandoc -T lint reports: $lint"

# The page escapes hyphens as \-, and mdoc's Fl adds the first one: ".Fl \-wait".
plain=$(sed 's/\\-/-/g' "$man")
missing=
for option in $("$NMR" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	printf '%s\n' "$plain" | grep -q -- "Fl ${option#-}" || missing="$missing $option"
done
[ -z "$missing" ] || fail "options missing from the man page:$missing"

for keyword in $(sed -n 's/^.*= { "\([a-z-]*\)", ".*$/\1/p' "$top/src/reason.c"); do
	printf '%s\n' "$plain" | grep -q -- "$keyword" || missing="$missing $keyword"
done
[ -z "$missing" ] || fail "reason keywords missing from the man page:$missing"

for status in 0 1 2 3 4; do
	printf '%s\n' "$plain" | sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' | grep -q "^\.It $status" ||
		missing="$missing $status"
done
[ -z "$missing" ] || fail "exit statuses missing from EXIT STATUS:$missing"
echo "man page lint-clean; every option, reason keyword and exit status documented"
