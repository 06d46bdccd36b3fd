/*
 * engine.c -- configuration and sanity checks of the private engine
 *
 * The engine reads its options from several places; the string below,
 * malloc_conf_2_conf_harder under its private name, is read last and so
 * wins over a user's MALLOC_CONF meant for a stock jemalloc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "engine.h"
#include "out.h"

#ifndef ENGINE_CONF
/*
 * Both libraries: one automatic arena (the engine's own, for nothing but
 * its internals), pools on retained virtual memory with the large-extent
 * pad that tells metadata requests from data requests.  Small size
 * classes get 4 shards per pool arena: threads sharing a pool then fill
 * their caches from different slabs, so their blocks do not share cache
 * lines (2 threads on one pool, 8-512 B: 19 -> 14 ns CPU per pair).
 * Freed (dirty) space is reused before untouched space of any size: the
 * engine's default declines dirty extents over 64 times the request, and
 * as freed large blocks coalesce at once, the dirty space grew into one
 * extent too big to reuse while new blocks came from untouched pages
 * (mixed 8 B-1 MiB ring, 1 GiB pool: 790 MiB dirty, RSS 125 MiB; with
 * the limit at 2^20 times: 14 MiB dirty, RSS 22 MiB).
 * At most 32 cached blocks per small size class (default 200): a cache
 * fills half its slots at a time, so a short-lived thread took and gave
 * back up to 100 blocks per class it touched (4,000 threads of 564 calls
 * each: 0.65 s -> 0.48 s, glibc 0.37 s; 8-512 B pairs unchanged).
 */
#define ENGINE_CONF_COMMON "narenas:1,retain:true,"\
	"hpa:false,background_thread:false,bin_shards:1-14336:4,"\
	"lg_extent_max_active_fit:20,tcache_nslots_small_max:32,"\
	"percpu_arena:disabled,muzzy_decay_ms:0,junk:false,zero:false"
#ifdef VMMALLOC
/*
 * The shim: every thread of the program has a cache, none is counted
 * against the pool, and the pool is the whole heap: caches stop at 16 KiB.
 */
#define ENGINE_CONF ENGINE_CONF_COMMON ",tcache_max:16384"
#else
/*
 * libvmem: each pool hands out one cache per 12 MiB (tcache.c), so caches
 * go up to 64 KiB blocks, 4 of each large size: blocks of 16-64 KiB no
 * longer take the pool's arena locks every time (8 B-64 KiB ring with
 * 1 MiB blocks: 1 thread 250 -> 108 ns per pair, 2 threads 460 -> 170).
 * A cache parks at most about 1.8 MiB of small and 1.3 MiB of large
 * blocks, which the per-pool budget allows for, so a home cache is
 * trimmed (garbage-collected) once per GiB a thread allocates instead of
 * every 64 KiB, as explicit caches never are: the trimming cost 10% of
 * the time of 8-512 B pairs (1 thread 11.2 -> 10.3 ns CPU per pair; 2
 * threads on one pool 6.6 -> 5.7 ns wall).
 */
#define ENGINE_CONF ENGINE_CONF_COMMON ",tcache_max:65536,"\
	"tcache_nslots_large:4,tcache_gc_incr_bytes:1073741824"
#endif
#endif

__attribute__((visibility("hidden")))
const char *vje_malloc_conf_2_conf_harder = ENGINE_CONF;

/* engine_get -- read a mallctl value of the given size; 0 on success */
int
engine_get(const char *name, void *val, size_t len)
{
	size_t l = len;
	int ret = vje_mallctl(name, val, &l, NULL, 0);
	if (ret == 0 && l != len)
		ret = EINVAL;
	return ret;
}

/* engine_arena_ctl -- run "arena.<arena>.<what>", optionally setting val */
int
engine_arena_ctl(unsigned arena, const char *what, void *val, size_t len)
{
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.%s", arena, what);
	return vje_mallctl(name, NULL, NULL, val, val ? len : 0);
}

/* engine_arena_get -- read a value whose name has one %u for the arena */
int
engine_arena_get(const char *fmt, unsigned arena, void *val, size_t len)
{
	char name[128];
	snprintf(name, sizeof(name), fmt, arena);
	return engine_get(name, val, len);
}

static extent_hooks_t Arena0_hooks;
static pthread_once_t Arena0_once = PTHREAD_ONCE_INIT;

/*
 * engine_arena0_hooks -- give the engine's own arena a copy of its default
 * extent hooks: the same functions, but not the default pointer, so the
 * engine zeroes recycled memory (each new thread's cache stack) with
 * memset instead of a madvise per thread, with its page faults and TLB
 * shoot-downs (measured: 4,000 short-lived threads 2.98 s -> 0.88 s)
 */
static void
engine_arena0_hooks(void)
{
	extent_hooks_t *h = NULL;
	size_t len = sizeof(h);
	if (vje_mallctl("arena.0.extent_hooks", &h, &len, NULL, 0) != 0 ||
			h == NULL)
		return;
	Arena0_hooks = *h;
	h = &Arena0_hooks;
	(void) vje_mallctl("arena.0.extent_hooks", NULL, NULL, &h, sizeof(h));
}

/* engine_check -- verify the engine runs as the pool code assumes */
int
engine_check(void)
{
	pthread_once(&Arena0_once, engine_arena0_hooks);

	bool retain = false, oblivious = false;
	size_t pad_page = 0;

	if (engine_get("opt.retain", &retain, sizeof(retain)) || !retain) {
		ERR("engine: opt.retain is off; pools need retained extents");
		errno = ENOTSUP;
		return -1;
	}
	/*
	 * Every large extent carries one page of pad, so a data extent is
	 * never a multiple of 2 MiB with 2 MiB alignment; only metadata is.
	 */
	if (engine_get("opt.cache_oblivious", &oblivious, sizeof(oblivious))
	    || !oblivious
	    || engine_get("arenas.page", &pad_page, sizeof(pad_page))
	    || pad_page != 4096) {
		ERR("engine: cache-oblivious pad missing; refusing to run");
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}
