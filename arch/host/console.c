/* console.c (host) — the console is stdout (line ends without the
 * carriage returns a serial line wants); there is no input. */
#include <arch/console.h>
#include <stdio.h>

void arch_console_init(void)
{
}

void arch_console_putc(char c)
{
	if (c != '\r')
		putchar(c);
}

int arch_console_getc(void)
{
	return -1;
}
