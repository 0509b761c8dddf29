/* console.c (aarch64) — the console on QEMU virt's PL011 UART at
 * 0x09000000, polled, reached through the direct map. QEMU needs no baud
 * rate setup; the UART is only switched on (it already is under UEFI). */
#include <arch/console.h>
#include <stdint.h>

#include "a64.h"

#define DR   0x00
#define FR   0x18
#define CR   0x30
#define IMSC 0x38
#define TXFF (1u << 5)
#define RXFE (1u << 4)

static volatile uint32_t *reg(unsigned off)
{
	return (volatile uint32_t *)phys(UART_BASE + off);
}

void arch_console_init(void)
{
	*reg(IMSC) = 0;                         /* no UART interrupts */
	*reg(CR) = 1u << 0 | 1u << 8 | 1u << 9; /* UARTEN, TXE, RXE */
}

void arch_console_putc(char c)
{
	for (int spins = 0; (*reg(FR) & TXFF) && spins < 100000; spins++)
		;
	*reg(DR) = (uint8_t)c;
}

int arch_console_getc(void)
{
	if (*reg(FR) & RXFE)
		return -1;
	return (int)(*reg(DR) & 0xff);
}
