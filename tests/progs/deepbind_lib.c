/*
 * deepbind_lib.c -- a library opened with RTLD_DEEPBIND: its malloc binds
 * to glibc's own malloc (its dependency, libc.so.6, comes before the
 * preloaded shim in its lookup scope), so it hands out memory that the
 * pool does not own
 */
#include <stdlib.h>
#include <string.h>

/* deep_alloc -- n bytes of glibc memory, filled with c */
__attribute__((visibility("default")))
void *
deep_alloc(size_t n, int c)
{
	void *p = malloc(n);
	if (p != NULL)
		memset(p, c, n);
	return p;
}

/* deep_calloc -- zeroed glibc memory */
__attribute__((visibility("default")))
void *
deep_calloc(size_t nmemb, size_t size)
{
	return calloc(nmemb, size);
}

/* deep_free -- give a block to the free this library binds to */
__attribute__((visibility("default")))
void
deep_free(void *p)
{
	free(p);
}
