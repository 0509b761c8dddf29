/* efi.c — the EFI stub: a PE32+ EFI application (built for
 * aarch64-unknown-windows and linked by lld-link) that carries toy.elf
 * and starts it, so GRUB2 arm64-efi can `chainloader` the kernel.
 *
 * Under boot services it finds the devicetree in the configuration table
 * (QEMU virt with acpi=off installs it), turns the load options (GRUB's
 * chainloader arguments, UCS-2) into the ASCII command line of the
 * hand-off, and copies the ELF's loadable segments to the physical
 * addresses they are linked at (allocated there with AllocateAddress).
 * Then it exits boot services, keeps the RAM the memory map calls usable
 * once boot services are gone (loader and boot services memory and free
 * memory, adjacent ranges merged) in the hand-off, cleans the data cache over what it wrote,
 * turns the MMU and caches off and jumps to the ELF entry with the
 * devicetree in x0 and the hand-off in x1: the same state QEMU's -kernel
 * leaves, so start.S has one entry for both. */
#include <stddef.h>
#include <stdint.h>

#include "handoff.h"

typedef uint64_t efi_status;
typedef void *efi_handle;
#define EFI_SUCCESS      0
#define ALLOCATE_ADDRESS 2
#define LOADER_DATA      2

struct efi_guid {
	uint32_t a;
	uint16_t b, c;
	uint8_t d[8];
};

struct efi_text_out {
	void *reset;
	efi_status (*output_string)(struct efi_text_out *self, const uint16_t *s);
};

/* Only the boot services this stub calls, at their table positions. */
struct efi_boot_services {
	uint8_t hdr[24];
	void *raise_tpl, *restore_tpl;
	efi_status (*allocate_pages)(uint32_t type, uint32_t mem, uint64_t pages, uint64_t *addr);
	void *free_pages;
	efi_status (*get_memory_map)(uint64_t *size, void *map, uint64_t *key, uint64_t *dsize,
				     uint32_t *dver);
	efi_status (*allocate_pool)(uint32_t mem, uint64_t size, void **buf);
	void *free_pool, *create_event, *set_timer, *wait_for_event, *signal_event, *close_event,
	    *check_event, *install_protocol, *reinstall_protocol, *uninstall_protocol;
	efi_status (*handle_protocol)(efi_handle h, const struct efi_guid *g, void **iface);
	void *reserved, *register_notify, *locate_handle, *locate_device_path,
	    *install_config_table, *load_image, *start_image, *exit, *unload_image;
	efi_status (*exit_boot_services)(efi_handle h, uint64_t key);
};

struct efi_config_table {
	struct efi_guid guid;
	void *table;
};

struct efi_system_table {
	uint8_t hdr[24];
	void *vendor;
	uint32_t revision;
	void *con_in_handle, *con_in, *con_out_handle;
	struct efi_text_out *con_out;
	void *stderr_handle, *std_err, *runtime;
	struct efi_boot_services *boot;
	uint64_t ntables;
	struct efi_config_table *tables;
};

struct efi_loaded_image {
	uint32_t revision;
	void *parent, *system_table, *device, *file_path, *reserved;
	uint32_t options_size;
	void *options;
};

struct elf_header {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static const struct efi_guid fdt_guid = {
    0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};
static const struct efi_guid loaded_image_guid = {
    0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

extern const uint8_t toy_payload[];
static struct efi_system_table *st;

efi_status efi_main(efi_handle image, struct efi_system_table *systab);
void a64_efi_jump(uint64_t entry, uint64_t dtb, uint64_t handoff);

/* The compiler may call these for struct copies and zeroing loops. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	volatile uint8_t *d = dst;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

static void say(const char *msg)
{
	uint16_t buf[128];
	size_t i = 0;
	for (; msg[i] && i < 125; i++)
		buf[i] = (uint8_t)msg[i];
	buf[i++] = '\r', buf[i++] = '\n', buf[i] = 0;
	st->con_out->output_string(st->con_out, buf);
}

static int guid_eq(const struct efi_guid *x, const struct efi_guid *y)
{
	const uint8_t *a = (const uint8_t *)x, *b = (const uint8_t *)y;
	for (int i = 0; i < 16; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void *find_fdt(void)
{
	for (uint64_t i = 0; i < st->ntables; i++)
		if (guid_eq(&st->tables[i].guid, &fdt_guid))
			return st->tables[i].table;
	return NULL;
}

/* The load options as ASCII, without a leading "*.efi" word if the loader
 * passed the file name too. */
static void copy_cmdline(efi_handle image, struct a64_handoff *h)
{
	struct efi_loaded_image *li = NULL;
	h->cmdline[0] = 0;
	if (st->boot->handle_protocol(image, &loaded_image_guid, (void **)&li) != EFI_SUCCESS ||
	    !li->options)
		return;
	const uint16_t *s = li->options;
	size_t n = li->options_size / 2, o = 0;
	for (size_t i = 0; i < n && s[i] && o < sizeof(h->cmdline) - 1; i++)
		h->cmdline[o++] = s[i] < 128 ? (char)s[i] : '?';
	h->cmdline[o] = 0;
	if (o > 4 && (h->cmdline[0] != 't' || h->cmdline[1] != 'o' || h->cmdline[2] != 'y' ||
		      h->cmdline[3] != '.')) {
		size_t k = 0;
		while (h->cmdline[k] && h->cmdline[k] != ' ')
			k++;
		if (k >= 4 && h->cmdline[k - 4] == '.' && h->cmdline[k - 3] == 'e') {
			while (h->cmdline[k] == ' ')
				k++;
			memcpy(h->cmdline, h->cmdline + k, o - k + 1);
		}
	}
}

static void clean_dcache(uint64_t start, uint64_t len)
{
	for (uint64_t a = start & ~63ull; a < start + len; a += 64)
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

/* Copies the PT_LOAD segments of the payload into one allocation that spans
 * them all. Returns the span's length, or 0 if it cannot be had. */
static uint64_t load_kernel(const struct elf_header *eh, uint64_t *base)
{
	const struct elf_phdr *ph = (const void *)((const uint8_t *)eh + eh->phoff);
	uint64_t lo = ~0ull, hi = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != 1)
			continue;
		lo = ph[i].paddr < lo ? ph[i].paddr : lo;
		hi = ph[i].paddr + ph[i].memsz > hi ? ph[i].paddr + ph[i].memsz : hi;
	}
	lo &= ~0xfffull;
	*base = lo;
	if (hi <= lo || st->boot->allocate_pages(ALLOCATE_ADDRESS, LOADER_DATA,
						 (hi - lo + 0xfff) / 4096, base) != EFI_SUCCESS)
		return 0;
	memset((void *)(uintptr_t)lo, 0, hi - lo);
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == 1)
			memcpy((void *)(uintptr_t)ph[i].paddr, (const uint8_t *)eh + ph[i].offset,
			       ph[i].filesz);
	return hi - lo;
}

struct efi_memory_descriptor {
	uint32_t type, pad;
	uint64_t phys, virt, pages, attr;
};

/* Loader code and data, boot services code and data, conventional. */
static int usable(uint32_t type)
{
	return (type >= 1 && type <= 4) || type == 7;
}

static void add_range(struct a64_handoff *h, uint64_t base, uint64_t len)
{
	if (h->nram && h->ram[h->nram - 1].base + h->ram[h->nram - 1].len == base)
		h->ram[h->nram - 1].len += len;
	else if (h->nram < A64_HANDOFF_RANGES)
		h->ram[h->nram].base = base, h->ram[h->nram++].len = len;
}

/* Exits boot services (retrying if the map changed under us) and keeps the
 * usable RAM of the last map in h. */
static efi_status exit_boot_services(efi_handle image, struct a64_handoff *h)
{
	static uint8_t map[64 * 1024];
	efi_status err = 1;
	uint64_t size = 0, dsize = 0;
	for (int tries = 0; tries < 4 && err != EFI_SUCCESS; tries++) {
		uint64_t key;
		uint32_t dver;
		size = sizeof(map);
		if (st->boot->get_memory_map(&size, map, &key, &dsize, &dver) == EFI_SUCCESS)
			err = st->boot->exit_boot_services(image, key);
	}
	h->nram = 0;
	for (uint64_t off = 0; err == EFI_SUCCESS && dsize && off + dsize <= size; off += dsize) {
		const struct efi_memory_descriptor *d = (const void *)(map + off);
		if (usable(d->type))
			add_range(h, d->phys, d->pages * 4096);
	}
	return err;
}

efi_status efi_main(efi_handle image, struct efi_system_table *systab)
{
	st = systab;
	const struct elf_header *eh = (const void *)toy_payload;
	struct a64_handoff *h = NULL;
	void *fdt = find_fdt();
	uint64_t base, len;
	if (!fdt) {
		say("toy.efi: panic: no devicetree (QEMU virt needs acpi=off)");
		return 1;
	}
	if (st->boot->allocate_pool(LOADER_DATA, sizeof(*h), (void **)&h) != EFI_SUCCESS)
		return 1;
	h->magic = A64_HANDOFF_MAGIC;
	copy_cmdline(image, h);
	len = load_kernel(eh, &base);
	if (!len) {
		say("toy.efi: panic: the kernel's physical range is taken");
		return 1;
	}
	if (exit_boot_services(image, h) != EFI_SUCCESS)
		return 1;
	clean_dcache(base, len);
	clean_dcache((uint64_t)(uintptr_t)h, sizeof(*h));
	a64_efi_jump(eh->entry, (uint64_t)(uintptr_t)fdt, (uint64_t)(uintptr_t)h);
	return 1;
}

/* Interrupts off, MMU and caches off (the code runs identity-mapped, so it
 * continues at the same address), then into the kernel. */
__asm__(".text\n"
	".globl a64_efi_jump\n"
	"a64_efi_jump:\n"
	"	msr daifset, #0xf\n"
	"	mrs x9, sctlr_el1\n"
	"	bic x9, x9, #1\n"         /* M */
	"	bic x9, x9, #(1 << 2)\n"  /* C */
	"	bic x9, x9, #(1 << 12)\n" /* I */
	"	msr sctlr_el1, x9\n"
	"	isb\n"
	"	ic iallu\n"
	"	tlbi vmalle1\n"
	"	dsb nsh\n"
	"	isb\n"
	"	mov x9, x0\n"
	"	mov x0, x1\n"
	"	mov x1, x2\n"
	"	br x9\n");
