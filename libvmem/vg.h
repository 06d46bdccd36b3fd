/*
 * vg.h -- valgrind client requests behind a few macros
 *
 * Pool memory is a file mapping, unknown to memcheck; these tell it which
 * blocks are live so that leaks and overruns inside a pool are reported.
 * On_valgrind is read once at load, so outside valgrind each costs one
 * predictable branch.
 */
#ifndef VMEM_VG_H
#define VMEM_VG_H 1

#include <valgrind/memcheck.h>

extern int On_valgrind;

#define VG_ON() __builtin_expect(On_valgrind, 0)
#define VG_INIT() (On_valgrind = RUNNING_ON_VALGRIND ? 1 : 0)
#define VG_ALLOC(p, n, zeroed) do { if (VG_ON() && (p))\
	VALGRIND_MALLOCLIKE_BLOCK((p), (n), 0, (zeroed)); } while (0)
#define VG_FREE(p) do { if (VG_ON())\
	VALGRIND_FREELIKE_BLOCK((p), 0); } while (0)
#define VG_NOACCESS(p, n) do { if (VG_ON())\
	(void) VALGRIND_MAKE_MEM_NOACCESS((p), (n)); } while (0)
#define VG_UNDEFINED(p, n) do { if (VG_ON())\
	(void) VALGRIND_MAKE_MEM_UNDEFINED((p), (n)); } while (0)

#endif /* VMEM_VG_H */
