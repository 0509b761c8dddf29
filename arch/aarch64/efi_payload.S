/* efi_payload.S — toy.elf inside the EFI stub (efi.c), as toy_payload. */
	.section .rdata, "dr"
	.balign 16
	.globl toy_payload
toy_payload:
	.incbin TOY_ELF
