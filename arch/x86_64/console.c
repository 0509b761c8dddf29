/* console.c (x86_64) — the console on the first 16550 UART (COM1, port
 * 0x3f8), 115200 baud 8N1, polled. QEMU's -serial connects it to the
 * terminal or a file. */
#include <arch/console.h>
#include <arch_ops.h>

#define COM1 0x3f8

void arch_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no UART interrupts */
	outb(COM1 + 3, 0x80); /* DLAB: set the divisor */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8 bits, no parity, one stop bit */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void arch_console_putc(char c)
{
	for (int spins = 0; !(inb(COM1 + 5) & 0x20) && spins < 100000; spins++)
		;
	outb(COM1, (uint8_t)c);
}

int arch_console_getc(void)
{
	if (!(inb(COM1 + 5) & 0x01))
		return -1;
	return inb(COM1);
}
