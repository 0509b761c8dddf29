# WebAssembly applications: clang to wasm32-wasi with Debian's wasi-libc
# (headers in /usr/include/wasm32-wasi, libraries in /usr/lib/wasm32-wasi)
# and the wasm32 compiler-rt from libclang-rt-14-dev-wasm32.
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET wasm32-unknown-wasi)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "--sysroot=/usr")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
