/*
 * api.c -- throughput of one allocator API: malloc/free pairs over a ring
 * of live blocks per thread
 *
 * Built once per peer (see peer.h).  Each thread keeps a ring of live
 * blocks; every step frees the oldest block and allocates a new one of a
 * random size (from a table made before the clock starts), and writes its
 * first byte.  Workloads:
 *   small  sizes 8-512 B, uniform
 *   mixed  sizes 8 B-64 KiB, log-uniform, and one block in 256 of 1 MiB
 * Prints one line: "api <peer> <workload> threads=T ops=N seconds=S
 * ns_per_pair=X mops=Y cpu_seconds=C cpu_ns_per_pair=Z" (ops: pairs over
 * all threads; seconds: wall time from the start barrier to the last
 * thread's end; cpu: the threads' own CPU time in the loop, which other
 * processes on a busy machine do not inflate).
 *
 * usage: bench_api_<peer> [-w small|mixed] [-t threads] [-n pairs/thread]
 *        [-r ring] [-d dir] [-s pool size MiB] [-l lib]
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

#ifdef PEER_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#define NSIZES 65536	/* a power of two */
#define MIB ((size_t)1 << 20)

struct thr {
	pthread_t tid;
	unsigned idx;
	uint32_t *sizes;
	double cpu;	/* CPU seconds of this thread in the timed loop */
	int failed;
};

static const char *Workload = "small";
static unsigned Threads = 1;
static unsigned long Pairs = 10000000;
static unsigned Ring = 1000;
static pthread_barrier_t Start;

/* now -- monotonic seconds */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* thread_cpu -- CPU seconds of the calling thread */
static double
thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* rnd -- xorshift64*, one stream per thread */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* make_sizes -- the table of sizes a thread asks for, in order */
static uint32_t *
make_sizes(unsigned idx)
{
	uint32_t *s = malloc(NSIZES * sizeof(*s));
	if (s == NULL)
		return NULL;
	uint64_t st = 0x9E3779B97F4A7C15ULL * (idx + 1);
	int mixed = strcmp(Workload, "mixed") == 0;
	for (unsigned i = 0; i < NSIZES; i++) {
		uint64_t r = rnd(&st);
		if (!mixed) {
			s[i] = 8 + (uint32_t)(r % 505);	/* 8..512 */
		} else if ((r & 255) == 0) {
			s[i] = (uint32_t)MIB;
		} else {
			unsigned lg = 3 + (unsigned)((r >> 8) % 13); /* 8..32K */
			uint32_t lo = 1u << lg;
			s[i] = lo + (uint32_t)((r >> 16) % (lo + 1)); /* ..64K */
		}
	}
	return s;
}

/* worker -- the ring of one thread */
static void *
worker(void *arg)
{
	struct thr *t = arg;
	const uint32_t *sizes = t->sizes;
	char **ring = calloc(Ring, sizeof(*ring));
	if (ring == NULL) {
		t->failed = 1;
		return NULL;
	}
	unsigned long k = 0;
	for (unsigned i = 0; i < Ring; i++, k++) {
		ring[i] = peer_malloc(sizes[k & (NSIZES - 1)]);
		if (ring[i] == NULL)
			t->failed = 1;
		else
			ring[i][0] = (char)i;
	}
	pthread_barrier_wait(&Start);
	double c0 = thread_cpu();
	unsigned slot = 0;
	for (unsigned long n = 0; n < Pairs; n++, k++) {
		peer_free(ring[slot]);
		char *p = peer_malloc(sizes[k & (NSIZES - 1)]);
		if (__builtin_expect(p == NULL, 0)) {
			t->failed = 1;
			break;
		}
		p[0] = (char)n;
		ring[slot] = p;
		if (++slot == Ring)
			slot = 0;
	}
	for (unsigned i = 0; i < Ring; i++)
		peer_free(ring[i]);
	t->cpu = thread_cpu() - c0;
	free(ring);
	return NULL;
}

#ifdef PEER_JEMALLOC
/* peer_check -- make sure malloc really is the stock jemalloc */
static int
peer_check(void)
{
	uint64_t a = 0, b = 0;
	size_t len = sizeof(a);
	if (mallctl("thread.allocated", &a, &len, NULL, 0) != 0)
		return -1;
	void *volatile p = malloc(1000);
	if (mallctl("thread.allocated", &b, &len, NULL, 0) != 0)
		return -1;
	free(p);
	return b >= a + 1000 ? 0 : -1;
}
#else
#define peer_check() 0
#endif

/* usage -- say how to call the program, then exit */
static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-w small|mixed] [-t threads] "
		"[-n pairs/thread] [-r ring] [-d dir] [-s poolMiB] "
		"[-l lib]\n", prog);
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *dir = "/dev/shm", *lib = NULL;
	size_t pool_mib = 1024;
	int c;
	while ((c = getopt(argc, argv, "w:t:n:r:d:s:l:")) != -1) {
		switch (c) {
		case 'w': Workload = optarg; break;
		case 't': Threads = (unsigned)atoi(optarg); break;
		case 'n': Pairs = strtoul(optarg, NULL, 0); break;
		case 'r': Ring = (unsigned)atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 's': pool_mib = strtoul(optarg, NULL, 0); break;
		case 'l': lib = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (Threads < 1 || Ring < 1 || (strcmp(Workload, "small") != 0 &&
			strcmp(Workload, "mixed") != 0))
		usage(argv[0]);
	if (peer_check() != 0) {
		fprintf(stderr, "%s: malloc is not the peer's\n", argv[0]);
		return 1;
	}
	if (peer_open(dir, pool_mib * MIB, lib) != 0)
		return 1;

	struct thr *t = calloc(Threads, sizeof(*t));
	if (t == NULL)
		return 1;
	for (unsigned i = 0; i < Threads; i++) {
		t[i].idx = i;
		t[i].sizes = make_sizes(i);
		if (t[i].sizes == NULL)
			return 1;
	}
	pthread_barrier_init(&Start, NULL, Threads + 1);
	for (unsigned i = 0; i < Threads; i++)
		if (pthread_create(&t[i].tid, NULL, worker, &t[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	pthread_barrier_wait(&Start);
	double t0 = now();
	int failed = 0;
	double cpu = 0;
	for (unsigned i = 0; i < Threads; i++) {
		pthread_join(t[i].tid, NULL);
		failed |= t[i].failed;
		cpu += t[i].cpu;
	}
	double secs = now() - t0;
	peer_close();
	if (failed) {
		fprintf(stderr, "%s: allocation failed (pool too small?)\n",
				PEER_NAME);
		return 1;
	}
	double ops = (double)Pairs * Threads;
	printf("api %s %s threads=%u ops=%.0f seconds=%.6f ns_per_pair=%.3f "
		"mops=%.3f cpu_seconds=%.6f cpu_ns_per_pair=%.3f\n", PEER_NAME,
		Workload, Threads, ops, secs, secs * 1e9 / ops,
		ops / secs * 1e-6, cpu, cpu * 1e9 / ops);
	for (unsigned i = 0; i < Threads; i++)
		free(t[i].sizes);
	free(t);
	return 0;
}
