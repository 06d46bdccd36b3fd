/*
 * vmem_threads.c -- pools and threads: isolation of several pools used by
 * several threads at once, thousands of short-lived threads that leave
 * nothing behind (no stranded pool memory, no live caches), and pools
 * deleted while other threads' caches still hold their blocks.
 *
 * Usage: vmem_threads [isolation|shortlived|retire] [scale]; scale 1 is the
 * normal workload, smaller values (e.g. 0.05 under valgrind) shrink it.
 */
#include <stdint.h>
#include <unistd.h>

#include <libvmem.h>
#include "tap.h"
#include "testutil.h"

/* MUST -- a precondition: silent when it holds, bail out when not */
#define MUST(expr, ...) do { if (!(expr)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir = "/dev/shm";
static double Scale = 1.0;

/* xorshift -- a small per-thread random generator */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* --- isolation: NP pools x NT threads --- */

#define NP 4
#define NT 4
#define SLOTS 256

static VMEM *Pools[NP];
static uintptr_t Lo[NP], Hi[NP];

struct iso_arg {
	unsigned id;
	unsigned iters;
	unsigned bad_range, bad_data, failed;
};

/* stamp -- the byte pattern of one block: thread, pool, sequence */
static unsigned char
stamp(unsigned t, unsigned p, unsigned seq, size_t i)
{
	return (unsigned char)(t * 31 + p * 7 + seq * 13 + i);
}

/* iso_worker -- allocate, check, free across all pools at random */
static void *
iso_worker(void *arg)
{
	struct iso_arg *a = arg;
	struct { unsigned char *p; size_t n; unsigned pool, seq; } s[SLOTS];
	memset(s, 0, sizeof(s));
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (a->id + 1);
	for (unsigned it = 0; it < a->iters; it++) {
		unsigned k = (unsigned)(xorshift(&rnd) % SLOTS);
		if (s[k].p != NULL) {
			/* verify the whole block before it goes */
			for (size_t i = 0; i < s[k].n; i++)
				if (s[k].p[i] != stamp(a->id, s[k].pool,
						s[k].seq, i)) {
					a->bad_data++;
					break;
				}
			vmem_free(Pools[s[k].pool], s[k].p);
			s[k].p = NULL;
			continue;
		}
		unsigned pool = (unsigned)(xorshift(&rnd) % NP);
		uint64_t r = xorshift(&rnd);
		size_t n = (r & 0xff) == 0 ? 64 * 1024 + r % (256 * 1024) :
			1 + (r >> 8) % 3000;
		unsigned char *p;
		switch (r % 3) {
		case 0: p = vmem_malloc(Pools[pool], n); break;
		case 1: p = vmem_calloc(Pools[pool], 1, n); break;
		default: p = vmem_aligned_alloc(Pools[pool], 64, n); break;
		}
		if (p == NULL) {
			a->failed++;
			continue;
		}
		if ((uintptr_t)p < Lo[pool] || (uintptr_t)p + n > Hi[pool])
			a->bad_range++;
		for (size_t i = 0; i < n; i++)
			p[i] = stamp(a->id, pool, it, i);
		s[k].p = p;
		s[k].n = n;
		s[k].pool = pool;
		s[k].seq = it;
	}
	for (unsigned k = 0; k < SLOTS; k++)
		if (s[k].p != NULL)
			vmem_free(Pools[s[k].pool], s[k].p);
	return NULL;
}

/* test_isolation -- every block inside its own pool, never overwritten */
static void
test_isolation(void)
{
	for (int i = 0; i < NP; i++) {
		Pools[i] = vmem_create(Dir, 32 << 20);
		MUST(Pools[i] != NULL, "pool %d: %s", i, vmem_errormsg());
		void *p = vmem_malloc(Pools[i], 1);
		MUST(p != NULL && map_of(p, &Lo[i], &Hi[i], NULL, 0) == 0,
			"pool %d range", i);
		vmem_free(Pools[i], p);
	}
	int disjoint = 1;
	for (int i = 0; i < NP; i++)
		for (int j = 0; j < i; j++)
			disjoint &= Hi[i] <= Lo[j] || Hi[j] <= Lo[i];
	CHECK(disjoint, "isolation: %d pools on disjoint mappings", NP);

	pthread_t t[NT];
	struct iso_arg a[NT];
	unsigned iters = (unsigned)(40000 * Scale);
	for (int i = 0; i < NT; i++) {
		a[i] = (struct iso_arg){ .id = (unsigned)i, .iters = iters };
		MUST(pthread_create(&t[i], NULL, iso_worker, &a[i]) == 0,
			"pthread_create");
	}
	unsigned bad_range = 0, bad_data = 0, failed = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		bad_range += a[i].bad_range;
		bad_data += a[i].bad_data;
		failed += a[i].failed;
	}
	CHECK(failed == 0, "isolation: %d threads x %u operations, no failed "
		"allocation (%u)", NT, iters, failed);
	CHECK(bad_range == 0, "isolation: every block inside its own pool "
		"(%u outside)", bad_range);
	CHECK(bad_data == 0, "isolation: every block intact before its free "
		"(%u overwritten)", bad_data);
	for (int i = 0; i < NP; i++) {
		CHECK(vmem_check(Pools[i]) == 1, "isolation: pool %d consistent",
			i);
		void *p = vmem_malloc(Pools[i], 24 << 20);
		CHECK(p != NULL, "isolation: pool %d takes 24 MiB afterwards",
			i);
		vmem_free(Pools[i], p);
		vmem_delete(Pools[i]);
	}
}

/* --- short-lived threads --- */

static char Stats[8192];
static size_t Stats_len;

/* capture -- print function collecting the statistics */
static void
capture(const char *s)
{
	size_t n = strlen(s);
	if (Stats_len + n < sizeof(Stats)) {
		memcpy(Stats + Stats_len, s, n + 1);
		Stats_len += n;
	}
}

/* caches -- the pool's live thread caches, read from its statistics */
static int
caches(VMEM *vmp)
{
	Stats_len = 0;
	Stats[0] = '\0';
	vmem_stats_print(vmp, "mbl");
	const char *s = strstr(Stats, "thread caches ");
	unsigned n;
	if (s == NULL || sscanf(s, "thread caches %u", &n) != 1)
		return -1;
	return (int)n;
}

/* count -- fill vmp with size-byte blocks, free them; the count */
static size_t
count(VMEM *vmp, size_t size)
{
	size_t cap = 1 << 16, n = 0;
	void **p = malloc(cap * sizeof(*p));
	MUST(p != NULL, "pointer array");
	for (;;) {
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap * sizeof(*p));
			MUST(p != NULL, "pointer array");
		}
		if ((p[n] = vmem_malloc(vmp, size)) == NULL)
			break;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		vmem_free(vmp, p[i]);
	free(p);
	return n;
}

static VMEM *Short_pool;
static pthread_barrier_t Bar;	/* main + a batch: all hold their blocks */

/* short_worker -- allocate a little, free some of it, exit */
static void *
short_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *p[16];
	for (int i = 0; i < 16; i++) {
		p[i] = vmem_malloc(Short_pool, 16 + ((id + (unsigned)i) % 8) *
			200);
		if (p[i])
			memset(p[i], (int)id, 16);
	}
	void *big = vmem_malloc(Short_pool, 20000);
	vmem_free(Short_pool, big);
	pthread_barrier_wait(&Bar);	/* main looks at the caches now */
	pthread_barrier_wait(&Bar);
	/* free all: what stays in the thread's cache must come back */
	for (int i = 0; i < 16; i++)
		vmem_free(Short_pool, p[i]);
	return p[0] != NULL ? NULL : (void *)1;
}

/* test_shortlived -- thousands of threads strand nothing */
static void
test_shortlived(void)
{
	size_t size = 64 << 20;	/* 8 caches: the workers get their own */
	VMEM *fresh = vmem_create(Dir, size);
	MUST(fresh != NULL, "fresh pool: %s", vmem_errormsg());
	/* under valgrind (small scale) fewer, larger objects */
	size_t small = Scale < 1 ? 1000 : 64;
	size_t n64 = count(fresh, small), n4k = count(fresh, 4000);
	vmem_delete(fresh);

	Short_pool = vmem_create(Dir, size);
	MUST(Short_pool != NULL, "pool: %s", vmem_errormsg());
	int c0 = caches(Short_pool);
	CHECK(c0 == 0, "shortlived: no thread cache before use (%d)", c0);

	unsigned total = (unsigned)(3000 * Scale), batch = 4, failed = 0;
	int peak = 0;
	MUST(pthread_barrier_init(&Bar, NULL, batch + 1) == 0, "barrier");
	for (unsigned done = 0; done < total; done += batch) {
		pthread_t t[4];
		for (unsigned i = 0; i < batch; i++)
			MUST(pthread_create(&t[i], NULL, short_worker,
				(void *)(uintptr_t)(done + i)) == 0,
				"pthread_create %u", done + i);
		pthread_barrier_wait(&Bar);
		int c = caches(Short_pool);
		peak = c > peak ? c : peak;
		pthread_barrier_wait(&Bar);
		for (unsigned i = 0; i < batch; i++) {
			void *r;
			pthread_join(t[i], &r);
			failed += r != NULL;
		}
	}
	CHECK(failed == 0, "shortlived: %u threads allocated", total);
	int c1 = caches(Short_pool);
	CHECK(peak == (int)batch, "shortlived: each of %u live workers held "
		"a cache of its own (%d)", batch, peak);
	CHECK(c1 == c0, "shortlived: thread caches back to %d after %u "
		"threads (now %d, seen %d while running)", c0, total, c1, peak);
	CHECK(vmem_check(Short_pool) == 1, "shortlived: pool consistent");
	size_t m64 = count(Short_pool, small);
	CHECK(m64 == n64, "shortlived: the pool takes as many %zu B blocks as "
		"a fresh one (%zu of %zu)", small, m64, n64);
	size_t m4k = count(Short_pool, 4000);
	CHECK(m4k == n4k, "shortlived: as many 4000 B blocks as a fresh one "
		"(%zu of %zu)", m4k, n4k);
	int c2 = caches(Short_pool);
	CHECK(c2 == 1, "shortlived: the main thread now holds one cache (%d)",
		c2);
	vmem_delete(Short_pool);

	/*
	 * A small pool hands out one cache: threads that find it taken run
	 * uncached, and the pool is whole again after they exit.
	 */
	Short_pool = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(Short_pool != NULL, "small pool: %s", vmem_errormsg());
	size_t s64 = count(Short_pool, small);
	peak = 0;
	for (unsigned done = 0; done < total / 4; done += batch) {
		pthread_t t[4];
		for (unsigned i = 0; i < batch; i++)
			MUST(pthread_create(&t[i], NULL, short_worker,
				(void *)(uintptr_t)i) == 0, "pthread_create");
		pthread_barrier_wait(&Bar);
		int c = caches(Short_pool);
		peak = c > peak ? c : peak;
		pthread_barrier_wait(&Bar);
		for (unsigned i = 0; i < batch; i++)
			pthread_join(t[i], NULL);
	}
	CHECK(peak == 1, "shortlived: a 14 MiB pool hands out one cache, "
		"further threads run uncached (%d)", peak);
	size_t t64 = count(Short_pool, small);
	CHECK(t64 == s64, "shortlived: 14 MiB pool whole after %u threads "
		"(%zu of %zu)", total / 4, t64, s64);
	CHECK(caches(Short_pool) == 1, "shortlived: 14 MiB pool: 1 cache "
		"(the main thread's)");
	vmem_delete(Short_pool);
	pthread_barrier_destroy(&Bar);
}

/* --- a pool deleted while it is another thread's home --- */

enum ret_mode { RET_OTHER_POOL, RET_EXIT };

static VMEM *Ret_pool;
static pthread_barrier_t Ret_bar;	/* main and the worker */

/* map_state -- 'f' file mapping, 'r' inaccessible reservation, 0 none */
static int
map_state(const void *p, uintptr_t *lo, uintptr_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return -1;
	char line[1024];
	int ret = 0;
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		unsigned long a, b, ino;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &a, &b, perms,
				&ino) == 4 && (uintptr_t)p >= a &&
				(uintptr_t)p < b) {
			*lo = a;
			*hi = b;
			ret = ino != 0 ? 'f' : strcmp(perms, "---p") == 0 ?
				'r' : 'o';
		}
	}
	fclose(f);
	return ret;
}

/* ret_worker -- use the pool (blocks stay cached), wait, go on or exit */
static void *
ret_worker(void *arg)
{
	enum ret_mode mode = (enum ret_mode)(uintptr_t)arg;
	int bad = 0;
	void *p[64];
	for (unsigned i = 0; i < 64; i++) {
		p[i] = vmem_malloc(Ret_pool, 16 + i * 8);
		bad |= p[i] == NULL;
		if (p[i])
			memset(p[i], (int)i, 16 + i * 8);
	}
	for (unsigned i = 0; i < 64; i++)
		vmem_free(Ret_pool, p[i]);
	pthread_barrier_wait(&Ret_bar);	/* 1: main deletes the pool */
	pthread_barrier_wait(&Ret_bar);	/* 2: main looked at the maps */
	if (mode == RET_EXIT)
		return (void *)(uintptr_t)bad;
	/* a new pool: the thread lets go of the deleted one, works on */
	VMEM *q = vmem_create(Dir, VMEM_MIN_POOL);
	bad |= q == NULL;
	for (unsigned r = 0; q != NULL && r < 1000; r++) {
		unsigned char *b = vmem_malloc(q, 16 + r % 512);
		if (b == NULL) {
			bad = 1;
			break;
		}
		memset(b, (int)r, 16 + r % 512);
		bad |= b[15 + r % 512] != (unsigned char)r;
		vmem_free(q, b);
	}
	pthread_barrier_wait(&Ret_bar);	/* 3: main looks again */
	pthread_barrier_wait(&Ret_bar);	/* 4 */
	if (q != NULL)
		vmem_delete(q);
	return (void *)(uintptr_t)bad;
}

/* test_retire -- deleting another thread's home pool loses nothing */
static void
test_retire(void)
{
	static const char *const what[] = { "goes on with another pool",
		"exits" };
	MUST(pthread_barrier_init(&Ret_bar, NULL, 2) == 0, "barrier");
	for (int mode = RET_OTHER_POOL; mode <= RET_EXIT; mode++) {
		Ret_pool = vmem_create(Dir, 32 << 20);
		MUST(Ret_pool != NULL, "pool: %s", vmem_errormsg());
		void *probe = vmem_malloc(Ret_pool, 64);
		MUST(probe != NULL, "probe block");
		vmem_free(Ret_pool, probe);
		uintptr_t lo, hi, lo2, hi2;
		int before = map_state(probe, &lo, &hi);
		pthread_t t;
		MUST(pthread_create(&t, NULL, ret_worker,
			(void *)(uintptr_t)mode) == 0, "pthread_create");
		pthread_barrier_wait(&Ret_bar);	/* 1 */
		errno = 0;
		vmem_delete(Ret_pool);
		CHECK(errno == 0, "retire (worker %s): delete succeeds while "
			"the worker's cache holds blocks", what[mode]);
		int during = map_state(probe, &lo2, &hi2);
		CHECK(before == 'f' && during == 'r' && lo2 == lo && hi2 == hi,
			"retire: the pool file is unmapped at delete, its "
			"addresses stay reserved (%c -> %c)", before, during);
		pthread_barrier_wait(&Ret_bar);	/* 2 */
		if (mode == RET_OTHER_POOL) {
			pthread_barrier_wait(&Ret_bar);	/* 3 */
			int after = map_state(probe, &lo2, &hi2);
			CHECK(after != 'r' || lo2 != lo || hi2 != hi,
				"retire: the worker's next pool lets go of the "
				"deleted one (%c)", after ? after : '-');
			pthread_barrier_wait(&Ret_bar);	/* 4 */
		}
		void *r;
		pthread_join(t, &r);
		CHECK(r == NULL, "retire: the worker %s without a failure",
			what[mode]);
		int end = map_state(probe, &lo2, &hi2);
		CHECK(end != 'r' || lo2 != lo || hi2 != hi,
			"retire: nothing of the deleted pool is left after the "
			"worker %s (%c)", what[mode], end ? end : '-');
	}
	/* the deleting thread's own home goes at once */
	Ret_pool = vmem_create(Dir, 32 << 20);
	MUST(Ret_pool != NULL, "pool: %s", vmem_errormsg());
	void *probe = vmem_malloc(Ret_pool, 64);
	MUST(probe != NULL, "probe block");
	vmem_free(Ret_pool, probe);
	vmem_delete(Ret_pool);
	uintptr_t lo, hi;
	CHECK(map_state(probe, &lo, &hi) != 'f', "retire: a pool deleted by "
		"its only user is unmapped at once");
	pthread_barrier_destroy(&Ret_bar);
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (getenv("TEST_DIR"))
		Dir = getenv("TEST_DIR");
	if (argc > 2)
		Scale = atof(argv[2]);
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);
	const char *what = argc > 1 ? argv[1] : "all";
	if (strcmp(what, "all") == 0 || strcmp(what, "isolation") == 0)
		test_isolation();
	if (strcmp(what, "all") == 0 || strcmp(what, "shortlived") == 0)
		test_shortlived();
	if (strcmp(what, "all") == 0 || strcmp(what, "retire") == 0)
		test_retire();
	return done_testing();
}
