/*
 * workload.c -- allocation-heavy whole programs for the malloc shims
 *
 * Plain malloc/realloc/free: the allocator is whatever LD_PRELOAD brings
 * (glibc, jemalloc, memkind's libmemtier, libvmmalloc).  Each workload is
 * modelled on a known allocator benchmark:
 *   larson     server threads that free and allocate random blocks in
 *              random slots and hand their blocks to a successor thread
 *              (Larson & Krishnan, "Memory allocation for long-running
 *              server applications")
 *   xthread    producer/consumer pairs: every block is freed by another
 *              thread than the one that made it (mimalloc-bench xmalloc)
 *   fs-active  active false sharing: threads allocate, write and free
 *              small objects at once (Hoard's cache-thrash)
 *   fs-passive passive false sharing: the main thread hands each thread
 *              a small object, which it frees before the same loop
 *              (Hoard's cache-scratch)
 *   bigchurn   realloc/free/malloc of 256 KiB-4 MiB blocks, one byte
 *              written per page
 *   threads    many short-lived threads, each allocating a little
 * Each prints one line with a checksum, so no work can be optimised out.
 *
 * usage: bench_workload NAME [-t threads] [-n scale]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned Threads = 2;
static unsigned long Scale = 1;	/* multiplies the work */
static volatile uint64_t Sink;

/* die -- report a failure and stop */
__attribute__((noreturn))
static void
die(const char *what)
{
	fprintf(stderr, "bench_workload: %s failed\n", what);
	exit(1);
}

/* xmalloc -- malloc that stops the program on failure */
static void *
xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL)
		die("malloc");
	return p;
}

/* rnd -- xorshift64* */
static inline uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* spawn -- start n threads running fn(&arg[i]) and wait for them */
static void
spawn(unsigned n, void *(*fn)(void *), void *arg, size_t argsize)
{
	pthread_t *t = xmalloc(n * sizeof(*t));
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (char *)arg + i * argsize))
			die("pthread_create");
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* ---- larson ---- */

#define LARSON_SLOTS 4000
#define LARSON_OPS 20000	/* per thread before the hand-over */

struct larson {
	char **slot;
	uint64_t seed;
	unsigned long rounds;	/* successors still to come */
	uint64_t sum;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t prev;		/* the thread to join: each joins the last */
	int has_prev, done;
};

/* larson_thread -- one round of a server thread, then a successor */
static void *
larson_thread(void *arg)
{
	struct larson *l = arg;
	pthread_mutex_lock(&l->lock);
	int join = l->has_prev;
	pthread_t prev = l->prev;
	pthread_mutex_unlock(&l->lock);
	if (join)
		pthread_join(prev, NULL);
	for (unsigned i = 0; i < LARSON_OPS; i++) {
		uint64_t r = rnd(&l->seed);
		unsigned k = (unsigned)(r % LARSON_SLOTS);
		size_t sz = 8 + (size_t)((r >> 32) % 1017);	/* 8..1024 */
		free(l->slot[k]);
		char *p = xmalloc(sz);
		p[0] = (char)r;
		p[sz - 1] = (char)k;
		l->sum += (unsigned char)l->slot[(k + 1) % LARSON_SLOTS][0];
		l->slot[k] = p;
	}
	pthread_mutex_lock(&l->lock);
	l->prev = pthread_self();
	l->has_prev = 1;
	if (l->rounds > 0) {
		pthread_t t;
		l->rounds--;
		if (pthread_create(&t, NULL, larson_thread, l))
			die("pthread_create");
	} else {
		l->done = 1;
		pthread_cond_signal(&l->cond);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* larson_lineage -- start one lineage and wait for its last thread */
static void *
larson_lineage(void *arg)
{
	struct larson *l = arg;
	l->slot = xmalloc(LARSON_SLOTS * sizeof(char *));
	for (unsigned k = 0; k < LARSON_SLOTS; k++) {
		l->slot[k] = xmalloc(8 + k % 1017);
		l->slot[k][0] = 0;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, larson_thread, l))
		die("pthread_create");
	pthread_mutex_lock(&l->lock);
	while (!l->done)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_t last = l->prev;
	pthread_mutex_unlock(&l->lock);
	pthread_join(last, NULL);
	for (unsigned k = 0; k < LARSON_SLOTS; k++)
		free(l->slot[k]);
	free(l->slot);
	return NULL;
}

static uint64_t
run_larson(void)
{
	struct larson *l = calloc(Threads, sizeof(*l));
	for (unsigned i = 0; i < Threads; i++) {
		l[i].seed = 0x1234567ULL * (i + 1);
		l[i].rounds = 50 * Scale;
		pthread_mutex_init(&l[i].lock, NULL);
		pthread_cond_init(&l[i].cond, NULL);
	}
	spawn(Threads, larson_lineage, l, sizeof(*l));
	uint64_t s = 0;
	for (unsigned i = 0; i < Threads; i++)
		s += l[i].sum;
	free(l);
	return s;
}

/* ---- xthread: producer/consumer ---- */

#define XT_BATCH 1000
#define XT_QUEUE 16

struct xt_pair {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **q[XT_QUEUE];
	unsigned head, tail;	/* head: next to fill; tail: next to take */
	unsigned long batches;
	uint64_t seed, sum;
};

/* xt_producer -- allocate batches of blocks and pass them on */
static void *
xt_producer(void *arg)
{
	struct xt_pair *x = arg;
	for (unsigned long b = 0; b < x->batches; b++) {
		char **batch = xmalloc(XT_BATCH * sizeof(char *));
		for (unsigned i = 0; i < XT_BATCH; i++) {
			uint64_t r = rnd(&x->seed);
			size_t sz = 16 + (size_t)(r % 497);	/* 16..512 */
			batch[i] = xmalloc(sz);
			memset(batch[i], (int)r, 16);
		}
		pthread_mutex_lock(&x->lock);
		while (x->head - x->tail == XT_QUEUE)
			pthread_cond_wait(&x->cond, &x->lock);
		x->q[x->head++ % XT_QUEUE] = batch;
		pthread_cond_broadcast(&x->cond);
		pthread_mutex_unlock(&x->lock);
	}
	return NULL;
}

/* xt_consumer -- free the blocks another thread made */
static void *
xt_consumer(void *arg)
{
	struct xt_pair *x = arg;
	for (unsigned long b = 0; b < x->batches; b++) {
		pthread_mutex_lock(&x->lock);
		while (x->head == x->tail)
			pthread_cond_wait(&x->cond, &x->lock);
		char **batch = x->q[x->tail++ % XT_QUEUE];
		pthread_cond_broadcast(&x->cond);
		pthread_mutex_unlock(&x->lock);
		for (unsigned i = 0; i < XT_BATCH; i++) {
			x->sum += (unsigned char)batch[i][7];
			free(batch[i]);
		}
		free(batch);
	}
	return NULL;
}

/* xt_run -- one producer/consumer pair */
static void *
xt_run(void *arg)
{
	struct xt_pair *x = arg;
	pthread_t p, c;
	if (pthread_create(&p, NULL, xt_producer, x) ||
			pthread_create(&c, NULL, xt_consumer, x))
		die("pthread_create");
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	return NULL;
}

static uint64_t
run_xthread(void)
{
	unsigned pairs = Threads / 2 ? Threads / 2 : 1;
	struct xt_pair *x = calloc(pairs, sizeof(*x));
	for (unsigned i = 0; i < pairs; i++) {
		pthread_mutex_init(&x[i].lock, NULL);
		pthread_cond_init(&x[i].cond, NULL);
		x[i].batches = 4000 * Scale;
		x[i].seed = 0xABCDEFULL * (i + 1);
	}
	spawn(pairs, xt_run, x, sizeof(*x));
	uint64_t s = 0;
	for (unsigned i = 0; i < pairs; i++)
		s += x[i].sum;
	free(x);
	return s;
}

/* ---- false sharing ---- */

#define FS_OBJ 8
#define FS_WRITES 100

struct fs {
	char *given;	/* passive: the object the main thread handed over */
	unsigned long iters;
	uint64_t sum;
};

/* fs_thread -- allocate, write many times, free */
static void *
fs_thread(void *arg)
{
	struct fs *f = arg;
	free(f->given);
	for (unsigned long i = 0; i < f->iters; i++) {
		volatile char *p = xmalloc(FS_OBJ);
		for (unsigned w = 0; w < FS_WRITES; w++)
			for (unsigned j = 0; j < FS_OBJ; j++)
				p[j] = (char)(p[j] + 1);
		f->sum += (unsigned char)p[0];
		free((void *)p);
	}
	return NULL;
}

static uint64_t
run_fs(int passive)
{
	struct fs *f = calloc(Threads, sizeof(*f));
	for (unsigned i = 0; i < Threads; i++) {
		f[i].iters = 200000 * Scale;
		if (passive) {
			/* neighbours: likely one cache line for all threads */
			f[i].given = xmalloc(FS_OBJ);
			memset(f[i].given, 0, FS_OBJ);
		}
	}
	spawn(Threads, fs_thread, f, sizeof(*f));
	uint64_t s = 0;
	for (unsigned i = 0; i < Threads; i++)
		s += f[i].sum;
	free(f);
	return s;
}

/* ---- bigchurn ---- */

#define BC_SLOTS 16

struct bc {
	unsigned long ops;
	uint64_t seed, sum;
};

/* bc_touch -- write one byte per page of [p + from, p + to) */
static void
bc_touch(char *p, size_t from, size_t to)
{
	for (size_t o = from; o < to; o += 4096)
		p[o] = (char)o;
	if (to > 0)
		p[to - 1] = 1;
}

/* bc_thread -- realloc, free and malloc of large blocks */
static void *
bc_thread(void *arg)
{
	struct bc *b = arg;
	char *slot[BC_SLOTS] = { 0 };
	size_t len[BC_SLOTS] = { 0 };
	for (unsigned long i = 0; i < b->ops; i++) {
		uint64_t r = rnd(&b->seed);
		unsigned k = (unsigned)(r % BC_SLOTS);
		size_t sz = ((size_t)256 << 10) +
			(size_t)((r >> 8) % ((size_t)15 << 18)); /* ..4 MiB */
		switch ((r >> 40) % 3) {
		case 0:	/* grow or shrink in place if it can */
			if (slot[k] != NULL) {
				char *n = realloc(slot[k], sz);
				if (n == NULL)
					die("realloc");
				slot[k] = n;
				if (sz > len[k])
					bc_touch(n, len[k], sz);
				len[k] = sz;
				break;
			}
			/* fall through */
		case 1:	/* replace */
			free(slot[k]);
			slot[k] = xmalloc(sz);
			bc_touch(slot[k], 0, sz);
			len[k] = sz;
			break;
		default: /* drop */
			if (slot[k] != NULL)
				b->sum += (unsigned char)slot[k][0];
			free(slot[k]);
			slot[k] = NULL;
			len[k] = 0;
		}
	}
	for (unsigned k = 0; k < BC_SLOTS; k++)
		free(slot[k]);
	return NULL;
}

static uint64_t
run_bigchurn(void)
{
	struct bc *b = calloc(Threads, sizeof(*b));
	for (unsigned i = 0; i < Threads; i++) {
		b[i].ops = 2500 * Scale;
		b[i].seed = 0x5151ULL * (i + 7);
	}
	spawn(Threads, bc_thread, b, sizeof(*b));
	uint64_t s = 0;
	for (unsigned i = 0; i < Threads; i++)
		s += b[i].sum;
	free(b);
	return s;
}

/* ---- many short-lived threads ---- */

#define ST_RING 64
#define ST_OPS 500

/* st_thread -- a short life: a few hundred small allocations */
static void *
st_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg | 1, sum = 0;
	char *ring[ST_RING];
	for (unsigned i = 0; i < ST_RING; i++)
		ring[i] = xmalloc(16 + i * 8);
	for (unsigned i = 0; i < ST_OPS; i++) {
		uint64_t r = rnd(&seed);
		unsigned k = (unsigned)(r % ST_RING);
		free(ring[k]);
		ring[k] = xmalloc(8 + (size_t)((r >> 16) % 2041));
		ring[k][0] = (char)i;
		sum += (unsigned char)ring[(k + 1) % ST_RING][0];
	}
	for (unsigned i = 0; i < ST_RING; i++)
		free(ring[i]);
	return (void *)(uintptr_t)sum;
}

static uint64_t
run_threads(void)
{
	unsigned long total = 4000 * Scale;
	uint64_t s = 0;
	pthread_t *t = xmalloc(Threads * sizeof(*t));
	for (unsigned long done = 0; done < total; done += Threads) {
		for (unsigned i = 0; i < Threads; i++)
			if (pthread_create(&t[i], NULL, st_thread,
					(void *)(uintptr_t)(done + i)))
				die("pthread_create");
		for (unsigned i = 0; i < Threads; i++) {
			void *r;
			pthread_join(t[i], &r);
			s += (uintptr_t)r;
		}
	}
	free(t);
	return s;
}

int
main(int argc, char *argv[])
{
	int c;
	if (argc < 2)
		goto usage;
	const char *name = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "t:n:")) != -1) {
		switch (c) {
		case 't': Threads = (unsigned)atoi(optarg); break;
		case 'n': Scale = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (Threads < 1 || Scale < 1)
		goto usage;
	uint64_t s;
	if (strcmp(name, "larson") == 0)
		s = run_larson();
	else if (strcmp(name, "xthread") == 0)
		s = run_xthread();
	else if (strcmp(name, "fs-active") == 0)
		s = run_fs(0);
	else if (strcmp(name, "fs-passive") == 0)
		s = run_fs(1);
	else if (strcmp(name, "bigchurn") == 0)
		s = run_bigchurn();
	else if (strcmp(name, "threads") == 0)
		s = run_threads();
	else
		goto usage;
	Sink = s;
	printf("%s threads=%u scale=%lu sum=%llu\n", name, Threads, Scale,
		(unsigned long long)s);
	return 0;
usage:
	fprintf(stderr, "usage: %s larson|xthread|fs-active|fs-passive|"
		"bigchurn|threads [-t threads] [-n scale]\n", argv[0]);
	return 2;
}
