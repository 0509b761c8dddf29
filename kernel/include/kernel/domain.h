/* kernel/domain.h — domains: WebAssembly programs running in the kernel.
 *
 * A domain is five objects tied together by a domain object (its ID is the
 * domain's ID): the module (the wasm binary, content-addressed and shared),
 * its memory (the linear memory, demand-paged through a page-cache window),
 * its execution state (the vm's snapshot as of the last sync), its
 * capability set, and a swap object the page cache may spill to. Each
 * domain runs in a kernel thread that drives the vm in fuel slices.
 *
 * The kernel's table of domains (reserved ID TOY_ID_DOMAINS) lists the
 * domains that may run again. At boot, domains_boot deletes the ones that
 * have ended, with their objects, and the blobs no remaining domain holds
 * (domain/collect.c), then resumes every running domain from its last
 * synced state; on a store with no table yet, it starts init from the
 * boot object (toy/abi.h) the host wrote into the image. */
#ifndef KERNEL_DOMAIN_H
#define KERNEL_DOMAIN_H

#include <stdint.h>

/* Starts or resumes the domains. Returns how many run, or an error (after
 * logging why). */
int domains_boot(void);

/* Frees the threads and structures of domains that have ended. */
void domains_reap(void);

/* Domains started or resumed since boot, those not yet ended, and those
 * of them parked until the next restart. */
void domains_count(unsigned *started, unsigned *running, unsigned *parked);

#endif
