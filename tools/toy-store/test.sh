#!/usr/bin/env bash
# test.sh — end-to-end test of toy-store: every command, its error paths, a
# 5 MB binary round trip, holes, replacement, the cleaner, and fsck on clean
# and damaged images. Usage: test.sh PATH/TO/toy-store
set -u
TS=$(realpath "${1:?usage: test.sh PATH/TO/toy-store}")
T=$(mktemp -d "${TMPDIR:-/tmp}/toy-store-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"

passed=0
failed=0
ID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

pass() { passed=$((passed + 1)); }
flunk() {
	failed=$((failed + 1))
	echo "FAIL: $*"
	[ -s err ] && sed 's/^/  stderr: /' err
}

# ok DESC CMD...: CMD must exit 0 (its stdout is kept in ./out).
ok() {
	local desc=$1
	shift
	if "$@" >out 2>err; then pass; else flunk "$desc (exit $?)"; fi
}

# fails DESC STATUS PATTERN CMD...: CMD must exit with STATUS and say PATTERN on stderr.
fails() {
	local desc=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >out 2>err
	rc=$?
	if [ "$rc" != "$want" ]; then
		flunk "$desc: exit $rc, want $want"
	elif ! grep -q -- "$pat" err; then
		flunk "$desc: stderr lacks '$pat'"
	else
		pass
	fi
}

# check DESC TEST...: a plain shell condition.
check() {
	local desc=$1
	shift
	if "$@"; then pass; else flunk "$desc"; fi
}

has() { grep -q -- "$1" out; }

# --- help and usage ----------------------------------------------------------
ok "--help" "$TS" --help
check "--help lists every command" grep -q 'toy-store install IMAGE NAME=FILE' out
ok "-h" "$TS" -h
fails "no arguments" 2 usage "$TS"
fails "unknown command" 2 "unknown command" "$TS" frobnicate img
for c in mkfs put get rm stat ls fsck gc info install; do
	ok "$c --help" "$TS" "$c" --help
	check "$c --help shows usage" has "usage: toy-store $c"
	ok "$c -h" "$TS" "$c" -h
done
fails "mkfs without size" 2 usage "$TS" mkfs img
fails "ls with extra argument" 2 usage "$TS" ls img extra

# --- mkfs ------------------------------------------------------------------
fails "mkfs bad size" 2 "not a size" "$TS" mkfs img 12Q
fails "mkfs negative size" 2 "not a size" "$TS" mkfs img -5M
fails "mkfs size overflow" 2 "not a size" "$TS" mkfs img 99999999999999T
fails "mkfs too small" 2 "too small" "$TS" mkfs img 4K
check "mkfs too small creates nothing" test ! -e img
fails "mkfs in missing directory" 1 "cannot create" "$TS" mkfs nodir/img 64M
ok "mkfs 64M" "$TS" mkfs img 64M
check "image is 64 MiB" test "$(stat -c %s img)" = $((64 << 20))
check "image is sparse" test "$(du -k img | cut -f1)" -lt 16384
ok "mkfs 1M (minimum)" "$TS" mkfs small.img 1M
ok "mkfs 4096K" "$TS" mkfs k.img 4096K
check "4096K is 4 MiB" test "$(stat -c %s k.img)" = $((4 << 20))
ok "mkfs plain bytes" "$TS" mkfs b.img 3000000
ok "fsck fresh image" "$TS" fsck img
ok "ls empty store" "$TS" ls img
check "empty store lists nothing" test ! -s out

# --- images that are not stores ----------------------------------------------
fails "ls missing image" 1 "no such file" "$TS" ls missing.img
fails "put missing image" 1 "no such file" "$TS" put missing.img </dev/null
head -c $((8 << 20)) /dev/urandom >garbage.img
fails "ls garbage image" 1 "not a Toy store" "$TS" ls garbage.img
fails "fsck garbage image" 1 "not a Toy store" "$TS" fsck garbage.img
fails "info garbage image" 1 "not a Toy store" "$TS" info garbage.img
fails "put garbage image" 1 "not a Toy store" "$TS" put garbage.img </dev/null
truncate -s 8M zero.img
fails "fsck zero image" 1 "not a Toy store" "$TS" fsck zero.img
: >empty.img
fails "fsck empty file" 1 "not a Toy store" "$TS" fsck empty.img
head -c 5000 /dev/urandom >tiny.img
fails "fsck tiny file" 1 "not a Toy store" "$TS" fsck tiny.img

# --- put, get, ls, stat ------------------------------------------------------
head -c 5000000 /dev/urandom >big
ok "put 5 MB" "$TS" put img <big
big_id=$(cat out)
check "put prints an ID" grep -qE "$ID_RE" out
ok "get 5 MB" "$TS" get img "$big_id"
check "5 MB round trip" cmp -s out big
ok "stat" "$TS" stat img "$big_id"
check "stat names the ID" has "id      $big_id"
check "stat size" has "size    5000000"
check "stat pages" has "pages   1221 stored, 1221 in size"
check "stat kind" has "kind    0"
ok "ls" "$TS" ls img
check "ls shows ID and size" test "$(cat out)" = "$big_id 5000000"

# Holes: pages of zeros are not stored but read back as zeros.
{ head -c 4096 /dev/zero | tr '\0' A; head -c 8192 /dev/zero; printf 'tail-bytes'; } >holey
ok "put with holes" "$TS" put img <holey
holey_id=$(cat out)
ok "get with holes" "$TS" get img "$holey_id"
check "holes round trip" cmp -s out holey
ok "stat with holes" "$TS" stat img "$holey_id"
check "holes are not stored" has "pages   2 stored, 4 in size"

# Empty object.
ok "put empty" "$TS" put img </dev/null
empty_id=$(cat out)
ok "get empty" "$TS" get img "$empty_id"
check "empty round trip" test ! -s out

# Explicit IDs: create, then replace (smaller, then larger).
my_id=0123abcd-4567-89ab-cdef-0123456789ab
printf 'first version\n' >v1
ok "put with new ID" "$TS" put img "$my_id" <v1
check "put echoes the given ID" test "$(cat out)" = "$my_id"
ok "put uppercase ID" "$TS" put img "0123ABCD-4567-89AB-CDEF-0123456789AB" <v1
check "uppercase ID is the same object" test "$(cat out)" = "$my_id"
ok "replace with 5 MB" "$TS" put img "$my_id" <big
ok "replace with small" "$TS" put img "$my_id" <v1
ok "get replaced" "$TS" get img "$my_id"
check "replaced object has only new contents" cmp -s out v1
ok "ls after puts" "$TS" ls img
check "ls lists 4 objects" test "$(wc -l <out)" = 4
check "ls shows replaced size" has "$my_id 14"
check "ls is sorted" sh -c 'sort out | cmp -s - out'

# --- bad IDs and missing objects ---------------------------------------------
nobody=11111111-2222-4333-8444-555555555555
fails "get bad ID text" 2 "not an object ID" "$TS" get img not-an-id
fails "get truncated ID" 2 "not an object ID" "$TS" get img 0123abcd-4567-89ab-cdef-0123456789a
fails "put bad ID text" 2 "not an object ID" "$TS" put img xyz </dev/null
fails "put nil ID" 2 "nil ID" "$TS" put img 00000000-0000-0000-0000-000000000000 </dev/null
fails "stat bad ID text" 2 "not an object ID" "$TS" stat img 12
fails "rm bad ID text" 2 "not an object ID" "$TS" rm img zz
fails "get nonexistent" 1 "no such object" "$TS" get img "$nobody"
fails "stat nonexistent" 1 "no such object" "$TS" stat img "$nobody"
fails "rm nonexistent" 1 "no such object" "$TS" rm img "$nobody"
fails "get from missing image" 1 "no such file" "$TS" get missing.img "$nobody"

# --- read-only commands leave the image alone --------------------------------
sum=$(md5sum <img)
"$TS" ls img >/dev/null 2>&1
"$TS" stat img "$big_id" >/dev/null 2>&1
"$TS" get img "$big_id" >/dev/null 2>&1
"$TS" info img >/dev/null 2>&1
"$TS" fsck img >/dev/null 2>&1
"$TS" get img "$nobody" >/dev/null 2>&1
check "read-only commands do not write" test "$(md5sum <img)" = "$sum"

# --- rm --------------------------------------------------------------------
ok "rm" "$TS" rm img "$empty_id"
fails "get removed" 1 "no such object" "$TS" get img "$empty_id"
fails "rm twice" 1 "no such object" "$TS" rm img "$empty_id"
ok "ls after rm" "$TS" ls img
check "ls lists 3 objects" test "$(wc -l <out)" = 3
check "removed object is gone from ls" sh -c "! grep -q $empty_id out"

# --- info, gc, fsck ----------------------------------------------------------
ok "info" "$TS" info img
for f in generation checkpoint segments free live; do
	check "info shows $f" has "^$f "
done
check "info counts 3 objects" grep -qE '^objects +3$' out
# Overwrite an object many times so segments fill with dead pages.
head -c $((2 << 20)) /dev/urandom >two
for i in 1 2 3 4 5 6 7 8; do
	"$TS" put img "$my_id" <two >/dev/null 2>err || flunk "overwrite $i"
done
ok "fsck before gc" "$TS" fsck img
check "fsck says clean" has "clean"
ok "gc" "$TS" gc img
check "gc reports cleaning" grep -qE 'cleaned [0-9]+ segments, moved [0-9]+ pages' out
ok "gc again" "$TS" gc img
ok "fsck after gc" "$TS" fsck img
ok "get after gc" "$TS" get img "$my_id"
check "data survives gc" cmp -s out two
ok "get big after gc" "$TS" get img "$big_id"
check "5 MB survives gc" cmp -s out big

# --- the image fills up ------------------------------------------------------
head -c $((3 << 20)) /dev/urandom >three
fails "put larger than the store" 1 "" "$TS" put small.img <three
ok "fsck after failed put" "$TS" fsck small.img
ok "ls after failed put" "$TS" ls small.img
check "failed put left nothing" test ! -s out

# --- a put killed half way leaves the old contents ----------------------------
ok "mkfs for kill" "$TS" mkfs kill.img 32M
ok "put before kill" "$TS" put kill.img "$my_id" <v1
mkfifo fifo
"$TS" put kill.img "$my_id" <fifo >/dev/null 2>&1 &
pid=$!
exec 3>fifo
head -c $((3 << 20)) big >&3 # returns once put has read all but a pipe's worth
sleep 1
kill -9 "$pid"
wait "$pid" 2>/dev/null
exec 3>&-
ok "fsck after killed put" "$TS" fsck kill.img
ok "get after killed put" "$TS" get kill.img "$my_id"
check "killed put left the old contents" cmp -s out v1
ok "put after killed put" "$TS" put kill.img "$my_id" <two
ok "get after recovery" "$TS" get kill.img "$my_id"
check "store works after a killed put" cmp -s out two

# --- damage ------------------------------------------------------------------
ok "mkfs for damage" "$TS" mkfs dmg.img 16M
for i in $(seq 1 200); do printf 'toy-store-damage-marker-%08d' "$i"; done >marked
ok "put marked" "$TS" put dmg.img <marked
marked_id=$(cat out)
ok "fsck before damage" "$TS" fsck dmg.img
off=$(grep -obUa -- "toy-store-damage-marker-00000100" dmg.img | head -1 | cut -d: -f1)
check "marker found in image" test -n "$off"
cp dmg.img sb.img
printf 'X' | dd of=dmg.img bs=1 seek="${off:-0}" conv=notrunc status=none
fails "fsck damaged data page" 1 "dmg.img: " "$TS" fsck dmg.img
dd if=/dev/zero of=sb.img bs=4096 count=2 conv=notrunc status=none
fails "fsck without superblocks" 1 "not a Toy store" "$TS" fsck sb.img

# --- install ------------------------------------------------------------------
# Tiny valid modules: the empty module, and the same with a custom section.
printf '\0asm\1\0\0\0' >m0.wasm
printf '\0asm\1\0\0\0\0\4\3abc' >m1.wasm
printf '\0asm\1\0\0\0\0\4\3xyz' >m2.wasm
printf 'not wasm at all' >bad.wasm
BOOT=00000000-0000-0000-0000-000000000020
M0=847777c1-8aeb-8bbc-bd91-e35b50e08958 # XXH3-128 of m0.wasm, version 8, variant 10
# boot_u32 OFFSET: a little-endian u32 of the boot object in ./boot
boot_u32() { od -An -tu4 -j "$1" -N4 boot | tr -d ' '; }
boot_name() { dd if=boot bs=1 skip=$((16 + 56 * $1 + 16)) count=32 status=none | tr -d '\0'; }
ok "mkfs for install" "$TS" mkfs app.img 8M
ok "install --help" "$TS" install --help
check "install --help explains flags" has "every-boot"
fails "install without modules" 2 usage "$TS" install app.img
fails "install without init" 2 "no init" "$TS" install app.img hello=m1.wasm:start
fails "install bad syntax" 2 "NAME=FILE" "$TS" install app.img init
fails "install empty name" 2 "a name is" "$TS" install app.img =m0.wasm
fails "install long name" 2 "a name is" "$TS" install app.img \
	init=m0.wasm abcdefghijklmnopqrstuvwxyz0123456=m1.wasm
fails "install bad name" 2 "a name is" "$TS" install app.img init=m0.wasm 'a b=m1.wasm'
fails "install duplicate name" 2 "given twice" "$TS" install app.img init=m0.wasm a=m1.wasm a=m2.wasm
fails "install init with flags" 2 "init takes no flags" "$TS" install app.img init=m0.wasm:start
many=(init=m0.wasm)
for i in $(seq 1 64); do many+=("app$i=m1.wasm:start"); done
fails "install 65 modules" 2 "at most 64" "$TS" install app.img "${many[@]}"
sum=$(md5sum <app.img)
fails "install a file that is not wasm" 1 "not a WebAssembly module" \
	"$TS" install app.img init=m0.wasm hello=bad.wasm
fails "install a missing file" 1 "nofile.wasm" "$TS" install app.img init=m0.wasm x=nofile.wasm
fails "install an empty file" 1 "not a WebAssembly module" "$TS" install app.img init=/dev/null
fails "install unknown flag" 1 "m1.wasm:bogus" "$TS" install app.img init=m0.wasm x=m1.wasm:bogus
check "failed installs leave the image alone" test "$(md5sum <app.img)" = "$sum"
fails "install into a missing image" 1 "no such file" "$TS" install missing.img init=m0.wasm
ok "install" "$TS" install app.img hello=m1.wasm:every-boot init=m0.wasm \
	both=m2.wasm:start,every-boot idle=m1.wasm
check "install prints one line per module" test "$(wc -l <out)" = 4
check "install prints init first with its ID" sh -c "head -1 out | grep -q '^init  *$M0  *8 bytes init'"
ok "fsck after install" "$TS" fsck app.img
ok "get boot object" "$TS" get app.img $BOOT
cp out boot
check "boot object size" test "$(stat -c %s boot)" = $((16 + 4 * 56))
check "boot magic" test "$(head -c 8 boot)" = TOYBOOT1
check "boot version and count" test "$(boot_u32 8) $(boot_u32 12)" = "1 4"
check "boot entry 0 is init" test "$(boot_name 0)" = init
check "boot entries keep their order" test "$(boot_name 1) $(boot_name 2) $(boot_name 3)" = "hello both idle"
check "boot flags" test "$(boot_u32 $((16 + 48))) $(boot_u32 $((16 + 56 + 48))) $(boot_u32 $((16 + 112 + 48))) $(boot_u32 $((16 + 168 + 48)))" = "0 2 3 0"
check "boot entry 0 names init's module" test "$(od -An -tx1 -N16 -j16 boot | tr -d ' \n')" = 5889e0505be391bdbc8beb8ac1777784
ok "stat boot object" "$TS" stat app.img $BOOT
check "boot object is kind 8" has "kind    8"
ok "stat module" "$TS" stat app.img $M0
check "module is kind 3" has "kind    3"
ok "get module" "$TS" get app.img $M0
check "module holds the file" cmp -s out m0.wasm
ok "ls after install" "$TS" ls app.img
check "one object per distinct module plus the boot object" test "$(wc -l <out)" = 4
check "module IDs carry version 8" test "$(grep -vc '^00000000-0000-0000-' out)" = "$(grep -cE '^.{14}8' out)"
mkdir -p 'dir:x'
cp m2.wasm 'dir:x/m2.wasm'
ok "reinstall" "$TS" install app.img init=m1.wasm 'other=dir:x/m2.wasm'
ok "get boot object after reinstall" "$TS" get app.img $BOOT
cp out boot
check "reinstall replaces the boot object" test "$(boot_u32 12) $(boot_name 0) $(boot_name 1)" = "2 init other"
check "a path with ':' and no flags" test "$(boot_u32 $((16 + 56 + 48)))" = 0
ok "ls after reinstall" "$TS" ls app.img
check "reinstall keeps the old modules" grep -q "^$M0 8$" out
check "reinstall adds nothing for known modules" test "$(wc -l <out)" = 4
ok "fsck after reinstall" "$TS" fsck app.img

# --- mkfs overwrites ---------------------------------------------------------
ok "mkfs over a store" "$TS" mkfs img 32M
ok "ls after mkfs" "$TS" ls img
check "mkfs emptied the store" test ! -s out
check "mkfs resized the image" test "$(stat -c %s img)" = $((32 << 20))

echo "toy-store test: $passed passed, $failed failed"
[ "$failed" = 0 ]
