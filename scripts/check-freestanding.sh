#!/usr/bin/env bash
# The portable libraries are freestanding: built with -ffreestanding -nostdlib
# for a bare-metal target, linked into one relocatable object, they may
# reference nothing but the mem*/str* functions the embedder provides.
set -u
build=${1:?usage: check-freestanding.sh BUILD_DIR}
cd "$(dirname "$0")/.."
allowed='^(memcpy|memmove|memset|memcmp|strlen|strcmp|strncmp)$'
status=0
for lib in objstore/libtoy_objstore.a base/libtoy_base.a vm/libtoy_vm.a; do
	if [ ! -f "$build/$lib" ]; then
		# objstore and base are required; vm joins when it exists.
		[ "$lib" = vm/libtoy_vm.a ] && [ ! -d vm ] && continue
		echo "$build/$lib: missing (did the freestanding build fail?)"
		status=1
		continue
	fi
	out="$build/$(basename "$lib" .a).rel.o"
	ld.lld -r --whole-archive "$build/$lib" -o "$out" || { status=1; continue; }
	undefined=$(llvm-nm --undefined-only "$out" | awk '{print $NF}' | grep -vE "$allowed")
	if [ -n "$(echo "$undefined" | grep -v base/ | grep -v '^$')" ]; then
		# References into toy_base are fine: it is freestanding too.
		base_defs=$(llvm-nm --defined-only "$build/base/libtoy_base.a" 2>/dev/null | awk '{print $NF}')
		bad=$(comm -23 <(echo "$undefined" | sort -u) <(echo "$base_defs" | sort -u) | grep -v '^$')
		if [ -n "$bad" ]; then
			echo "$lib ($build) needs symbols a freestanding embedder does not provide:"
			echo "$bad" | sed 's/^/  /'
			status=1
			continue
		fi
	fi
	echo "$lib: freestanding for $(llvm-readelf -h "$out" | awk '/Machine:/{ $1=""; print }')"
done
exit $status
