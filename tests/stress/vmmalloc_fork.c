/*
 * vmmalloc_fork.c -- fork again and again under libvmmalloc while other
 * threads allocate, in the fork mode of VMMALLOC_FORK
 *
 * Usage: LD_PRELOAD=libvmmalloc.so VMMALLOC_POOL_DIR=... \
 *        VMMALLOC_POOL_SIZE=... VMMALLOC_FORK=m \
 *        vmmalloc_fork [-f forks] [-t threads] [-w] [-S seed]
 *   -w  fork from a worker thread instead of the main thread
 *
 * The forking thread keeps blocks with patterns.  Each child checks them,
 * then (modes 1-3) allocates, starts a thread that allocates, forks a
 * grandchild now and then, and scribbles over the inherited blocks; in
 * mode 0 (one shared heap) it only reads them and leaves without
 * allocating.  The parent waits with a deadline (a child that does not
 * end is a deadlock: killed and counted), then checks its blocks are
 * intact.  Every block must lie in the pool's mapping.  Prints TAP.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "../tap.h"
#include "common.h"

#define NKEEP 64
#define CHILD_DEADLINE 20.0

static unsigned Nforks = 100, Nthreads = 3;
static int From_worker, Mode = 1;
static uint64_t Seed;
static int Stop;	/* atomic: set by main, read by the workers */
#define STOP() __atomic_load_n(&Stop, __ATOMIC_RELAXED)
static uintptr_t Lo, Hi;	/* the pool's mapping */
static unsigned long C_outside, C_corrupt, C_deadlock, C_child_fail,
	C_allocs;
static unsigned Forks_done, Grandchildren;


#define ADD(c, v) __atomic_fetch_add(&(c), (v), __ATOMIC_RELAXED)

struct blk {
	char *p;
	size_t n;
	uint64_t tag;
};

/* in_pool -- whether [p, p + n) lies in the pool's mapping */
static int
in_pool(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	return a >= Lo && a <= Hi && (n ? n : 1) <= Hi - a;
}

/* new_blk -- a block with a pattern; 0 on failure */
static int
new_blk(struct blk *b, uint64_t *rs, uint64_t tag)
{
	size_t n = rnd(rs) % 4 == 0 ? rnd(rs) % 200000 : rnd(rs) % 512;
	char *p = malloc(n);
	if (p == NULL)
		return 0;
	ADD(C_allocs, 1);
	if (!in_pool(p, n))
		ADD(C_outside, 1);
	pat_fill(p, n, tag);
	*b = (struct blk){ p, n, tag };
	return 1;
}

/* allocator -- allocate, check, free until Stop */
static void *
allocator(void *arg)
{
	uint64_t rs = Seed + (uintptr_t)arg * 0x9E3779B97F4A7C15ULL;
	struct blk live[128];
	unsigned n = 0;
	uint64_t tag = (uintptr_t)arg << 40;
	while (!STOP()) {
		if (n < 128 && (n == 0 || rnd(&rs) % 2)) {
			if (new_blk(&live[n], &rs, tag++))
				n++;
		} else {
			unsigned i = (unsigned)(rnd(&rs) % n);
			if (pat_check(live[i].p, live[i].n, live[i].tag) !=
					live[i].n)
				ADD(C_corrupt, 1);
			if (rnd(&rs) % 4 == 0) {
				size_t m = rnd(&rs) % 5000;
				char *q = realloc(live[i].p, m + 1);
				if (q != NULL) {
					live[i].p = q;
					live[i].n = m + 1;
					pat_fill(q, m + 1, live[i].tag);
					if (!in_pool(q, m + 1))
						ADD(C_outside, 1);
				}
				continue;
			}
			free(live[i].p);
			live[i] = live[--n];
		}
	}
	while (n > 0)
		free(live[--n].p);
	return NULL;
}

/* child_thread -- a thread of the child: allocation must work there too */
static void *
child_thread(void *arg)
{
	(void) arg;
	for (int i = 0; i < 200; i++) {
		void *p = malloc((size_t)i * 37);
		if (p == NULL)
			return (void *)1;
		memset(p, 0x5a, (size_t)i * 37);
		free(p);
	}
	return NULL;
}

/* wait_deadline -- reap pid within s seconds; -1 (killed) if it hangs */
static int
wait_deadline(pid_t pid, double s, int *status)
{
	double t0 = now_s();
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -2;
		if (now_s() - t0 > s) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -1;
		}
		usleep(500);
	}
}

/* child -- check the inherited blocks; in modes 1-3 use the heap hard */
static int
child(struct blk *keep, unsigned nkeep, uint64_t *rs, int depth)
{
	alarm(30);	/* the parent kills us first; this is a backstop */
	for (unsigned i = 0; i < nkeep; i++)
		if (pat_check(keep[i].p, keep[i].n, keep[i].tag) != keep[i].n)
			return 10;
	if (Mode == 0)
		return 0;	/* one heap shared with the parent: hands off */
	int grandchild = 0;
	struct blk b[32];
	for (int i = 0; i < 320; i++) {
		size_t n = rnd(rs) % 2 ? rnd(rs) % 8192 : rnd(rs) % 256;
		struct blk *x = &b[i % 32];
		if (i >= 32) {
			if (pat_check(x->p, x->n, x->tag) != x->n)
				return 10;
			free(x->p);
		}
		x->p = malloc(n);
		if (x->p == NULL)
			return 11;
		if (!in_pool(x->p, n))
			return 14;
		x->n = n;
		x->tag = (uint64_t)i;
		pat_fill(x->p, n, x->tag);
	}
	for (int i = 0; i < 32; i++)
		free(b[i].p);
	pthread_t t;
	void *r = (void *)1;
	if (pthread_create(&t, NULL, child_thread, NULL) != 0)
		return 12;
	pthread_join(t, &r);
	if (r != NULL)
		return 12;
	if (depth == 0 && rnd(rs) % 8 == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(child(keep, nkeep, rs, 1) > 1);
		int st;
		if (g < 0 || wait_deadline(g, CHILD_DEADLINE / 2, &st) != 0 ||
				!WIFEXITED(st) || WEXITSTATUS(st) > 1)
			return 13;
		grandchild = 1;
	}
	/* the parent's copy must not see this */
	for (unsigned i = 0; i < nkeep; i++)
		memset(keep[i].p, 0xee, keep[i].n);
	for (unsigned i = 0; i < nkeep; i += 2)
		free(keep[i].p);
	return grandchild;	/* 0 or 1: success */
}

/* forker -- fork Nforks times, checking the children and our blocks */
static void *
forker(void *arg)
{
	(void) arg;
	uint64_t rs = Seed ^ 0xabcdef;
	struct blk keep[NKEEP];
	unsigned n = 0;
	uint64_t tag = 1;
	for (unsigned f = 0; f < Nforks; f++) {
		/* change the heap a little between forks */
		while (n < NKEEP && new_blk(&keep[n], &rs, tag++))
			n++;
		for (unsigned k = 0; k < 4 && n > 0; k++) {
			unsigned i = (unsigned)(rnd(&rs) % n);
			free(keep[i].p);
			keep[i] = keep[--n];
		}
		pid_t pid = fork();
		if (pid == 0)
			_exit(child(keep, n, &rs, 0));
		if (pid < 0) {
			DIAG("fork: %s", strerror(errno));
			ADD(C_child_fail, 1);
			continue;
		}
		int st = 0, w = wait_deadline(pid, CHILD_DEADLINE, &st);
		if (w == -1) {
			DIAG("fork %u: child %d did not end in %.0f s: "
				"deadlock, killed", f, (int)pid, CHILD_DEADLINE);
			ADD(C_deadlock, 1);
		} else if (w == 0 && WIFEXITED(st) && WEXITSTATUS(st) <= 1) {
			Grandchildren += WEXITSTATUS(st);
		} else {
			if (C_child_fail < 10)
				DIAG("fork %u: child %s %d", f,
					WIFSIGNALED(st) ? "killed by signal" :
					"exit status", WIFSIGNALED(st) ?
					WTERMSIG(st) : WEXITSTATUS(st));
			ADD(C_child_fail, 1);
		}
		for (unsigned i = 0; i < n; i++)
			if (pat_check(keep[i].p, keep[i].n, keep[i].tag) !=
					keep[i].n) {
				if (C_corrupt < 10)
					DIAG("fork %u: parent block %u changed "
						"by the child", f, i);
				ADD(C_corrupt, 1);
			}
		Forks_done++;
	}
	while (n > 0)
		free(keep[--n].p);
	return NULL;
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	int c;
	Seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	while ((c = getopt(argc, argv, "f:t:wS:")) != -1) {
		switch (c) {
		case 'f': Nforks = (unsigned)atoi(optarg); break;
		case 't': Nthreads = (unsigned)atoi(optarg); break;
		case 'w': From_worker = 1; break;
		case 'S': Seed = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	Seed |= 1;
	const char *m = getenv("VMMALLOC_FORK");
	Mode = m && *m ? atoi(m) : 1;
	watchdog(600);

	void *probe = malloc(1);
	char path[512];
	REQUIRE(probe != NULL && map_of(probe, &Lo, &Hi, path,
		sizeof(path)) == 0 && strstr(path, "(deleted)") != NULL,
		"malloc is served by a pool file (%s)", path);
	free(probe);
	DIAG("mode %d, pool [%#lx, %#lx) %s, %u forks from the %s thread, "
		"%u allocating threads, seed %llu", Mode, (unsigned long)Lo,
		(unsigned long)Hi, path, Nforks, From_worker ? "a worker" :
		"main", Nthreads, (unsigned long long)Seed);

	pthread_t *t = calloc(Nthreads, sizeof(*t));
	for (unsigned i = 0; i < Nthreads; i++)
		REQUIRE(pthread_create(&t[i], NULL, allocator,
			(void *)(uintptr_t)(i + 1)) == 0,
			"allocating thread %u started", i);
	double t0 = now_s();
	if (From_worker) {
		pthread_t ft;
		REQUIRE(pthread_create(&ft, NULL, forker, NULL) == 0,
			"forking worker started");
		pthread_join(ft, NULL);
	} else {
		forker(NULL);
	}
	double secs = now_s() - t0;
	__atomic_store_n(&Stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < Nthreads; i++)
		pthread_join(t[i], NULL);
	free(t);
	DIAG("mode %d: %u forks (%u grandchildren) in %.1f s (%.0f/s), "
		"%lu allocations", Mode, Forks_done, Grandchildren, secs,
		Forks_done / (secs > 0 ? secs : 1), C_allocs);
	CHECK(Forks_done == Nforks, "mode %d: %u forks done", Mode, Nforks);
	CHECK(C_deadlock == 0, "mode %d: no child deadlocked (%lu)", Mode,
		C_deadlock);
	CHECK(C_child_fail == 0, "mode %d: every child ended well "
		"(%lu did not)", Mode, C_child_fail);
	CHECK(C_corrupt == 0, "mode %d: no block of the parent changed (%lu)",
		Mode, C_corrupt);
	CHECK(C_outside == 0, "mode %d: every block in the pool (%lu outside)",
		Mode, C_outside);
	return done_testing();
}
