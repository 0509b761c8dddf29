#!/usr/bin/env bash
# Portable code names no CPU, and the portable libraries include nothing from
# the kernel: the rules of DESIGN.md §1 (rule 5) and STYLE.md (practice 10).
set -u
cd "$(dirname "$0")/.."
status=0
dirs=$(ls -d kernel objstore vm namesvc base include/toy 2>/dev/null)
leaks=$(grep -rnE '__x86_64__|__aarch64__|__amd64__|__i386__|__arm__|__riscv' $dirs 2>/dev/null |
	grep -v '^kernel/include/arch/')
if [ -n "$leaks" ]; then
	echo "arch #ifdefs in portable code (move them behind kernel/include/arch/):"
	echo "$leaks"
	status=1
fi
libs=$(ls -d objstore vm namesvc base 2>/dev/null)
inc=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](kernel|arch)/' $libs 2>/dev/null)
if [ -n "$inc" ]; then
	echo "portable libraries include kernel or arch headers:"
	echo "$inc"
	status=1
fi
[ $status = 0 ] && echo "portable code: no arch #ifdefs, no kernel includes"
exit $status
