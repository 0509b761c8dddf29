# Freestanding aarch64 ELF (the kernel and the portable libraries inside it).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang)
set(CMAKE_ASM_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET aarch64-unknown-elf)
set(CMAKE_ASM_COMPILER_TARGET aarch64-unknown-elf)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# Only the compiler's own freestanding headers (stdint.h, stddef.h, ...) and
# Toy's include/freestanding: never the host's /usr/include.
execute_process(COMMAND clang -print-resource-dir OUTPUT_VARIABLE TOY_CLANG_RESOURCE_DIR
                OUTPUT_STRIP_TRAILING_WHITESPACE)
set(CMAKE_C_FLAGS_INIT "-nostdinc -isystem ${TOY_CLANG_RESOURCE_DIR}/include -ffreestanding -nostdlib -fno-stack-protector -fno-pic")
set(CMAKE_ASM_FLAGS_INIT "-fno-pic")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static")
