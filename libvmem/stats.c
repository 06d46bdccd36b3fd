/*
 * stats.c -- human-readable and JSON statistics of one pool
 *
 * The engine's own printer reports every arena of the process; a pool is
 * one arena, so this reads that arena's counters by name and prints them.
 * Option letters follow the engine's: g omits general information, m or a
 * the pool's summary, b the small size classes, l the large ones; J prints
 * one JSON object.  Unknown letters are ignored.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out.h"
#include "stats.h"

struct sbuf {
	char buf[1024];
	size_t len;
};

/* sb_flush -- hand the buffered text to the print function */
static void
sb_flush(struct sbuf *b)
{
	if (b->len > 0) {
		out_write(b->buf);
		b->len = 0;
		b->buf[0] = '\0';
	}
}

/* sb_printf -- append formatted text, flushing full lines */
__attribute__((format(printf, 2, 3)))
static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	if (b->len + n + 1 > sizeof(b->buf))
		sb_flush(b);
	memcpy(b->buf + b->len, line, n + 1);
	b->len += n;
}

/* get_u64 -- read a 64-bit counter of the arena, 0 if unknown */
static uint64_t
get_u64(const char *fmt, unsigned arena)
{
	uint64_t v = 0;
	(void) engine_arena_get(fmt, arena, &v, sizeof(v));
	return v;
}

/* get_zu -- read a size_t value of the arena, 0 if unknown */
static size_t
get_zu(const char *fmt, unsigned arena)
{
	size_t v = 0;
	(void) engine_arena_get(fmt, arena, &v, sizeof(v));
	return v;
}

/* get_idx -- read a value of the arena and size class j */
static int
get_idx(const char *what, unsigned arena, unsigned j, void *v, size_t len)
{
	char name[128];
	snprintf(name, sizeof(name), what, arena, j);
	return engine_get(name, v, len);
}

/* class_size -- size of small class j ("bin") or large class j ("lextent") */
static size_t
class_size(const char *kind, unsigned j)
{
	char name[64];
	size_t v = 0;
	snprintf(name, sizeof(name), "arenas.%s.%u.size", kind, j);
	(void) engine_get(name, &v, sizeof(v));
	return v;
}

struct summary {
	size_t size, allocated_small, allocated_large, active, dirty;
	size_t retained, metadata;
	uint64_t nmalloc_small, ndalloc_small, nmalloc_large, ndalloc_large;
};

/* stats_refresh -- make the engine's counters current */
static void
stats_refresh(void)
{
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	(void) vje_mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch));
}

/* read_summary -- the pool's totals */
static void
read_summary(const struct pool *p, struct summary *s)
{
	unsigned a = p->arena;
	memset(s, 0, sizeof(*s));
	s->size = p->size;
	s->allocated_small = get_zu("stats.arenas.%u.small.allocated", a);
	s->allocated_large = get_zu("stats.arenas.%u.large.allocated", a);
	s->active = get_zu("stats.arenas.%u.pactive", a) * 4096;
	s->dirty = get_zu("stats.arenas.%u.pdirty", a) * 4096;
	s->retained = get_zu("stats.arenas.%u.retained", a);
	s->metadata = get_zu("stats.arenas.%u.base", a);
	s->nmalloc_small = get_u64("stats.arenas.%u.small.nmalloc", a);
	s->ndalloc_small = get_u64("stats.arenas.%u.small.ndalloc", a);
	s->nmalloc_large = get_u64("stats.arenas.%u.large.nmalloc", a);
	s->ndalloc_large = get_u64("stats.arenas.%u.large.ndalloc", a);
}

/* print_bins -- rows of the small size classes in use */
static void
print_bins(struct sbuf *b, unsigned a, int json)
{
	unsigned nbins = 0;
	(void) engine_get("arenas.nbins", &nbins, sizeof(nbins));
	int first = 1;
	if (json)
		sb_printf(b, ",\"bins\":[");
	else
		sb_printf(b, "bins:%12s %10s %12s %12s %10s %8s\n", "size",
			"curregs", "nmalloc", "ndalloc", "curslabs", "nregs");
	for (unsigned j = 0; j < nbins; j++) {
		uint64_t nm = 0, nd = 0;
		size_t cur = 0, slabs = 0;
		uint32_t nregs = 0;
		get_idx("stats.arenas.%u.bins.%u.nmalloc", a, j, &nm,
				sizeof(nm));
		if (nm == 0)
			continue;
		get_idx("stats.arenas.%u.bins.%u.ndalloc", a, j, &nd,
				sizeof(nd));
		get_idx("stats.arenas.%u.bins.%u.curregs", a, j, &cur,
				sizeof(cur));
		get_idx("stats.arenas.%u.bins.%u.curslabs", a, j, &slabs,
				sizeof(slabs));
		char name[64];
		snprintf(name, sizeof(name), "arenas.bin.%u.nregs", j);
		(void) engine_get(name, &nregs, sizeof(nregs));
		size_t sz = class_size("bin", j);
		if (json)
			sb_printf(b, "%s{\"size\":%zu,\"curregs\":%zu,"
				"\"nmalloc\":%" PRIu64 ",\"ndalloc\":%" PRIu64
				",\"curslabs\":%zu,\"nregs\":%u}",
				first ? "" : ",", sz, cur, nm, nd, slabs,
				nregs);
		else
			sb_printf(b, "     %12zu %10zu %12" PRIu64 " %12" PRIu64
				" %10zu %8u\n", sz, cur, nm, nd, slabs, nregs);
		first = 0;
	}
	if (json)
		sb_printf(b, "]");
}

/* print_large -- rows of the large size classes in use */
static void
print_large(struct sbuf *b, unsigned a, int json)
{
	unsigned n = 0;
	(void) engine_get("arenas.nlextents", &n, sizeof(n));
	int first = 1;
	if (json)
		sb_printf(b, ",\"large\":[");
	else
		sb_printf(b, "large:%11s %10s %12s %12s\n", "size", "curlextents",
			"nmalloc", "ndalloc");
	for (unsigned j = 0; j < n; j++) {
		uint64_t nm = 0, nd = 0;
		size_t cur = 0;
		get_idx("stats.arenas.%u.lextents.%u.nmalloc", a, j, &nm,
				sizeof(nm));
		if (nm == 0)
			continue;
		get_idx("stats.arenas.%u.lextents.%u.ndalloc", a, j, &nd,
				sizeof(nd));
		get_idx("stats.arenas.%u.lextents.%u.curlextents", a, j, &cur,
				sizeof(cur));
		size_t sz = class_size("lextent", j);
		if (json)
			sb_printf(b, "%s{\"size\":%zu,\"curlextents\":%zu,"
				"\"nmalloc\":%" PRIu64 ",\"ndalloc\":%" PRIu64
				"}", first ? "" : ",", sz, cur, nm, nd);
		else
			sb_printf(b, "      %11zu %10zu %12" PRIu64 " %12" PRIu64
				"\n", sz, cur, nm, nd);
		first = 0;
	}
	if (json)
		sb_printf(b, "]");
}

/* stats_allocated -- bytes allocated in the pool's arena now */
size_t
stats_allocated(const struct pool *p)
{
	struct summary s;
	stats_refresh();
	read_summary(p, &s);
	return s.allocated_small + s.allocated_large;
}

/* stats_print -- print the pool's statistics through the print function */
void
stats_print(const struct stats_pool *sp, const char *opts)
{
	const struct pool *p = sp->pool;
	int general = !strchr(opts, 'g');
	int summary = !strchr(opts, 'm') && !strchr(opts, 'a');
	int bins = !strchr(opts, 'b');
	int large = !strchr(opts, 'l');
	int json = strchr(opts, 'J') != NULL;
	unsigned a = p->arena;
	stats_refresh();

	struct summary s;
	read_summary(p, &s);
	const char *ver = "";
	(void) engine_get("version", &ver, sizeof(ver));

	struct sbuf b = { .len = 0 };
	b.buf[0] = '\0';
	if (json) {
		sb_printf(&b, "{\"%s\":{\"version\":\"%s\","
			"\"engine\":\"jemalloc %s\"", sp->lib, PACKAGE_VERSION,
			ver);
		if (general)
			sb_printf(&b, ",\"pool\":{\"base\":\"%p\",\"size\":%zu,"
				"\"kind\":\"%s\",\"arena\":%u,\"punch_holes\":%s,"
				"\"thread_caches\":%u,\"thread_caches_max\":%u}",
				(void *)p->base, s.size, sp->kind, a,
				p->punch ? "true" : "false",
				sp->caches, sp->caches_max);
		if (summary)
			sb_printf(&b, ",\"summary\":{\"allocated\":%zu,"
				"\"allocated_small\":%zu,\"allocated_large\":%zu,"
				"\"active\":%zu,\"dirty\":%zu,\"retained\":%zu,"
				"\"metadata\":%zu,\"nmalloc_small\":%" PRIu64
				",\"ndalloc_small\":%" PRIu64 ",\"nmalloc_large\":%"
				PRIu64 ",\"ndalloc_large\":%" PRIu64 "}",
				s.allocated_small + s.allocated_large,
				s.allocated_small, s.allocated_large, s.active,
				s.dirty, s.retained, s.metadata,
				s.nmalloc_small, s.ndalloc_small,
				s.nmalloc_large, s.ndalloc_large);
		if (bins)
			print_bins(&b, a, 1);
		if (large)
			print_large(&b, a, 1);
		sb_printf(&b, "}}\n");
		sb_flush(&b);
		return;
	}
	sb_printf(&b, "___ Begin %s statistics ___\n", sp->lib);
	if (general) {
		sb_printf(&b, "%s %s, engine jemalloc %s\n", sp->lib,
			PACKAGE_VERSION, ver);
		sb_printf(&b, "pool: %p, size %zu, %s, arena %u, hole punching "
			"%s, thread caches %u of %u\n", (void *)p->base,
			s.size, sp->kind, a, p->punch ? "on" : "off",
			sp->caches, sp->caches_max);
	}
	if (summary) {
		sb_printf(&b, "allocated: %zu (small %zu, large %zu)\n",
			s.allocated_small + s.allocated_large,
			s.allocated_small, s.allocated_large);
		sb_printf(&b, "active: %zu, dirty: %zu, retained: %zu, "
			"metadata (in RAM): %zu\n", s.active, s.dirty,
			s.retained, s.metadata);
		sb_printf(&b, "small: nmalloc %" PRIu64 ", ndalloc %" PRIu64
			"; large: nmalloc %" PRIu64 ", ndalloc %" PRIu64 "\n",
			s.nmalloc_small, s.ndalloc_small, s.nmalloc_large,
			s.ndalloc_large);
	}
	if (bins)
		print_bins(&b, a, 0);
	if (large)
		print_large(&b, a, 0);
	sb_printf(&b, "___ End %s statistics ___\n", sp->lib);
	sb_flush(&b);
}
