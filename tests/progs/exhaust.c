/*
 * exhaust.c -- fill the pool until malloc fails, empty it, fill it again
 *
 * usage: exhaust fill SIZE    malloc SIZE bytes until NULL (errno must be
 *                             ENOMEM, no abort), free all, fill again;
 *                             prints "fill SIZE: N1 N2" (the two counts)
 *        exhaust realloc      a failed realloc growth leaves the block
 *                             intact; shrinking in a full pool works
 *        exhaust cxx          (see cxx.cc: operator new throws bad_alloc)
 * The pointer table lives outside the pool (anonymous mmap), so it takes
 * nothing from the pool.  Exit status 0 when everything held.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmtest.h"

#define MAXPTRS ((size_t)1 << 22)

static void **Ptrs;

/* fill -- allocate size bytes until failure; returns the count */
static size_t
fill(size_t size)
{
	size_t n = 0;
	for (;;) {
		if (n == MAXPTRS)
			FAIL("more than %zu blocks of %zu: no limit?", n, size);
		errno = 0;
		void *p = malloc(size);
		if (p == NULL) {
			if (errno != ENOMEM)
				FAIL("malloc(%zu) failed with errno %d, not "
					"ENOMEM", size, errno);
			break;
		}
		if (n % 4096 == 0 && !vt_in_pool(p))
			FAIL("block %zu at %p is not in the pool", n, p);
		/* touch the first and the last byte */
		((char *)p)[0] = (char)n;
		((char *)p)[size - 1] = (char)n;
		Ptrs[n++] = p;
	}
	return n;
}

/* empty -- check and free every block */
static void
empty(size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		char *p = Ptrs[i];
		if (p[0] != (char)i || p[size - 1] != (char)i)
			FAIL("block %zu of %zu bytes was overwritten", i, size);
		free(p);
	}
}

/* case_fill -- fill, empty, fill: the counts must match closely */
static void
case_fill(size_t size)
{
	size_t n1 = fill(size);
	empty(n1, size);
	size_t n2 = fill(size);
	empty(n2, size);
	size_t n3 = fill(size);
	empty(n3, size);
	printf("fill %zu: %zu %zu %zu\n", size, n1, n2, n3);
	if (n1 == 0)
		FAIL("not one block of %zu bytes", size);
	/* the same count, within 2% (caches and slabs may differ a bit) */
	size_t lo = n1 - n1 / 50;
	if (n2 < lo || n3 < lo)
		FAIL("refill of %zu-byte blocks: %zu then %zu, first %zu",
				size, n2, n3, n1);
}

/* case_realloc -- a failed growth keeps the block; shrinking works */
static void
case_realloc(void)
{
	size_t big = (size_t)1 << 20;
	unsigned char *b = malloc(big);
	ASSERT(b != NULL);
	for (size_t i = 0; i < big; i++)
		b[i] = (unsigned char)(i * 7);
	size_t usable = malloc_usable_size(b);

	size_t n = fill(4096);	/* the pool is full now */
	errno = 0;
	void *r = realloc(b, 64 << 20);
	if (r != NULL || errno != ENOMEM)
		FAIL("realloc growth in a full pool: %p errno %d", r, errno);
	errno = 0;
	r = realloc(b, big + 100000);
	if (r != NULL || errno != ENOMEM)
		FAIL("realloc growth in a full pool: %p errno %d", r, errno);
	errno = 0;
	r = reallocarray(b, big, 2);
	if (r != NULL || errno != ENOMEM)
		FAIL("reallocarray growth in a full pool: %p errno %d", r,
				errno);
	ASSERT(malloc_usable_size(b) == usable);
	for (size_t i = 0; i < big; i++)
		if (b[i] != (unsigned char)(i * 7))
			FAIL("byte %zu of the block changed by a failed realloc",
					i);
	/* shrinking in the full pool succeeds, contents kept */
	unsigned char *s = realloc(b, big / 4);
	ASSERT(s != NULL);
	for (size_t i = 0; i < big / 4; i++)
		if (s[i] != (unsigned char)(i * 7))
			FAIL("byte %zu lost by a shrinking realloc", i);
	s = realloc(s, 100);
	ASSERT(s != NULL);
	for (size_t i = 0; i < 100; i++)
		ASSERT(s[i] == (unsigned char)(i * 7));
	errno = 0;
	void *c = calloc(1 << 20, 1);
	ASSERT(c == NULL && errno == ENOMEM);
	void *a = NULL;
	ASSERT(posix_memalign(&a, 4096, 1 << 20) == ENOMEM);
	errno = 0;
	ASSERT(aligned_alloc(1 << 16, 1 << 20) == NULL && errno == ENOMEM);
	empty(n, 4096);
	free(s);
	/* and all of it comes back */
	void *again = malloc(big * 4);
	ASSERT(again != NULL);
	free(again);
	printf("realloc: ok after %zu blocks\n", n);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		FAIL("usage: exhaust fill SIZE | realloc");
	/* stdout's buffer before the pool is full */
	static char obuf[4096];
	setvbuf(stdout, obuf, _IOLBF, sizeof(obuf));
	Ptrs = mmap(NULL, MAXPTRS * sizeof(void *), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT(Ptrs != MAP_FAILED);
	if (strcmp(argv[1], "fill") == 0 && argc == 3)
		case_fill(strtoull(argv[2], NULL, 0));
	else if (strcmp(argv[1], "realloc") == 0)
		case_realloc();
	else
		FAIL("unknown case %s", argv[1]);
	return 0;
}
