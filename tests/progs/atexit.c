/*
 * atexit.c -- frees (and allocations) while the process exits: atexit
 * handlers, destructors, other threads still allocating, exit from a
 * thread
 *
 * usage: atexit [MODE]   MODE: main (return from main), exit (exit(0)
 *                        from a thread), quick (quick_exit)
 * Must end with status 0 and print nothing on stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmtest.h"

enum { N = 1000 };
static void *Blocks[N];
static char *Big;
static volatile int Spin = 1;
static void *volatile Leaked;

/* free_half -- an atexit handler freeing blocks made in main */
static void
free_half(void)
{
	for (int i = 0; i < N; i += 2) {
		free(Blocks[i]);
		Blocks[i] = NULL;
	}
}

/* churn_at_exit -- an atexit handler that allocates and frees */
static void
churn_at_exit(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc((size_t)(i % 5000) + 1);
		if (p == NULL)
			abort();
		p[0] = 1;
		p = realloc(p, (size_t)(i % 7000) + 10);
		free(p);
	}
	char *s = strdup("still allocating at exit");
	free(s);
}

/* free_rest -- a destructor: runs after the atexit handlers */
__attribute__((destructor))
static void
free_rest(void)
{
	for (int i = 1; i < N; i += 2)
		free(Blocks[i]);
	free(Big);
	/* and something left for nobody: harmless too */
	Leaked = malloc(100);
}

/* spinner -- keeps allocating while the process exits */
static void *
spinner(void *arg)
{
	(void) arg;
	while (Spin) {
		void *p = malloc(64), *q = calloc(3, 1000);
		free(p);
		free(q);
	}
	return NULL;
}

/* exiter -- calls exit from a thread other than main */
static void *
exiter(void *arg)
{
	(void) arg;
	exit(0);
}

/* quick_handler -- an at_quick_exit handler that frees */
static void
quick_handler(void)
{
	free_half();
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "main";
	for (int i = 0; i < N; i++) {
		Blocks[i] = malloc((size_t)(i * 37 % 20000) + 1);
		ASSERT(Blocks[i] != NULL);
	}
	Big = malloc(4 << 20);
	ASSERT(Big != NULL);
	memset(Big, 'b', 4 << 20);
	ASSERT(atexit(free_half) == 0);
	ASSERT(atexit(churn_at_exit) == 0);
	ASSERT(at_quick_exit(quick_handler) == 0);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ASSERT(pthread_create(&t[i], NULL, spinner, NULL) == 0);
	printf("exiting (%s)\n", mode);
	if (strcmp(mode, "exit") == 0) {
		pthread_t e;
		ASSERT(pthread_create(&e, NULL, exiter, NULL) == 0);
		for (;;)
			pthread_join(e, NULL);
	}
	if (strcmp(mode, "quick") == 0) {
		fflush(stdout);
		quick_exit(0);
	}
	return 0;	/* the spinners still run while exit proceeds */
}
