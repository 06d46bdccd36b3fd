/*
 * threads.c -- thousands of short-lived threads allocating from the pool
 *
 * usage: threads [NTHREADS [BATCH]]   (default 5000 threads, 8 at a time)
 * Each thread mallocs, fills, checks and frees blocks of several sizes,
 * keeps a few for a while, and hands one block to the main thread to free
 * (a block freed by a thread other than its allocator).  Before and after,
 * the main thread fills the pool with 64 KiB blocks: the second fill must
 * get as many (nothing stranded in dead threads' caches), and the bytes
 * allocated (mallinfo2) must be back where they were.
 * Prints "threads N: fill BEFORE AFTER, allocated BEFORE AFTER".
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmtest.h"

#define MAXPTRS ((size_t)1 << 20)
#define FILL_SIZE ((size_t)64 << 10)

static uintptr_t Pool_lo, Pool_hi;
static void **Ptrs;
static void *Handed[64];

struct arg {
	unsigned id;
	void **handed;
};

/* in_pool -- whether p lies in the pool found at start */
static int
in_pool(const void *p)
{
	return (uintptr_t)p >= Pool_lo && (uintptr_t)p < Pool_hi;
}

/* worker -- allocate, check and free a mix of sizes, then exit */
static void *
worker(void *a)
{
	struct arg *arg = a;
	static const size_t sizes[] = { 8, 24, 100, 512, 3000, 8192, 20000,
		70000 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *keep[N];
	for (unsigned r = 0; r < 4; r++) {
		for (unsigned i = 0; i < N; i++) {
			size_t n = sizes[i] + arg->id % 13;
			unsigned char *p = malloc(n);
			if (p == NULL || !in_pool(p))
				FAIL("thread %u: malloc(%zu) = %p", arg->id, n,
						(void *)p);
			memset(p, (int)(arg->id + i), n);
			keep[i] = p;
		}
		for (unsigned i = 0; i < N; i++) {
			size_t n = sizes[i] + arg->id % 13;
			if (keep[i][0] != (unsigned char)(arg->id + i) ||
					keep[i][n - 1] != (unsigned char)(arg->id + i))
				FAIL("thread %u: block %u overwritten", arg->id,
						i);
			free(keep[i]);
		}
	}
	void *c = calloc(10, 100);
	if (c == NULL || !in_pool(c))
		FAIL("thread %u: calloc", arg->id);
	*arg->handed = c;	/* freed by the main thread */
	return NULL;
}

/* fill_count -- how many 64 KiB blocks fit now (then freed) */
static size_t
fill_count(void)
{
	size_t n = 0;
	void *p;
	while (n < MAXPTRS && (p = malloc(FILL_SIZE)) != NULL)
		Ptrs[n++] = p;
	if (errno != ENOMEM)
		FAIL("fill stopped with errno %d", errno);
	for (size_t i = 0; i < n; i++)
		free(Ptrs[i]);
	return n;
}

int
main(int argc, char **argv)
{
	unsigned nthreads = argc > 1 ? (unsigned)atoi(argv[1]) : 5000;
	unsigned batch = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
	if (batch == 0 || batch > 64)
		FAIL("batch of 1 to 64 threads");
	static char obuf[4096];
	setvbuf(stdout, obuf, _IOLBF, sizeof(obuf));
	if (vt_pool_range(&Pool_lo, &Pool_hi) != 0)
		FAIL("no pool mapping in /proc/self/maps");
	Ptrs = mmap(NULL, MAXPTRS * sizeof(void *), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT(Ptrs != MAP_FAILED);

	/* a first thread, so that thread start-up costs are paid before */
	pthread_t t;
	struct arg a0 = { 0, &Handed[0] };
	ASSERT(pthread_create(&t, NULL, worker, &a0) == 0);
	ASSERT(pthread_join(t, NULL) == 0);
	free(Handed[0]);

	size_t fill1 = fill_count();
	size_t used1 = mallinfo2().uordblks;

	pthread_t tid[64];
	struct arg args[64];
	for (unsigned done = 0; done < nthreads; ) {
		unsigned k = nthreads - done < batch ? nthreads - done : batch;
		for (unsigned i = 0; i < k; i++) {
			args[i].id = done + i + 1;
			args[i].handed = &Handed[i];
			int e = pthread_create(&tid[i], NULL, worker, &args[i]);
			if (e != 0)
				FAIL("pthread_create %u: %s", done + i,
						strerror(e));
		}
		for (unsigned i = 0; i < k; i++) {
			ASSERT(pthread_join(tid[i], NULL) == 0);
			free(Handed[i]);
		}
		done += k;
	}

	size_t used2 = mallinfo2().uordblks;
	size_t fill2 = fill_count();
	printf("threads %u: fill %zu %zu, allocated %zu %zu\n", nthreads,
			fill1, fill2, used1, used2);
	if (fill2 + 2 < fill1)
		FAIL("after %u threads %zu blocks of 64 KiB fit, before %zu",
				nthreads, fill2, fill1);
	if (used2 > used1 + ((size_t)256 << 10))
		FAIL("after %u threads %zu bytes allocated, before %zu",
				nthreads, used2, used1);
	return 0;
}
