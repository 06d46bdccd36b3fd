/*
 * engine.h -- the private copy of jemalloc inside each library
 *
 * The build renames the public names of jemalloc's PIC archive with a vje_
 * prefix (engine.syms), so neither library exports or clashes with any
 * malloc.  Everything else in the tree reaches the engine through the
 * declarations and helpers here.
 */
#ifndef VMEM_ENGINE_H
#define VMEM_ENGINE_H 1

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

/* the engine's extent hooks structure and the MALLOCX_* flag macros */
#define JEMALLOC_NO_DEMANGLE
#include <jemalloc/jemalloc.h>

/*
 * The engine's MALLOCX_ARENA shifts a signed int: undefined behaviour from
 * arena 2047 on, which a process with that many pools reaches.  The same
 * bits, shifted unsigned.
 */
#undef MALLOCX_ARENA
#define MALLOCX_ARENA(a) ((int)(((unsigned)(a) + 1) << 20))

void *vje_malloc(size_t size);
void vje_free(void *ptr);
void *vje_calloc(size_t n, size_t size);
void *vje_realloc(void *ptr, size_t size);
int vje_posix_memalign(void **memptr, size_t alignment, size_t size);
void *vje_aligned_alloc(size_t alignment, size_t size);
void *vje_memalign(size_t alignment, size_t size);
void *vje_valloc(size_t size);
void *vje_mallocx(size_t size, int flags);
void *vje_rallocx(void *ptr, size_t size, int flags);
size_t vje_xallocx(void *ptr, size_t size, size_t extra, int flags);
size_t vje_sallocx(const void *ptr, int flags);
void vje_dallocx(void *ptr, int flags);
void vje_sdallocx(void *ptr, size_t size, int flags);
size_t vje_nallocx(size_t size, int flags);
int vje_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		size_t newlen);
int vje_mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp);
int vje_mallctlbymib(const size_t *mib, size_t miblen, void *oldp,
		size_t *oldlenp, void *newp, size_t newlen);
void vje_malloc_stats_print(void (*write_cb)(void *, const char *),
		void *cbopaque, const char *opts);
size_t vje_malloc_usable_size(void *ptr);

/* engine_check -- verify the engine runs as the pool code assumes */
int engine_check(void);

/* engine_get -- read a mallctl value of the given size; 0 on success */
int engine_get(const char *name, void *val, size_t len);

/* engine_arena_ctl -- run "arena.<arena>.<what>", optionally setting val */
int engine_arena_ctl(unsigned arena, const char *what, void *val, size_t len);

/* engine_arena_get -- read "stats.arenas.<arena>.<what>" style values */
int engine_arena_get(const char *fmt, unsigned arena, void *val, size_t len);

#endif /* VMEM_ENGINE_H */
