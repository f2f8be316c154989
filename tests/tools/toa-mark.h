/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toa_mark(): the marker that opens or closes a counting window of the
 * icount plugin (tests/bench-icount/icount.c): `xchg %bx,%bx`, bytes
 * 66 87 db, a no-op that nothing else executes. The clobber keeps the
 * compiler from moving the measured code across it.
 */
#ifndef TOA_MARK_H
#define TOA_MARK_H

static inline void toa_mark(void)
{
#ifdef __x86_64__
	asm volatile("xchg %%bx,%%bx" ::: "memory");
#endif
}

#endif
