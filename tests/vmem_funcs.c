/*
 * vmem_funcs.c -- vmem_set_funcs (counting and failing allocators, the
 * print function) and vmem_stats_print (one pool only, option letters)
 *
 * Usage: vmem_funcs [count|fail|print|stats]...  (none: all)
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include <libvmem.h>
#include "tap.h"
#include "testutil.h"

/* MUST -- a precondition: silent when it holds, bail out when not */
#define MUST(expr, ...) do { if (!(expr)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir = "/dev/shm";

/* --- counting and failing allocators --- */

static long Outstanding, Calls;
static long Fail_at = -1;	/* the call that fails; -1 never, 0 all */

/* fails -- whether this call of the allocator is to fail */
static int
fails(void)
{
	long c = __atomic_add_fetch(&Calls, 1, __ATOMIC_SEQ_CST);
	return Fail_at == 0 || c == Fail_at;
}

/* c_malloc -- counting malloc */
static void *
c_malloc(size_t n)
{
	if (fails())
		return NULL;
	void *p = malloc(n);
	if (p)
		__atomic_add_fetch(&Outstanding, 1, __ATOMIC_SEQ_CST);
	return p;
}

/* c_free -- counting free */
static void
c_free(void *p)
{
	if (p)
		__atomic_sub_fetch(&Outstanding, 1, __ATOMIC_SEQ_CST);
	free(p);
}

/* c_realloc -- counting realloc */
static void *
c_realloc(void *p, size_t n)
{
	if (fails())
		return NULL;
	void *r = realloc(p, n);
	if (p == NULL && r != NULL)
		__atomic_add_fetch(&Outstanding, 1, __ATOMIC_SEQ_CST);
	return r;
}

/* c_strdup -- counting strdup */
static char *
c_strdup(const char *s)
{
	if (fails())
		return NULL;
	char *r = strdup(s);
	if (r)
		__atomic_add_fetch(&Outstanding, 1, __ATOMIC_SEQ_CST);
	return r;
}

/* set_counting -- route libvmem's bookkeeping through the counters */
static void
set_counting(long fail_at, void (*print)(const char *))
{
	Fail_at = -1;
	Calls = 0;
	vmem_set_funcs(c_malloc, c_free, c_realloc, c_strdup, print);
	Fail_at = fail_at;
}

enum { NPOOLS = 3, NTHREADS = 4 };
static VMEM *Pools[NPOOLS];

/* count_worker -- use every pool a little */
static void *
count_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg, bad = 0;
	for (int r = 0; r < 100; r++)
		for (int i = 0; i < NPOOLS; i++) {
			char *p = vmem_malloc(Pools[i], 10 + id * 100 +
				(unsigned)r);
			bad += p == NULL;
			vmem_free(Pools[i], p);
		}
	return (void *)bad;
}

/* test_count -- libvmem's own state goes through the functions, balanced */
static void
test_count(void)
{
	long before = Outstanding;
	set_counting(-1, NULL);
	for (int i = 0; i < NPOOLS; i++) {
		Pools[i] = vmem_create(Dir, VMEM_MIN_POOL);
		MUST(Pools[i] != NULL, "pool %d: %s", i, vmem_errormsg());
	}
	CHECK(Calls > 0 && Outstanding > before, "count: pool state goes "
		"through the custom malloc (%ld calls, %ld live)", Calls,
		Outstanding);
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		MUST(pthread_create(&t[i], NULL, count_worker,
			(void *)(uintptr_t)i) == 0, "pthread_create");
	uintptr_t bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (uintptr_t)r;
	}
	CHECK(bad == 0, "count: %d threads used %d pools", NTHREADS, NPOOLS);
	long with_pools = Outstanding;
	/* the main thread uses the pools too: its own table stays */
	for (int i = 0; i < NPOOLS; i++)
		vmem_free(Pools[i], vmem_malloc(Pools[i], 100));
	for (int i = 0; i < NPOOLS; i++)
		vmem_delete(Pools[i]);
	CHECK(Outstanding - before <= 1, "count: after delete and join, %ld "
		"outstanding (<= 1: the main thread's table); %ld with pools",
		Outstanding - before, with_pools - before);
	CHECK(Outstanding - before >= 0, "count: nothing freed twice (%ld)",
		Outstanding - before);

	/* the same again: no growth from cycle to cycle */
	long mid = Outstanding;
	for (int c = 0; c < 50; c++) {
		VMEM *v = vmem_create(Dir, VMEM_MIN_POOL);
		MUST(v != NULL, "cycle %d", c);
		vmem_free(v, vmem_malloc(v, 100));
		vmem_delete(v);
	}
	CHECK(Outstanding == mid, "count: 50 create/use/delete cycles leave "
		"%ld outstanding (%ld before)", Outstanding, mid);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
}

static VMEM *Fail_pool;

/* fail_worker -- a new thread whose table cannot be allocated */
static void *
fail_worker(void *arg)
{
	(void) arg;
	uintptr_t ok = 1;
	for (int i = 0; i < 100; i++) {
		char *p = vmem_malloc(Fail_pool, 100);
		ok &= p != NULL;
		if (p)
			memset(p, 1, 100);
		vmem_free(Fail_pool, p);
	}
	return (void *)ok;
}

/* test_fail -- a failing custom malloc: clean failures, never a crash */
static void
test_fail(void)
{
	int fd0 = dir_entries("/proc/self/fd");
	int map0 = file_lines("/proc/self/maps");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/vmem_funcs.XXXXXX", Dir);
	MUST(mkdtemp(dir) != NULL, "mkdtemp");

	set_counting(0, NULL);	/* every call fails */
	errno = 0;
	VMEM *v = vmem_create(dir, VMEM_MIN_POOL);
	int e = errno;
	CHECK(v == NULL && e == ENOMEM, "fail: vmem_create: NULL, ENOMEM "
		"(%p, %d)", (void *)v, e);
	CHECK(strstr(vmem_errormsg(), "out of memory") != NULL,
		"fail: message \"%s\"", vmem_errormsg());
	char *m = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(m != MAP_FAILED, "mmap");
	errno = 0;
	v = vmem_create_in_region(m, 16 << 20);
	CHECK(v == NULL && errno == ENOMEM,
		"fail: vmem_create_in_region: NULL, ENOMEM");

	/* fail the 1st, 2nd, ... call: each create fails or works, cleanly */
	int worked = 0, failed = 0, unclean = 0;
	for (long k = 1; k <= 6; k++) {
		long before = Outstanding;
		set_counting(k, NULL);
		errno = 0;
		v = vmem_create(dir, VMEM_MIN_POOL);
		if (v == NULL) {
			failed++;
			unclean += errno != ENOMEM;
		} else {
			worked++;
			char *p = vmem_malloc(v, 1000);
			unclean += p == NULL;
			vmem_free(v, p);
			vmem_delete(v);
		}
		/* the main thread's table may be the one thing left */
		unclean += Outstanding - before > 1 || Outstanding < before;
	}
	CHECK(failed > 0 && unclean == 0, "fail: the k-th call failing, k = "
		"1..6: %d creates failed with ENOMEM, %d worked, all clean",
		failed, worked);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	CHECK(dir_entries(dir) == 0, "fail: nothing left in the directory");
	CHECK(dir_entries("/proc/self/fd") == fd0,
		"fail: no descriptor left open");
	if (RUNNING_ON_VALGRIND)
		SKIP("fail: mappings not counted under valgrind (its own vary)");
	else
		CHECK(file_lines("/proc/self/maps") <= map0 + 1,
			"fail: no mapping left behind (only the test's region)");
	munmap(m, 16 << 20);

	/* a live pool, then the allocator fails: threads run uncached */
	Fail_pool = vmem_create(dir, VMEM_MIN_POOL);
	MUST(Fail_pool != NULL, "pool: %s", vmem_errormsg());
	set_counting(0, NULL);
	pthread_t t;
	MUST(pthread_create(&t, NULL, fail_worker, NULL) == 0, "thread");
	void *ok;
	pthread_join(t, &ok);
	CHECK(ok == (void *)1, "fail: a new thread without a table still "
		"allocates from a live pool");
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	vmem_delete(Fail_pool);
	rmdir(dir);
}

/* --- the print function and the statistics --- */

static char *Out;
static size_t Out_len, Out_cap, Out_calls;

/* capture -- print function appending to Out */
static void
capture(const char *s)
{
	size_t n = strlen(s);
	Out_calls++;
	if (Out_len + n + 1 > Out_cap) {
		Out_cap = (Out_len + n + 1) * 2;
		Out = realloc(Out, Out_cap);
		MUST(Out != NULL, "capture buffer");
	}
	memcpy(Out + Out_len, s, n + 1);
	Out_len += n;
}

/* stats -- the statistics of vmp with opts, captured */
static const char *
stats(VMEM *vmp, const char *opts)
{
	Out_len = 0;
	Out_calls = 0;
	if (Out)
		Out[0] = '\0';
	vmem_stats_print(vmp, opts);
	return Out ? Out : "";
}

/* test_print -- print_func gets the statistics; NULL restores stderr */
static void
test_print(void)
{
	VMEM *v = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(v != NULL, "pool");
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);
	const char *s = stats(v, NULL);
	CHECK(Out_calls > 0 && strstr(s, "Begin libvmem statistics") &&
		strstr(s, "End libvmem statistics"),
		"print: print_func receives vmem_stats_print's output (%zu "
		"calls, %zu bytes)", Out_calls, Out_len);

	/* NULL restores the default: stderr */
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	char path[] = "/tmp/vmem_funcs.XXXXXX";
	int fd = mkstemp(path);
	MUST(fd >= 0, "mkstemp");
	unlink(path);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	Out_len = 0;
	vmem_stats_print(v, "gbl");
	dup2(saved, 2);
	close(saved);
	char buf[4096] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	CHECK(n > 0 && strstr(buf, "Begin libvmem statistics") && Out_len == 0,
		"print: NULL print_func restores stderr (%zd bytes there)", n);
	vmem_delete(v);
}

/* test_stats -- that pool only; option letters; JSON shape */
static void
test_stats(void)
{
	VMEM *a = vmem_create(Dir, VMEM_MIN_POOL);
	VMEM *b = vmem_create(Dir, 32 << 20);
	MUST(a && b, "two pools");
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);

	/* a distinctive size class in each pool */
	enum { NA = 7, NB = 11 };
	void *pa[NA], *pb[NB];
	for (int i = 0; i < NA; i++)
		pa[i] = vmem_malloc(a, 1280);	/* bin 1280 */
	for (int i = 0; i < NB; i++)
		pb[i] = vmem_malloc(b, 3584);	/* bin 3584 */
	void *la = vmem_malloc(a, 131072);	/* large, above the cache limit */
	void *lb = vmem_malloc(b, 81920);	/* large 81920 */
	char pa_s[64], pb_s[64];

	char *sa = strdup(stats(a, NULL));
	char *sb = strdup(stats(b, NULL));
	MUST(sa && sb, "strdup");
	/* the pool's range as the statistics print it */
	const char *x = strstr(sa, "pool: ");
	CHECK(x && sscanf(x, "pool: %63[^,]", pa_s) == 1, "stats: A names its "
		"pool (%s)", x ? pa_s : "none");
	x = strstr(sb, "pool: ");
	CHECK(x && sscanf(x, "pool: %63[^,]", pb_s) == 1, "stats: B names its "
		"pool (%s)", x ? pb_s : "none");
	CHECK(strstr(sa, pb_s) == NULL && strstr(sb, pa_s) == NULL,
		"stats: neither names the other's pool");
	CHECK(strstr(sa, "size 14680064") && strstr(sb, "size 33554432"),
		"stats: each shows its own size");
	CHECK(strstr(sa, "1280") != NULL && strstr(sa, "3584") == NULL,
		"stats: A shows its 1280 B bin, not B's 3584 B bin");
	CHECK(strstr(sb, "3584") != NULL && strstr(sb, "1280") == NULL,
		"stats: B shows its 3584 B bin, not A's 1280 B bin");
	CHECK(strstr(sa, "131072") && !strstr(sa, "81920") &&
		strstr(sb, "81920") && !strstr(sb, "131072"),
		"stats: each shows only its own large class");
	const char *arena_a = strstr(sa, "arena "), *arena_b = strstr(sb,
		"arena ");
	unsigned na = 0, nb = 0;
	int got = arena_a && arena_b && sscanf(arena_a, "arena %u", &na) == 1
		&& sscanf(arena_b, "arena %u", &nb) == 1;
	CHECK(got && na != nb, "stats: different arenas (%u, %u)", na, nb);
	CHECK(strstr(sa, "curregs") && strstr(sa, "nmalloc"),
		"stats: bins table present by default");

	/* option letters */
	const char *s = stats(a, "g");
	CHECK(!strstr(s, "pool: ") && !strstr(s, "engine") &&
		strstr(s, "allocated:"), "stats g: no general information");
	s = stats(a, "m");
	CHECK(!strstr(s, "allocated:") && strstr(s, "pool: "),
		"stats m: no merged summary");
	s = stats(a, "a");
	CHECK(!strstr(s, "allocated:") && strstr(s, "pool: "),
		"stats a: no per-arena summary");
	s = stats(a, "b");
	CHECK(!strstr(s, "curregs") && strstr(s, "131072"),
		"stats b: no bins, large still there");
	s = stats(a, "l");
	CHECK(!strstr(s, "curlextents") && strstr(s, "curregs"),
		"stats l: no large classes, bins still there");
	s = stats(a, "gmabl");
	CHECK(strstr(s, "Begin") && !strstr(s, "pool: ") &&
		!strstr(s, "allocated:") && !strstr(s, "curregs") &&
		!strstr(s, "curlextents"), "stats gmabl: only the frame");
	char *def = strdup(stats(a, ""));
	s = stats(a, "xyz!?");
	CHECK(def && strcmp(s, def) == 0, "stats: unknown letters ignored");
	free(def);
	s = stats(a, "J");
	size_t l = strlen(s);
	CHECK(l > 2 && s[0] == '{' && strcmp(s + l - 2, "}\n") == 0 &&
		strchr(s, '\n') == s + l - 1, "stats J: one JSON object on one "
		"line");
	CHECK(strstr(s, "\"bins\"") && strstr(s, "1280") &&
		!strstr(s, "3584"), "stats J: A's bins only");
	s = stats(a, "Jgmabl");
	CHECK(s[0] == '{' && !strstr(s, "\"bins\""), "stats Jgmabl: an "
		"object without the omitted parts");

	/* the summary follows the pool */
	s = stats(a, "gbl");
	unsigned long alloc0 = 0;
	x = strstr(s, "allocated: ");
	got = x && sscanf(x, "allocated: %lu", &alloc0) == 1;
	CHECK(got && alloc0 >= NA * 1280 + 131072, "stats: A's allocated %lu",
		alloc0);
	for (int i = 0; i < NA; i++)
		vmem_free(a, pa[i]);
	vmem_free(a, la);
	s = stats(a, "gbl");
	unsigned long alloc1 = 1;
	x = strstr(s, "allocated: ");
	got = x && sscanf(x, "allocated: %lu", &alloc1) == 1;
	CHECK(got && alloc1 < alloc0, "stats: A's allocated drops after free "
		"(%lu)", alloc1);

	free(sa);
	free(sb);
	for (int i = 0; i < NB; i++)
		vmem_free(b, pb[i]);
	vmem_free(b, lb);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	vmem_delete(a);
	vmem_delete(b);
}

static const struct tap_group Groups[] = {
	{ "count", test_count }, { "fail", test_fail },
	{ "print", test_print }, { "stats", test_stats },
};

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (getenv("TEST_DIR"))
		Dir = getenv("TEST_DIR");
	tap_groups(argc, argv, Groups, sizeof(Groups) / sizeof(Groups[0]));
	free(Out);
	return done_testing();
}
