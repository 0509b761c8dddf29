# domains-lib.sh — shared by the domain tests (sourced, not run). ARCH is
# x86_64, aarch64 or host; boots go through the QEMU runners (lib.sh) or
# through toy-host. Provides make_disk, dboot, check_log, expect and the
# ticker/counter checks.
set -euo pipefail
case "$ARCH" in
x86_64 | aarch64) . "$TOP/tests/kernel/lib.sh" "$ARCH" ;;
host)
	cd "$TOP"
	WORK=${WORK:-$TOP/build/host/tests}
	mkdir -p "$WORK"
	export TOY_STORE=${TOY_STORE:-$TOP/build/host/tools/toy-store/toy-store}
	TOY_HOST=${TOY_HOST:-$TOP/build/host/tools/toy-host/toy-host}
	fail() {
		echo "FAIL: $*" >&2
		exit 1
	}
	show_log() {
		echo "--- log $1 (last 40 lines) ---" >&2
		tail -n 40 "$1" >&2 || true
	}
	;;
*)
	echo "usage: $0 [x86_64|aarch64|host]" >&2
	exit 2
	;;
esac

APPS_DIR=${TOY_APPS:-$TOP/build/host/user/apps}
[ -f "$APPS_DIR/init.wasm" ] || APPS_DIR=$TOP/build/release/user/apps
[ -f "$APPS_DIR/init.wasm" ] || { echo "no apps: ./toy build host" >&2; exit 1; }
DEMO_APPS="init hello:every-boot counter:start ticker:start intruder:start mapper:start"
INTRUDER_TALLY='100728 refused, 10 allowed' # user/apps/intruder.c says why
RUN_SECS=${RUN_SECS:-6}
# Seconds a boot may take beyond its toy.run time (QEMU start, TCG).
BOOT_SLACK=20
[ "$ARCH" = host ] && BOOT_SLACK=10
# Seconds from launch to the kernel's first line, roughly (for power cuts).
case "$ARCH" in
host) CUT_SLACK=0 ;;
x86_64) CUT_SLACK=1 ;;
aarch64) CUT_SLACK=2 ;;
esac

# make_disk IMAGE "NAME[:FLAGS]..." [MIB]: a fresh store with those apps.
make_disk() {
	local img=$1 mib=${3:-64} a args=()
	rm -f "$img"
	"$TOY_STORE" mkfs "$img" "${mib}M" >/dev/null
	for a in $2; do
		args+=("${a%%:*}=$APPS_DIR/${a%%:*}.wasm${a#"${a%%:*}"}")
	done
	"$TOY_STORE" install "$img" "${args[@]}" >/dev/null
}

# dboot LOG SECONDS IMAGE CMDLINE [QEMU-ARGS...]: boots, console to LOG;
# returns the exit status (124 when SECONDS ran out and it was killed).
dboot() {
	local log=$1 secs=$2 img=$3 cmdline=$4
	shift 4
	if [ "$ARCH" = host ]; then
		local rc=0
		timeout --kill-after=2 -s KILL "$secs" "$TOY_HOST" --cmdline "$cmdline" "$img" \
			>"$log" 2>&1 </dev/null || rc=$?
		[ "$rc" = 137 ] && rc=124
		return $rc
	fi
	boot "$log" "$secs" --disk "$img" --cmdline "$cmdline" "$@"
}

# check_log LOG STATUS: no panic, trap, corruption or unexpected success,
# and a clean power-off.
check_log() {
	local log=$1 rc=$2
	if grep -qE 'panic|trap:|CORRUPT|UNEXPECTED|cannot start|FAIL| error: ' "$log"; then
		show_log "$log"
		fail "$(grep -m1 -E 'panic|trap:|CORRUPT|UNEXPECTED|cannot start|FAIL| error: ' "$log")"
	fi
	[ "$rc" = 0 ] || { show_log "$log"; fail "exit status $rc"; }
	grep -q '^toy: power off (unmount: success)' "$log" || { show_log "$log"; fail "no clean power-off"; }
}

expect() {
	grep -qE "$2" "$1" || { show_log "$1"; fail "no line matching '$2' in $1"; }
}

# check_hello_date LOG: hello's date, the machine's real-time clock, is
# the host's time give or take five minutes (a boot takes seconds).
check_hello_date() {
	local date secs now
	date=$(sed -n 's/^hello: it is \(.*\) UTC$/\1/p' "$1" | tail -1)
	[ -n "$date" ] || { show_log "$1"; fail "hello printed no date"; }
	secs=$(date -u -d "$date" +%s) || fail "hello's date '$date' does not parse"
	now=$(date -u +%s)
	[ $((secs - now)) -lt 300 ] && [ $((now - secs)) -lt 300 ] ||
		fail "hello says it is $date UTC; the host says $(date -u '+%F %T')"
}

first_step() {
	grep -m1 '^ticker: step' "$1" | awk '{ print $3 }'
}

# check_ticker_resumed BEFORE AFTER: AFTER's first step follows a sync that
# BEFORE's run committed: the last one it printed, or the next one (a cut
# can fall between a commit and its line).
check_ticker_resumed() {
	local synced first last every=5
	synced=$(grep '^ticker: synced step' "$1" | tail -1 | awk '{ print $4 }')
	last=$(grep '^ticker: step' "$1" | tail -1 | awk '{ print $3 }')
	first=$(first_step "$2")
	[ -n "$synced" ] && [ -n "$first" ] || { show_log "$2"; fail "ticker did not run (synced '$synced', first '$first')"; }
	if [ "$first" = $((synced + 1)) ]; then return 0; fi
	if [ "$first" = $((synced + every + 1)) ] && [ "$last" -ge $((synced + every)) ]; then return 0; fi
	show_log "$2"
	fail "ticker resumed at step $first; last synced step was $synced (last step run $last)"
}

# check_counter_next BEFORE AFTER [SKIP [APP]]: AFTER printed BEFORE's last
# count + 1 (or + 2 with SKIP=1: a cut boot in between may have counted
# without getting to print). APP is counter (default) or mapper.
check_counter_next() {
	local a b skip=${3:-0} app=${4:-counter}
	a=$(grep "^$app: [0-9]" "$1" | tail -1 | awk '{ print $2 }')
	b=$(grep "^$app: [0-9]" "$2" | tail -1 | awk '{ print $2 }')
	[ -n "$a" ] && [ -n "$b" ] || { show_log "$2"; fail "$app went from '$a' to '$b'"; }
	[ "$b" = $((a + 1)) ] || { [ "$skip" = 1 ] && [ "$b" = $((a + 2)) ]; } ||
		{ show_log "$2"; fail "$app went from '$a' to '$b'"; }
}
