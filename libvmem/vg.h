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
#define VG_UNDEFINED(p, n) do { if (VG_ON())\
	(void) VALGRIND_MAKE_MEM_UNDEFINED((p), (n)); } while (0)

/*
 * A pool is also a memcheck "metapool" with one chunk, the whole pool,
 * that frees the blocks inside it when it goes: blocks still live at
 * vmem_delete are freed with the pool, not reported as leaks.  The
 * blocks themselves stay malloc-like (VG_ALLOC), so lost ones are leaks.
 */
#define VG_POOL_CREATE(pool, size) do { if (VG_ON()) {\
	VALGRIND_CREATE_MEMPOOL_EXT((pool), 0, 0,\
		VALGRIND_MEMPOOL_METAPOOL | VALGRIND_MEMPOOL_AUTO_FREE);\
	VALGRIND_MEMPOOL_ALLOC((pool), (pool), (size));\
	(void) VALGRIND_MAKE_MEM_NOACCESS((pool), (size)); } } while (0)
#define VG_POOL_DESTROY(pool) do { if (VG_ON()) {\
	VALGRIND_MEMPOOL_FREE((pool), (pool));\
	VALGRIND_DESTROY_MEMPOOL(pool); } } while (0)

#endif /* VMEM_VG_H */
