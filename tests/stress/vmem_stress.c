/*
 * vmem_stress.c -- pools x threads x random operations, every block
 * checked: its pattern is verified before it is freed or moved, every
 * pointer must lie inside its own pool's mapping, other pools must refuse
 * it
 *
 * Usage: vmem_stress MODE [-p pools] [-t threads] [-n ops per thread]
 *        [-s seconds] [-c cycles] [-z pool size] [-S seed]
 *   ops     threads doing malloc, calloc, realloc, aligned_alloc, strdup,
 *           free and cross-thread frees (a shared queue) on shared pools
 *   churn   rounds of short-lived threads on shared pools: no cache, no
 *           memory and no mapping is left behind
 *   cycles  create/delete cycles (pools deleted with live blocks and with
 *           caches of other threads) beside a worker on a long-lived
 *           pool: fds and mappings flat, address-space growth reported
 * TEST_DIR names the pool directory (default /dev/shm).  Prints TAP.  A
 * watchdog ends a run that does not finish (deadlock) with a failure.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>

#include <valgrind/drd.h>

#include "../tap.h"
#include "common.h"

#define MAX_REPORTS 20
#define LIVE_MAX 512
#define QUEUE_CAP 4096

struct spool {
	VMEM *vmp;
	uintptr_t lo, hi;	/* the pool's memory */
	long long allocated0;	/* allocated when new (valgrind keeps 8) */
};

struct blk {
	char *p;
	size_t n;
	uint64_t tag;
	unsigned pool;
	int str;		/* a string from vmem_strdup */
};

static struct spool *Pools;
static unsigned Npools = 4, Nthreads = 4;
static unsigned long Nops = 200000;
static double Seconds = 10;
static unsigned long Ncycles = 2000;
static size_t Pool_size = (size_t)32 << 20;
static uint64_t Seed;
static int Stop;	/* atomic: set by main, read by the workers */
#define STOP() __atomic_load_n(&Stop, __ATOMIC_RELAXED)
static size_t Budget;	/* live bytes per thread */

/* counters, updated atomically */
static unsigned long C_ops, C_corrupt, C_range, C_api, C_enomem, C_xfree,
	C_foreign;
static uint64_t Next_tag;

static pthread_mutex_t Q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blk Queue[QUEUE_CAP];
static unsigned Q_head, Q_len;

/* MUST -- bail out (one TAP point) only when cond is false */
#define MUST(cond, ...) do { if (!(cond)) REQUIRE(0, __VA_ARGS__); } while (0)

#define ADD(c, v) __atomic_fetch_add(&(c), (v), __ATOMIC_RELAXED)
#define GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

/* report -- one failure: count it, describe the first few */
__attribute__((format(printf, 2, 3)))
static void
report(unsigned long *counter, const char *fmt, ...)
{
	static unsigned long printed;
	ADD(*counter, 1);
	if (ADD(printed, 1) >= MAX_REPORTS)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	DIAG("%s", msg);
}

/* str_fill -- the string pattern of tag: n - 1 letters and a NUL */
static void
str_fill(char *p, size_t n, uint64_t tag)
{
	for (size_t i = 0; i + 1 < n; i++)
		p[i] = (char)('a' + pat_word(tag, i) % 26);
	if (n)
		p[n - 1] = '\0';
}

/*
 * str_check -- offset of the first wrong byte of a string block, or n;
 * whole: the block ends with its NUL (else only the letters are checked)
 */
static size_t
str_check(const char *p, size_t n, uint64_t tag, int whole)
{
	size_t letters = whole && n ? n - 1 : n;
	for (size_t i = 0; i < letters; i++)
		if (p[i] != (char)('a' + pat_word(tag, i) % 26))
			return i;
	if (whole && n && p[n - 1] != '\0')
		return n - 1;
	return n;
}

/* verify -- whether b still holds its pattern (reports if not) */
static int
verify(const struct blk *b, const char *when)
{
	size_t off = b->str ? str_check(b->p, b->n, b->tag, 1) :
		pat_check(b->p, b->n, b->tag);
	if (off == b->n)
		return 1;
	report(&C_corrupt, "CORRUPT block %p size %zu pool %u tag %llu: "
		"byte %zu wrong (%s)", (void *)b->p, b->n, b->pool,
		(unsigned long long)b->tag, off, when);
	return 0;
}

/* check_new -- a new block: in its pool, aligned, usable, not foreign */
static void
check_new(const struct blk *b, size_t align, uint64_t *rs, const char *what)
{
	const struct spool *sp = &Pools[b->pool];
	uintptr_t a = (uintptr_t)b->p;
	size_t n = b->n ? b->n : 1;
	if (a < sp->lo || a > sp->hi || n > sp->hi - a)
		report(&C_range, "RANGE %s: %p + %zu outside pool %u "
			"[%#lx, %#lx)", what, (void *)b->p, b->n, b->pool,
			(unsigned long)sp->lo, (unsigned long)sp->hi);
	if (align > 1 && a % align != 0)
		report(&C_api, "%s: %p not aligned to %zu", what,
			(void *)b->p, align);
	if ((rnd(rs) & 15) == 0) {
		size_t u = vmem_malloc_usable_size(sp->vmp, b->p);
		if (u < b->n)
			report(&C_api, "%s: usable size %zu < %zu", what, u,
				b->n);
		if (Npools > 1) {
			unsigned o = (b->pool + 1 +
				(unsigned)(rnd(rs) % (Npools - 1))) % Npools;
			errno = 0;
			u = vmem_malloc_usable_size(Pools[o].vmp, b->p);
			if (u != 0 || errno != EINVAL)
				report(&C_range, "%s: pool %u claims %p of pool "
					"%u (usable %zu, errno %d)", what, o,
					(void *)b->p, b->pool, u, errno);
		}
	}
}

/* pick_size -- mostly small, some medium, a few large (up to 4 MiB) */
static size_t
pick_size(uint64_t *rs)
{
	unsigned r = (unsigned)(rnd(rs) % 1000);
	if (r < 600)
		return rnd(rs) % 129;
	if (r < 850)
		return 129 + rnd(rs) % 3968;
	if (r < 960)
		return 4097 + rnd(rs) % 61440;
	if (r < 995)
		return 65537 + rnd(rs) % ((1 << 20) - 65536);
	return ((size_t)1 << 20) + rnd(rs) % ((size_t)3 << 20);
}

struct wctx {
	uint64_t rs;
	unsigned long nops;	/* 0: until Stop */
	struct blk live[LIVE_MAX];
	unsigned nlive;
	size_t bytes;
	int keep;		/* leave live blocks in the queue at the end */
};

/* failed -- an allocation returned NULL: ENOMEM is fine, anything else not */
static int
failed(const char *what, size_t n)
{
	if (errno == ENOMEM) {
		ADD(C_enomem, 1);
		return 1;
	}
	report(&C_api, "%s(%zu): NULL with errno %d (%s): %s", what, n, errno,
		strerror(errno), vmem_errormsg());
	return 0;
}

/* drop -- forget live block i of w */
static void
drop(struct wctx *w, unsigned i)
{
	w->bytes -= w->live[i].n;
	w->live[i] = w->live[--w->nlive];
}

/* free_blk -- verify and free b (sometimes first through a wrong pool) */
static void
free_blk(const struct blk *b, uint64_t *rs)
{
	verify(b, "before free");
	if (Npools > 1 && (rnd(rs) & 63) == 0) {
		unsigned o = (b->pool + 1) % Npools;
		errno = 0;
		vmem_free(Pools[o].vmp, b->p);
		if (errno != EINVAL)
			report(&C_range, "vmem_free of %p through pool %u: "
				"errno %d, not EINVAL", (void *)b->p, o, errno);
		ADD(C_foreign, 1);
		verify(b, "after a refused foreign free");
	}
	vmem_free(Pools[b->pool].vmp, b->p);
}

/* shed -- free about a quarter of w's blocks (after ENOMEM) */
static void
shed(struct wctx *w)
{
	for (unsigned k = w->nlive / 4 + 1; k > 0 && w->nlive > 0; k--) {
		unsigned i = (unsigned)(rnd(&w->rs) % w->nlive);
		free_blk(&w->live[i], &w->rs);
		drop(w, i);
	}
}

/* q_push -- hand b to any thread; 0 when the queue is full */
static int
q_push(const struct blk *b)
{
	int ok = 0;
	pthread_mutex_lock(&Q_lock);
	if (Q_len < QUEUE_CAP) {
		Queue[(Q_head + Q_len++) % QUEUE_CAP] = *b;
		ok = 1;
	}
	pthread_mutex_unlock(&Q_lock);
	return ok;
}

/* q_pop -- take a block another thread handed over; 0 when empty */
static int
q_pop(struct blk *b)
{
	int ok = 0;
	pthread_mutex_lock(&Q_lock);
	if (Q_len > 0) {
		*b = Queue[Q_head];
		Q_head = (Q_head + 1) % QUEUE_CAP;
		Q_len--;
		ok = 1;
	}
	pthread_mutex_unlock(&Q_lock);
	return ok;
}

/* op_alloc -- one allocation of a random kind */
static void
op_alloc(struct wctx *w)
{
	struct blk b = { .pool = (unsigned)(rnd(&w->rs) % Npools) };
	VMEM *vmp = Pools[b.pool].vmp;
	size_t n = pick_size(&w->rs), align = 0;
	if (w->bytes + n > Budget)
		n = rnd(&w->rs) % 256;
	b.tag = ADD(Next_tag, 1);
	unsigned kind = (unsigned)(rnd(&w->rs) % 100);
	const char *what;
	errno = 0;
	if (kind < 45) {
		what = "vmem_malloc";
		b.p = vmem_malloc(vmp, n);
	} else if (kind < 60) {
		what = "vmem_calloc";
		size_t m = 1 + rnd(&w->rs) % 8;
		n = n / m;
		b.p = vmem_calloc(vmp, m, n);
		n *= m;
		if (b.p != NULL && !is_zero(b.p, n))
			report(&C_api, "vmem_calloc(%zu): block %p not zero",
				n, (void *)b.p);
	} else if (kind < 80) {
		what = "vmem_aligned_alloc";
		if (Pool_size >= ((size_t)32 << 20) && rnd(&w->rs) % 50 == 0 &&
				w->bytes + ((size_t)4 << 20) <= Budget) {
			/* the shape of the engine's metadata requests */
			align = (size_t)2 << 20;
			n = align * (1 + rnd(&w->rs) % 2);
		} else {
			align = (size_t)1 << (rnd(&w->rs) % 14);
		}
		b.p = vmem_aligned_alloc(vmp, align, n);
	} else if (kind < 90) {
		what = "vmem_strdup";
		n = 1 + n % 300;
		char tmp[301];
		str_fill(tmp, n, b.tag);
		b.p = vmem_strdup(vmp, tmp);
		b.str = 1;
	} else {
		what = "vmem_realloc(NULL)";
		b.p = vmem_realloc(vmp, NULL, n);
	}
	b.n = n;
	if (b.p == NULL) {
		if (failed(what, n))
			shed(w);
		return;
	}
	check_new(&b, align, &w->rs, what);
	if (!b.str)
		pat_fill(b.p, n, b.tag);
	w->live[w->nlive++] = b;
	w->bytes += n;
}

/* op_realloc -- grow or shrink a live block, its prefix kept */
static void
op_realloc(struct wctx *w)
{
	unsigned i = (unsigned)(rnd(&w->rs) % w->nlive);
	struct blk *b = &w->live[i];
	if (!verify(b, "before realloc")) {
		drop(w, i);	/* leak it: do not free a corrupt block */
		return;
	}
	VMEM *vmp = Pools[b->pool].vmp;
	if (rnd(&w->rs) % 64 == 0) {
		errno = 0;
		if (vmem_realloc(vmp, b->p, 0) != NULL)
			report(&C_api, "vmem_realloc(%p, 0) != NULL",
				(void *)b->p);
		drop(w, i);
		return;
	}
	size_t n = pick_size(&w->rs);
	if (w->bytes + n > Budget)
		n = rnd(&w->rs) % 256;
	n += n == 0;	/* realloc to 0 frees: done above */
	errno = 0;
	char *q = vmem_realloc(vmp, b->p, n);
	if (q == NULL) {
		if (failed("vmem_realloc", n)) {
			verify(b, "after a failed realloc");
			shed(w);
		}
		return;
	}
	struct blk nb = *b;
	nb.p = q;
	nb.n = n;
	size_t keep = b->n < n ? b->n : n;
	size_t off = b->str ? str_check(q, keep, b->tag, keep == b->n) :
		pat_check(q, keep, b->tag);
	if (off != keep)
		report(&C_corrupt, "CORRUPT realloc %p -> %p (%zu -> %zu): "
			"byte %zu of the kept prefix wrong", (void *)b->p,
			(void *)q, b->n, n, off);
	nb.tag = ADD(Next_tag, 1);
	nb.str = 0;
	check_new(&nb, 0, &w->rs, "vmem_realloc");
	pat_fill(q, n, nb.tag);
	w->bytes += n - b->n;
	*b = nb;
}

/* worker -- random operations until Stop or nops */
static void *
worker(void *arg)
{
	struct wctx *w = arg;
	unsigned long done = 0;
	struct blk b;
	while (!STOP() && (w->nops == 0 || done < w->nops)) {
		unsigned r = (unsigned)(rnd(&w->rs) % 100);
		if (w->nlive == 0 || (r < 50 && w->nlive < LIVE_MAX)) {
			op_alloc(w);
		} else if (r < 62) {
			op_realloc(w);
		} else if (r < 74) {
			unsigned i = (unsigned)(rnd(&w->rs) % w->nlive);
			if (q_push(&w->live[i]))
				drop(w, i);
		} else {
			unsigned i = (unsigned)(rnd(&w->rs) % w->nlive);
			free_blk(&w->live[i], &w->rs);
			drop(w, i);
		}
		if ((r & 3) == 0 && q_pop(&b)) {
			free_blk(&b, &w->rs);
			ADD(C_xfree, 1);
		}
		done++;
		if ((done & 255) == 0) {
			ADD(C_ops, 256);
		}
	}
	ADD(C_ops, done & 255);
	while (w->nlive > 0) {
		if (w->keep && q_push(&w->live[w->nlive - 1])) {
			drop(w, w->nlive - 1);
			continue;
		}
		free_blk(&w->live[w->nlive - 1], &w->rs);
		drop(w, w->nlive - 1);
	}
	return NULL;
}

/* drain_thread -- free every block left in the queue, then exit */
static void *
drain_thread(void *arg)
{
	(void) arg;
	uint64_t rs = Seed ^ 0xd1b54a32d192ed03ULL;
	struct blk b;
	while (q_pop(&b))
		free_blk(&b, &rs);
	return NULL;
}

/* run_thread -- start a thread or bail out */
static void
run_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int e = pthread_create(t, NULL, fn, arg);
	MUST(e == 0, "pthread_create: %s", strerror(e));
}

/* drain -- empty the queue in a thread that then exits (no cache left) */
static void
drain(void)
{
	pthread_t t;
	run_thread(&t, drain_thread, NULL);
	pthread_join(t, NULL);
}

/* pools_create -- make the pools, learn their ranges, check them */
static void
pools_create(size_t size)
{
	const char *dir = test_dir();
	Pools = calloc(Npools, sizeof(*Pools));
	MUST(Pools != NULL, "calloc");
	for (unsigned i = 0; i < Npools; i++) {
		VMEM *vmp = vmem_create(dir, size);
		MUST(vmp != NULL, "vmem_create(%s, %zu): %s", dir, size,
			vmem_errormsg());
		uintptr_t base = 0, lo, hi;
		size_t sz = 0;
		MUST(pool_stats(vmp, &base, &sz, NULL, NULL) == 0,
			"pool %u: base and size from the JSON statistics", i);
		char path[512];
		MUST(map_of((void *)base, &lo, &hi, path, sizeof(path)) == 0
			&& lo == base && hi == base + sz,
			"pool %u: one mapping [%#lx, %#lx) of %s", i,
			(unsigned long)base, (unsigned long)(base + sz), path);
		long long a0 = 0;
		pool_stats(vmp, NULL, NULL, NULL, &a0);
		Pools[i] = (struct spool){ vmp, base, base + sz, a0 };
		for (unsigned j = 0; j < i; j++)
			MUST(Pools[j].hi <= base || base + sz <= Pools[j].lo,
				"pools %u and %u do not overlap", j, i);
	}
}

/* pools_final -- consistent, nothing allocated, no cache, big block fits */
static void
pools_final(void)
{
	for (unsigned i = 0; i < Npools; i++) {
		VMEM *vmp = Pools[i].vmp;
		long caches = -1;
		long long allocated = -1;
		pool_stats(vmp, NULL, NULL, &caches, &allocated);
		CHECK(vmem_check(vmp) == 1, "pool %u: vmem_check 1", i);
		CHECK(caches == 0, "pool %u: no thread cache left after the "
			"threads exit (%ld)", i, caches);
		CHECK(allocated == Pools[i].allocated0, "pool %u: nothing "
			"allocated after every block was freed (%lld, %lld when "
			"new)", i, allocated, Pools[i].allocated0);
		size_t big = (Pools[i].hi - Pools[i].lo) / 2;
		void *p = vmem_malloc(vmp, big);
		CHECK(p != NULL, "pool %u: a block of half the pool (%zu) fits "
			"afterwards: %s", i, big, p ? "" : vmem_errormsg());
		vmem_free(vmp, p);
	}
}

/* summary -- the counters as TAP points */
static void
summary(const char *what, double secs)
{
	unsigned long ops = GET(C_ops);
	DIAG("%s: %lu operations in %.1f s (%.0f/s), %u pools x %u threads, "
		"%lu cross-thread frees, %lu refused foreign frees, %lu ENOMEM",
		what, ops, secs, ops / (secs > 0 ? secs : 1), Npools, Nthreads,
		GET(C_xfree), GET(C_foreign), GET(C_enomem));
	CHECK(GET(C_corrupt) == 0, "%s: no corrupt block (%lu)", what,
		GET(C_corrupt));
	CHECK(GET(C_range) == 0, "%s: every pointer in its own pool (%lu "
		"errors)", what, GET(C_range));
	CHECK(GET(C_api) == 0, "%s: no API error besides ENOMEM (%lu)", what,
		GET(C_api));
}

/* mode_ops -- threads x pools x random operations */
static void
mode_ops(void)
{
	pools_create(Pool_size);
	Budget = Pool_size * Npools / Nthreads / 2;
	struct wctx *w = calloc(Nthreads, sizeof(*w));
	pthread_t *t = calloc(Nthreads, sizeof(*t));
	MUST(w && t, "calloc");
	double t0 = now_s();
	for (unsigned i = 0; i < Nthreads; i++) {
		w[i].rs = Seed + 0x9E3779B97F4A7C15ULL * (i + 1);
		w[i].nops = Nops;
		run_thread(&t[i], worker, &w[i]);
	}
	while (!STOP() && now_s() - t0 < Seconds) {
		usleep(20000);
		if (Nops && GET(C_ops) >= Nops * Nthreads)
			break;
	}
	__atomic_store_n(&Stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < Nthreads; i++)
		pthread_join(t[i], NULL);
	drain();
	summary("ops", now_s() - t0);
	pools_final();
	for (unsigned i = 0; i < Npools; i++)
		vmem_delete(Pools[i].vmp);
	free(w);
	free(t);
}

/* mode_churn -- rounds of short-lived threads */
static void
mode_churn(void)
{
	pools_create(Pool_size);
	Budget = Pool_size * Npools / Nthreads / 4;
	unsigned long rounds = Ncycles;
	struct wctx *w = calloc(Nthreads, sizeof(*w));
	pthread_t *t = calloc(Nthreads, sizeof(*t));
	MUST(w && t, "calloc");
	int fds0 = 0, maps0 = 0;
	long vm0 = 0;
	double t0 = now_s();
	unsigned long r;
	for (r = 0; r < rounds && now_s() - t0 < Seconds; r++) {
		for (unsigned i = 0; i < Nthreads; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].rs = Seed + 0x9E3779B97F4A7C15ULL *
				(r * Nthreads + i + 1);
			w[i].nops = 1 + rnd(&w[i].rs) % (Nops ? Nops : 200);
			w[i].keep = 1;	/* their blocks outlive them */
			run_thread(&t[i], worker, &w[i]);
		}
		for (unsigned i = 0; i < Nthreads; i++)
			pthread_join(t[i], NULL);
		if (r == 4 || (r == 0 && rounds < 5)) {
			fds0 = count_fds();
			maps0 = count_maps();
			vm0 = status_kb("VmSize");
		}
	}
	int fds1 = count_fds(), maps1 = count_maps();
	long vm1 = status_kb("VmSize");
	DIAG("churn: %lu threads in %lu rounds; fds %d -> %d, mappings %d -> "
		"%d, VmSize %ld -> %ld kB", r * Nthreads, r, fds0, fds1, maps0,
		maps1, vm0, vm1);
	for (unsigned i = 0; i < Npools; i++) {
		long caches = -1;
		pool_stats(Pools[i].vmp, NULL, NULL, &caches, NULL);
		CHECK(caches == 0, "churn: pool %u has no cache of an exited "
			"thread (%ld)", i, caches);
	}
	/* slack for glibc's per-thread arenas and sanitizer runtimes; a
	 * mapping per thread or per pool would be thousands */
	CHECK(fds1 == fds0, "churn: descriptors flat (%d -> %d)", fds0, fds1);
	CHECK(maps1 <= maps0 + 16, "churn: mappings flat (%d -> %d)", maps0,
		maps1);
	drain();
	summary("churn", now_s() - t0);
	pools_final();
	for (unsigned i = 0; i < Npools; i++)
		vmem_delete(Pools[i].vmp);
	free(w);
	free(t);
}

/* the lingering thread of mode_cycles: uses each new pool, outlives it */
static pthread_mutex_t L_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t L_cond = PTHREAD_COND_INITIALIZER;
static VMEM *L_pool;	/* job: allocate in this pool */
static int L_done = 1, L_quit;
static unsigned long L_errors;

/* linger -- allocate in every pool handed over; never free before delete */
static void *
linger(void *arg)
{
	(void) arg;
	uint64_t rs = Seed ^ 0x1234567;
	pthread_mutex_lock(&L_lock);
	for (;;) {
		while (L_done && !L_quit)
			pthread_cond_wait(&L_cond, &L_lock);
		if (L_quit)
			break;
		for (int k = 0; k < 8; k++) {
			size_t n = pick_size(&rs) % 70000;
			char *p = vmem_malloc(L_pool, n);
			if (p == NULL && errno != ENOMEM)
				L_errors++;
			if (p != NULL)
				pat_fill(p, n, k);
			if (p != NULL && k & 1)
				vmem_free(L_pool, p);
		}
		L_done = 1;
		pthread_cond_broadcast(&L_cond);
	}
	pthread_mutex_unlock(&L_lock);
	return NULL;
}

/* linger_use -- have the lingering thread use vmp, wait for it */
static void
linger_use(VMEM *vmp)
{
	pthread_mutex_lock(&L_lock);
	L_pool = vmp;
	L_done = 0;
	pthread_cond_broadcast(&L_cond);
	while (!L_done)
		pthread_cond_wait(&L_cond, &L_lock);
	pthread_mutex_unlock(&L_lock);
}

/* short_user -- a thread that uses a pool once and exits before delete */
static void *
short_user(void *arg)
{
	VMEM *vmp = arg;
	void *p = vmem_malloc(vmp, 100);
	vmem_free(vmp, p);
	p = vmem_malloc(vmp, 5000);
	return p;	/* left for vmem_delete */
}

/* cycle_pool -- one pool's life: blocks, checks, other threads, delete */
static int
cycle_pool(VMEM *vmp, unsigned long i, uint64_t *rs, int lingered)
{
	int bad = 0;
	uintptr_t base = 0, lo, hi;
	size_t sz = 0;
	if (pool_stats(vmp, &base, &sz, NULL, NULL) != 0 ||
			map_of((void *)base, &lo, &hi, NULL, 0) != 0 ||
			lo != base || hi != base + sz) {
		DIAG("cycle %lu: pool mapping not found", i);
		return 1;
	}
	if (base < Pools[0].hi && Pools[0].lo < base + sz) {
		DIAG("cycle %lu: new pool overlaps the long-lived one", i);
		bad = 1;
	}
	for (int k = 0; k < 4; k++) {
		size_t n = pick_size(rs);
		char *p = vmem_malloc(vmp, n);
		if (p == NULL || (uintptr_t)p < lo ||
				(uintptr_t)p + n > hi) {
			DIAG("cycle %lu: vmem_malloc(%zu) = %p outside "
				"[%#lx, %#lx): %s", i, n, (void *)p,
				(unsigned long)lo, (unsigned long)hi,
				vmem_errormsg());
			bad = 1;
			continue;
		}
		pat_fill(p, n, i);
		if (k & 1)
			vmem_free(vmp, p);
	}
	if (lingered)
		linger_use(vmp);
	if (i % 16 == 0) {
		pthread_t t;
		run_thread(&t, short_user, vmp);
		pthread_join(t, NULL);
	}
	return bad;
}

/* mode_cycles -- create/delete cycles beside a worker on another pool */
static void
mode_cycles(void)
{
	unsigned np = Npools;
	Npools = 1;
	pools_create(Pool_size);
	Budget = Pool_size / 2;
	struct wctx *w = calloc(1, sizeof(*w));
	MUST(w != NULL, "calloc");
	w->rs = Seed + 1;
	pthread_t wt, lt;
	run_thread(&wt, worker, w);
	run_thread(&lt, linger, NULL);
	const char *dir = test_dir();
	uint64_t rs = Seed + 2;
	unsigned long bad = 0, created = 0, fails = 0;
	int fds0 = 0, maps0 = 0;
	long vm0 = 0;
	double t0 = now_s();
	unsigned long i;
	VMEM **many = calloc(np * 16, sizeof(*many));
	MUST(many != NULL, "calloc");
	for (i = 0; i < Ncycles && now_s() - t0 < Seconds; i++) {
		if (i == 20) {
			fds0 = count_fds();
			maps0 = count_maps();
			vm0 = status_kb("VmSize");
		}
		if (i % 5000 == 0 && i > 0)
			DIAG("cycle %lu: %.1f s, fds %d, mappings %d, VmSize %ld "
				"kB, VmRSS %ld kB", i, now_s() - t0, count_fds(),
				count_maps(), status_kb("VmSize"),
				status_kb("VmRSS"));
		/* now and then many pools at once, deleted in random order */
		unsigned n = i % 500 == 10 ? np * 16 : 1;
		for (unsigned k = 0; k < n; k++) {
			size_t sz = VMEM_MIN_POOL + (rnd(&rs) % 4) *
				((size_t)8 << 20);
			many[k] = vmem_create(dir, sz);
			if (many[k] == NULL) {
				DIAG("cycle %lu: vmem_create(%zu): %s", i, sz,
					vmem_errormsg());
				fails++;
				continue;
			}
			created++;
			bad += cycle_pool(many[k], i, &rs, k == 0);
		}
		for (unsigned k = n; k > 0; k--) {
			unsigned j = (unsigned)(rnd(&rs) % k);
			if (many[j] != NULL)
				vmem_delete(many[j]);
			many[j] = many[k - 1];
		}
	}
	double secs = now_s() - t0;
	int fds1 = count_fds(), maps1 = count_maps();
	long vm1 = status_kb("VmSize");
	__atomic_store_n(&Stop, 1, __ATOMIC_RELAXED);
	pthread_join(wt, NULL);
	pthread_mutex_lock(&L_lock);
	L_quit = 1;
	pthread_cond_broadcast(&L_cond);
	pthread_mutex_unlock(&L_lock);
	pthread_join(lt, NULL);
	drain();
	DIAG("cycles: %lu cycles, %lu pools created and deleted in %.1f s "
		"(%.0f/s); fds %d -> %d, mappings %d -> %d, VmSize %ld -> %ld "
		"kB (%+ld kB, %.2f kB per pool)", i, created, secs,
		created / (secs > 0 ? secs : 1), fds0, fds1, maps0, maps1, vm0,
		vm1, vm1 - vm0, created ? (double)(vm1 - vm0) / created : 0.0);
	CHECK(fails == 0, "cycles: every vmem_create succeeded (%lu failed)",
		fails);
	CHECK(bad == 0, "cycles: every pool's blocks in its own mapping (%lu "
		"bad)", bad);
	CHECK(L_errors == 0, "cycles: the lingering thread saw no error");
	CHECK(fds1 == fds0, "cycles: descriptors flat (%d -> %d)", fds0, fds1);
	CHECK(maps1 <= maps0 + 16, "cycles: mappings flat (%d -> %d)", maps0,
		maps1);
	CHECK(vm1 - vm0 < 256 * 1024, "cycles: address space grows less than "
		"256 MiB (%+ld kB)", vm1 - vm0);
	summary("cycles (worker on the long-lived pool)", secs);
	pools_final();
	vmem_delete(Pools[0].vmp);
	free(many);
	free(w);
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s ops|churn|cycles [-p pools] "
			"[-t threads] [-n ops] [-s seconds] [-c cycles] "
			"[-z pool size] [-S seed]\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	optind = 2;
	int c;
	Seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	while ((c = getopt(argc, argv, "p:t:n:s:c:z:S:")) != -1) {
		switch (c) {
		case 'p': Npools = (unsigned)atoi(optarg); break;
		case 't': Nthreads = (unsigned)atoi(optarg); break;
		case 'n': Nops = strtoul(optarg, NULL, 0); break;
		case 's': Seconds = atof(optarg); break;
		case 'c': Ncycles = strtoul(optarg, NULL, 0); break;
		case 'z': Pool_size = strtoull(optarg, NULL, 0) << 20; break;
		case 'S': Seed = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (Npools < 1)
		Npools = 1;
	if (Nthreads < 1)
		Nthreads = 1;
	Seed |= 1;
	DRD_IGNORE_VAR(Stop);	/* an atomic flag: drd cannot see atomics */
	/*
	 * libvmem keeps each thread's cache table in glibc's heap; glibc
	 * gives busy threads new arenas (64 MiB of address space and a
	 * mapping each, up to 8 per core), which would hide or fake a trend
	 * in the mapping and address-space counts: one arena only.
	 */
	mallopt(M_ARENA_MAX, 1);
	capture_stats();
	DIAG("%s: seed %llu (re-run with -S %llu)", mode,
		(unsigned long long)Seed, (unsigned long long)Seed);
	watchdog((unsigned)(Seconds * 3) + 120);
	if (strcmp(mode, "ops") == 0)
		mode_ops();
	else if (strcmp(mode, "churn") == 0)
		mode_churn();
	else if (strcmp(mode, "cycles") == 0)
		mode_cycles();
	else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return done_testing();
}
