/*
 * ctor_lib.c -- a library whose constructor and destructor allocate and
 * free: preloaded before or after the shim, its constructor may run
 * before the shim's own, so its first malloc is what makes the pool
 *
 * The constructor reports on stderr (only when CTOR_LIB_REPORT is set)
 * how many of its blocks lie in the pool; the destructor frees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmtest.h"

enum { N = 1000 };
static char *Blocks[N];

/* ctor_alloc -- allocate before main, maybe before the shim's constructor */
__attribute__((constructor))
static void
ctor_alloc(void)
{
	int in = 0;
	for (int i = 0; i < N; i++) {
		Blocks[i] = malloc((size_t)(i % 100) * 10 + 1);
		if (Blocks[i] == NULL)
			abort();
		memset(Blocks[i], 'c', (size_t)(i % 100) * 10 + 1);
	}
	for (int i = 0; i < N; i += 2) {
		free(Blocks[i]);
		Blocks[i] = NULL;
	}
	for (int i = 1; i < N; i += 2)
		in += vt_in_pool(Blocks[i]);
	if (getenv("CTOR_LIB_REPORT") != NULL)
		fprintf(stderr, "ctor_lib: %d of %d blocks in the pool\n", in,
				N / 2);
}

/* dtor_free -- free the rest at exit */
__attribute__((destructor))
static void
dtor_free(void)
{
	for (int i = 1; i < N; i += 2) {
		if (Blocks[i][0] != 'c')
			abort();
		free(Blocks[i]);
	}
}
