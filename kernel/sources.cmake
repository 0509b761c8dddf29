# The portable kernel core, listed once for every arch that links it:
# arch/x86_64 and arch/aarch64 (the kernel image) and arch/host (the core as a Linux program
# for the cmocka tests). Paths are relative to kernel/.
set(TOY_KERNEL_CORE_SOURCES
    clock.c cmdline.c heap.c log.c pagecache.c pmm.c printf.c random.c test.c thread.c vm.c)
# The mem*/str* functions; a hosted build takes its libc's instead.
set(TOY_KERNEL_LIBC_SOURCES string.c)
# The in-kernel tests that need no devices (arch/host runs them too).
set(TOY_KERNEL_CORE_TESTS tests/clock_test.c tests/mem_test.c tests/thread_test.c)
# Domains: capability sets, lifecycle, host calls and WASI (they need the vm).
set(TOY_KERNEL_DOMAIN_SOURCES domain/cap.c domain/collect.c domain/domain.c domain/hostcall.c
                               domain/wasi.c)
# What only a machine with devices links: boot sequence, drivers, store.
set(TOY_KERNEL_MACHINE_SOURCES
    bench.c main.c store.c dev/dev.c dev/pci.c dev/virtio.c dev/virtio_blk.c dev/virtio_rng.c)
file(GLOB TOY_KERNEL_TEST_SOURCES RELATIVE ${CMAKE_SOURCE_DIR}/kernel CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/kernel/tests/*.c)

# Everything a machine kernel image links from kernel/, as full paths.
set(TOY_KERNEL_IMAGE_SOURCES)
foreach(f ${TOY_KERNEL_CORE_SOURCES} ${TOY_KERNEL_LIBC_SOURCES} ${TOY_KERNEL_MACHINE_SOURCES}
          ${TOY_KERNEL_DOMAIN_SOURCES} ${TOY_KERNEL_TEST_SOURCES})
  list(APPEND TOY_KERNEL_IMAGE_SOURCES ${CMAKE_SOURCE_DIR}/kernel/${f})
endforeach()

# arch/host: the kernel's "machine" as a Linux process, relative to arch/host.
file(GLOB TOY_HOST_ARCH_SOURCES RELATIVE ${CMAKE_SOURCE_DIR}/arch/host CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/arch/host/*.c)
# The one file with AVX2 code, run only where the CPU has it (arch/host/arch.c);
# a source property, so set in each directory that includes this file.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set_source_files_properties(${CMAKE_SOURCE_DIR}/arch/host/hash_avx2.c PROPERTIES COMPILE_OPTIONS -mavx2)
endif()
