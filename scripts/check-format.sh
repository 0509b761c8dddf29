#!/usr/bin/env bash
# Every C source follows the checked-in .clang-format (`./toy fmt` fixes it).
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -z "$files" ] && exit 0
if ! clang-format --dry-run -Werror $files 2>/tmp/toy-format.$$; then
	grep -E '^[^ ].*: (error|warning)' /tmp/toy-format.$$ | cut -d: -f1 | sort -u |
		sed 's|^|needs ./toy fmt: |'
	rm -f /tmp/toy-format.$$
	exit 1
fi
rm -f /tmp/toy-format.$$
echo "$(echo "$files" | wc -l) files formatted"
