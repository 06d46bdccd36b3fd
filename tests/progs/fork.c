/*
 * fork.c -- fork while other threads allocate, under each VMMALLOC_FORK
 *
 * usage: fork NFORKS [worker]
 * Two threads allocate, fill, check and free blocks all the time.  The
 * main thread (or, with "worker", a third thread) forks NFORKS times.
 * Each child allocates, reallocates and frees blocks (a deadlock here is
 * what the shim's fork handlers prevent), checks that it sees the
 * parent's memory, writes a marker into a block the parent allocated
 * before the fork, and exits.  The parent waits, then looks at the marker:
 * under VMMALLOC_FORK=0 parent and child share the pool, so the child's
 * write shows; under 1, 2 and 3 it must not.
 * Each child also says (through a pipe) whether it maps a copy of the
 * pool (another file) or the parent's file.
 * Prints "forks N: ok K, failed F, shared S, copies C, parent shared|private"
 * (the parent's pool mapping at the end) and, for a failed child,
 * "child I: status X".  The exit status is 0 unless the parent itself
 * found its memory damaged (or, when the pool is not shared, the child
 * found it so: status 3).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"

#define BIG ((size_t)1 << 20)

static volatile int Stop;
static int Shared_heap;		/* VMMALLOC_FORK=0: no content checks */
static volatile long *Marker;
static unsigned char *Big;
static int Nforks;
static int Ok, Failed, Shared, Copies;
static char Pool_name[256];
static int Pipe[2];

/* churn -- allocate and free all the time; check when not shared */
static void *
churn(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, r = id * 7919u;
	enum { K = 32 };	/* at most 32 blocks of 100 KB: 4 MB a thread */
	unsigned char *keep[K] = { NULL };
	size_t len[K] = { 0 };
	while (!Stop) {
		r = r * 1103515245u + 12345u;
		unsigned i = (r >> 8) % K;
		if (keep[i] != NULL) {
			if (!Shared_heap && (keep[i][0] != (unsigned char)i ||
					keep[i][len[i] - 1] != (unsigned char)i))
				FAIL("thread %u: block %u overwritten", id, i);
			free(keep[i]);
		}
		len[i] = (size_t)((r >> 12) % ((r & 1) ? 100000 : 2000)) + 1;
		keep[i] = malloc(len[i]);
		if (keep[i] == NULL)
			FAIL("thread %u: malloc(%zu) failed", id, len[i]);
		memset(keep[i], (int)i, len[i]);
	}
	for (unsigned i = 0; i < K; i++)
		free(keep[i]);
	return NULL;
}

/* child -- allocate in the child, check what it inherited, mark, exit */
static void
child(int i)
{
	void *p[32];
	for (int k = 0; k < 32; k++) {
		size_t n = (size_t)(k * 3001 % 70000) + 1;
		p[k] = k % 3 == 0 ? calloc(1, n) : malloc(n);
		if (p[k] == NULL)
			_exit(2);
		memset(p[k], k, n);
		p[k] = realloc(p[k], n * 2);
		if (p[k] == NULL)
			_exit(2);
	}
	for (int k = 0; k < 32; k++) {
		if (!Shared_heap && ((unsigned char *)p[k])[0] != k)
			_exit(3);
		free(p[k]);
	}
	for (size_t k = 0; k < BIG; k += 4096)
		if (Big[k] != (unsigned char)(k / 4096))
			_exit(3);
	*Marker = i + 1;
	/* tell the parent whether this child maps a copy of the pool */
	char name[256], perms[5];
	char c = vt_pool_file(name, sizeof(name), perms) != 0 ? '?' :
		strcmp(name, Pool_name) != 0 ? 'C' : 'S';
	if (write(Pipe[1], &c, 1) != 1)
		_exit(4);
	if (i % 2)
		exit(0);	/* atexit handlers, stdio: the full way out */
	_exit(0);
}

/* forker -- fork Nforks times, wait for each child */
static void *
forker(void *arg)
{
	(void) arg;
	for (int i = 0; i < Nforks; i++) {
		*Marker = 0;
		fflush(stdout);
		char drain;
		while (read(Pipe[0], &drain, 1) == 1)
			;
		pid_t pid = fork();
		if (pid < 0)
			FAIL("fork %d: %s", i, strerror(errno));
		if (pid == 0)
			child(i);
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				FAIL("waitpid: %s", strerror(errno));
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			Ok++;
		} else {
			Failed++;
			printf("child %d: status %d%s\n", i,
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
				WTERMSIG(st), WIFSIGNALED(st) ? " (signal)" : "");
			if (!Shared_heap && WIFEXITED(st) &&
					WEXITSTATUS(st) == 3)
				FAIL("child %d found its memory damaged", i);
		}
		if (*Marker == i + 1)
			Shared++;
		char c = 0;
		if (read(Pipe[0], &c, 1) == 1 && c == 'C')
			Copies++;
		/* the parent goes on allocating between forks */
		void *q = malloc(1000 + (size_t)i);
		if (q == NULL)
			FAIL("parent malloc after fork %d", i);
		free(q);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		FAIL("usage: fork NFORKS [worker]");
	static char obuf[4096];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	Nforks = atoi(argv[1]);
	int from_worker = argc > 2 && strcmp(argv[2], "worker") == 0;
	const char *mode = getenv("VMMALLOC_FORK");
	Shared_heap = mode != NULL && strcmp(mode, "0") == 0;

	char perms[5];
	ASSERT(pipe2(Pipe, O_NONBLOCK | O_CLOEXEC) == 0);
	if (vt_pool_file(Pool_name, sizeof(Pool_name), perms) != 0)
		FAIL("no pool mapping in /proc/self/maps");
	Marker = malloc(sizeof(*Marker));
	Big = malloc(BIG);
	ASSERT(Marker != NULL && Big != NULL);
	if (!vt_in_pool((void *)Marker))
		FAIL("the marker is not in the pool");
	for (size_t k = 0; k < BIG; k++)
		Big[k] = (unsigned char)(k / 4096);

	pthread_t t[3];
	for (uintptr_t i = 0; i < 2; i++)
		ASSERT(pthread_create(&t[i], NULL, churn, (void *)(i + 1)) == 0);
	if (from_worker) {
		ASSERT(pthread_create(&t[2], NULL, forker, NULL) == 0);
		ASSERT(pthread_join(t[2], NULL) == 0);
	} else {
		forker(NULL);
	}
	Stop = 1;
	for (int i = 0; i < 2; i++)
		ASSERT(pthread_join(t[i], NULL) == 0);
	for (size_t k = 0; k < BIG; k++)
		if (Big[k] != (unsigned char)(k / 4096))
			FAIL("the parent's block changed at %zu", k);
	ASSERT(vt_pool_file(Pool_name, sizeof(Pool_name), perms) == 0);
	printf("forks %d: ok %d, failed %d, shared %d, copies %d, parent %s\n",
			Nforks, Ok, Failed, Shared, Copies,
			perms[3] == 's' ? "shared" : "private");
	free(Big);
	free((void *)Marker);
	return 0;
}
