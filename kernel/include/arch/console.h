/* arch/console.h — the boot console (a UART on real machines, stdout on the
 * host). Polled, usable from any context, including panic. */
#ifndef ARCH_CONSOLE_H
#define ARCH_CONSOLE_H

void arch_console_init(void);
void arch_console_putc(char c);

/* Returns the next input byte, or -1 when none is waiting. */
int arch_console_getc(void);

#endif
