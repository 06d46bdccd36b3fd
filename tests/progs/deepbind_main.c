/*
 * deepbind_main.c -- memory of glibc's malloc (from a library opened with
 * RTLD_NOW | RTLD_DEEPBIND) passed to the shim's free, realloc and
 * malloc_usable_size: no crash, contents kept
 *
 * usage: deepbind_main LIBRARY
 * Prints one line per check; exit status 0 when all held.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmtest.h"

typedef void *(*alloc_fn)(size_t, int);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void (*free_fn)(void *);

/* all_bytes -- whether n bytes at p all equal c */
static int
all_bytes(const void *p, size_t n, int c)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		FAIL("usage: deepbind_main LIBRARY");
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
	if (h == NULL)
		FAIL("dlopen %s: %s", argv[1], dlerror());
	alloc_fn deep_alloc = (alloc_fn)dlsym(h, "deep_alloc");
	calloc_fn deep_calloc = (calloc_fn)dlsym(h, "deep_calloc");
	free_fn deep_free = (free_fn)dlsym(h, "deep_free");
	ASSERT(deep_alloc != NULL && deep_calloc != NULL && deep_free != NULL);

	/* the library's memory is glibc's, not the pool's */
	char *p = deep_alloc(100, 'a');
	ASSERT(p != NULL);
	if (vt_in_pool(p))
		FAIL("deep_alloc gave pool memory: RTLD_DEEPBIND not in effect");
	printf("deepbind malloc: %s\n", vt_where(p));

	/* malloc_usable_size and free on it */
	size_t u = malloc_usable_size(p);
	if (u < 100 || u > 200)
		FAIL("malloc_usable_size(glibc block of 100) = %zu", u);
	printf("usable size: ok\n");
	free(p);
	printf("free: ok\n");

	/* realloc grows it into the pool, contents kept */
	for (size_t n = 16; n <= 1 << 20; n *= 4) {
		char *q = deep_alloc(n, 'q');
		ASSERT(q != NULL);
		char *r = realloc(q, n * 3);
		ASSERT(r != NULL);
		if (!vt_in_pool(r))
			FAIL("realloc of a glibc block did not move it to the pool");
		if (!all_bytes(r, n, 'q'))
			FAIL("realloc of a glibc block of %zu lost its contents", n);
		free(r);
		/* shrinking too */
		q = deep_alloc(n, 's');
		r = realloc(q, n / 2 + 1);
		ASSERT(r != NULL && all_bytes(r, n / 2 + 1, 's'));
		free(r);
	}
	printf("realloc: ok\n");

	/* realloc(p, 0) frees it; reallocarray; calloc memory */
	p = deep_alloc(1000, 'z');
	ASSERT(realloc(p, 0) == NULL);
	p = deep_calloc(100, 10);
	ASSERT(p != NULL && all_bytes(p, 1000, 0));
	char *r = reallocarray(p, 300, 10);
	ASSERT(r != NULL && all_bytes(r, 1000, 0));
	free(r);
	printf("realloc 0, reallocarray: ok\n");

	/* many of them, freed by the main program, then by the library */
	enum { N = 10000 };
	static void *many[N];
	for (int i = 0; i < N; i++)
		many[i] = deep_alloc((size_t)(i % 300) + 1, i & 0xff);
	for (int i = 0; i < N; i += 2)
		free(many[i]);
	for (int i = 1; i < N; i += 2)
		deep_free(many[i]);
	printf("many: ok\n");

	/* a pool block passed into the library's free is glibc's problem:
	 * not tested; the contract covers the other direction only */
	ASSERT(dlclose(h) == 0);
	printf("dlclose: ok\n");
	return 0;
}
