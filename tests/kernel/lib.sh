# lib.sh — shared by the QEMU boot tests in tests/kernel (sourced, not run).
#
# The scripts take the architecture as their first argument (x86_64, the
# default, or aarch64). boot LOG SECONDS RUN-ARGS... boots the built kernel
# through arch/$ARCH/run (on aarch64 with QEMU's -kernel unless
# TOY_BOOT=grub) with the serial console in LOG and returns QEMU's exit
# status (124 on timeout). check_boot LOG STATUS fails on a panic line or a
# non-zero status and shows the log. Scratch files go to $WORK.
set -euo pipefail
ARCH=x86_64
case "${1:-}" in
x86_64 | aarch64) ARCH=$1; shift ;;
esac
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP"
WORK=${WORK:-$TOP/build/$ARCH/tests}
mkdir -p "$WORK"
export TOY_STORE=${TOY_STORE:-$TOP/build/host/tools/toy-store/toy-store}
[ -x "$TOY_STORE" ] || TOY_STORE=$TOP/build/release/tools/toy-store/toy-store
ELF=build/$ARCH/arch/$ARCH/toy.elf
[ -f "$ELF" ] || { echo "no kernel: ./toy build $ARCH" >&2; exit 1; }
# RUN...: the runner with the options every boot of this arch takes.
RUN=(arch/$ARCH/run --no-build)
[ "$ARCH" = aarch64 ] && [ "${TOY_BOOT:-}" != grub ] && RUN+=(--direct)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

boot() {
	local log=$1 secs=$2
	shift 2
	rm -f "$log"
	local rc=0
	timeout --kill-after=5 "$secs" "${RUN[@]}" --serial "$log" "$@" \
		</dev/null >/dev/null 2>&1 || rc=$?
	tr -d '\r' <"$log" >"$log.txt" 2>/dev/null || true
	mv -f "$log.txt" "$log" 2>/dev/null || true
	return $rc
}

show_log() {
	echo "--- serial log $1 (last 40 lines) ---" >&2
	tail -n 40 "$1" >&2 || true
	symbolize "$1" >&2
}

# symbolize LOG: names the functions behind the addresses of a panic report.
symbolize() {
	command -v llvm-addr2line >/dev/null || return 0
	local addrs
	addrs=$(grep -oE '(#[0-9]+|at) 0x[0-9a-f]{16}' "$1" | awk '{ print $2 }') || return 0
	[ -n "$addrs" ] || return 0
	echo "--- backtrace symbols ---"
	# shellcheck disable=SC2086
	llvm-addr2line -f -e "$ELF" $addrs | paste - - || true
}

check_boot() {
	local log=$1 rc=$2
	if grep -q 'panic' "$log"; then
		show_log "$log"
		fail "panic on the serial console"
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		show_log "$log"
		fail "timed out"
	fi
	if [ "$rc" != 0 ]; then
		show_log "$log"
		fail "QEMU exited with status $rc"
	fi
}

# field LOG PATTERN KEY: the value of KEY=... on the last line matching PATTERN.
field() {
	grep -E "$2" "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}
