/*
 * vmem_pools.c -- many pools: hundreds alive at once, the maximum number
 * (creation fails cleanly past it and works again after a delete), the
 * engine's limit on thread caches, create/delete cycles that leak no
 * descriptor and no mapping, and pool files that are never visible.
 *
 * Usage: vmem_pools [many|max|caches|cycles|files]...  (none: all)
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvmem.h>
#include "tap.h"
#include "testutil.h"

/* MUST -- a precondition: silent when it holds, bail out when not */
#define MUST(expr, ...) do { if (!(expr)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir = "/dev/shm";

/* now -- seconds on the monotonic clock */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* maps_line -- the /proc/self/maps line of the mapping holding p */
static int
maps_line(const void *p, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return -1;
	char line[512];
	int ret = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 &&
				(uintptr_t)p >= a && (uintptr_t)p < b) {
			snprintf(out, len, "%s", line);
			out[strcspn(out, "\n")] = '\0';
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* test_many -- 300 pools of 14 MiB alive at once */
static void
test_many(void)
{
	enum { N = 300 };
	static VMEM *v[N];
	static char *s[N];
	double t0 = now();
	int created = 0;
	for (int i = 0; i < N; i++) {
		v[i] = vmem_create(Dir, VMEM_MIN_POOL);
		if (v[i] == NULL) {
			DIAG("pool %d: %s", i, vmem_errormsg());
			break;
		}
		created++;
		char buf[64];
		snprintf(buf, sizeof(buf), "pool %d", i);
		s[i] = vmem_strdup(v[i], buf);
	}
	CHECK(created == N, "many: %d of %d pools of 14 MiB alive at once",
		created, N);
	int ok = 1;
	for (int i = 0; i < created; i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "pool %d", i);
		ok &= s[i] != NULL && strcmp(s[i], buf) == 0;
	}
	CHECK(ok, "many: each pool keeps its own string");
	CHECK(created == 0 || (vmem_check(v[0]) == 1 &&
		vmem_check(v[created - 1]) == 1), "many: pools consistent");
	ok = 1;
	for (int i = 0; i < created; i++) {
		void *p = vmem_malloc(v[i], 8 << 20);
		ok &= p != NULL;
		vmem_free(v[i], p);
	}
	CHECK(ok, "many: every pool still takes an 8 MiB block");
	for (int i = 0; i < created; i++)
		vmem_delete(v[i]);
	DIAG("many: %d pools created, used and deleted in %.2f s", created,
		now() - t0);
}

/* test_max -- create until it fails, delete one, create again */
static void
test_max(void)
{
	enum { LIMIT = 4200 };
	size_t psize = VMEM_MIN_POOL;
	size_t len = (size_t)LIMIT * psize;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	MUST(m != MAP_FAILED, "reserve %zu bytes", len);
	static VMEM *v[LIMIT];
	double t0 = now();
	int n = 0, e = 0;
	char msg[256] = "";
	while (n < LIMIT) {
		errno = 0;
		v[n] = vmem_create_in_region(m + (size_t)n * psize, psize);
		if (v[n] == NULL) {
			e = errno;
			snprintf(msg, sizeof(msg), "%s", vmem_errormsg());
			break;
		}
		n++;
	}
	DIAG("max: %d pools alive at once (%.2f s); then errno %d, \"%s\"",
		n, now() - t0, e, msg);
	CHECK(n >= 4000 && n < LIMIT, "max: about 4093 pools (%d)", n);
	CHECK(e == EAGAIN, "max: the next create fails with EAGAIN (%d)", e);
	CHECK(strstr(msg, "too many pools") != NULL,
		"max: message says too many pools (\"%s\")", msg);
	int ok = 1;
	for (int i = 0; i < n; i += n / 16)
		ok &= vmem_check(v[i]) == 1;
	CHECK(ok, "max: the live pools are consistent");
	if (n > 10) {
		char *p = vmem_malloc(v[n - 1], 1000);
		CHECK(p != NULL, "max: the last pool allocates");
		vmem_free(v[n - 1], p);
		vmem_delete(v[5]);
		v[5] = vmem_create_in_region(m + 5 * psize, psize);
		CHECK(v[5] != NULL, "max: after a delete, create works again "
			"(%s)", v[5] ? "" : vmem_errormsg());
		errno = 0;
		VMEM *x = vmem_create_in_region(m + (size_t)n * psize, psize);
		CHECK(x == NULL && errno == EAGAIN,
			"max: and fails again at the limit");
		if (x)
			vmem_delete(x);
		char *q = vmem_malloc(v[5], 8 << 20);
		CHECK(q != NULL, "max: the re-created pool takes 8 MiB");
		vmem_free(v[5], q);
	}
	for (int i = 0; i < n; i++)
		if (v[i])
			vmem_delete(v[i]);
	/* all gone: the limit is back to where it was */
	VMEM *again = vmem_create(Dir, VMEM_MIN_POOL);
	CHECK(again != NULL, "max: a file pool after deleting them all");
	if (again)
		vmem_delete(again);
	munmap(m, len);
}

/* --- more thread caches than the engine allows --- */

enum { CPOOLS = 140, CTHREADS = 32 };
static VMEM *Cpool[CPOOLS];
static pthread_barrier_t Cbar;

/* cache_worker -- use every pool (one cache each), hold, free, exit */
static void *
cache_worker(void *arg)
{
	(void) arg;
	static __thread void *p[CPOOLS];
	uintptr_t failed = 0;
	for (int i = 0; i < CPOOLS; i++) {
		p[i] = vmem_malloc(Cpool[i], 100);
		failed += p[i] == NULL;
	}
	pthread_barrier_wait(&Cbar);	/* main counts the caches now */
	pthread_barrier_wait(&Cbar);
	for (int i = 0; i < CPOOLS; i++)
		vmem_free(Cpool[i], p[i]);
	return (void *)failed;
}

static char Stats[4096];

/* capture -- print function keeping the last statistics */
static void
capture(const char *s)
{
	size_t n = strlen(s), l = strlen(Stats);
	if (l + n < sizeof(Stats))
		memcpy(Stats + l, s, n + 1);
}

/* caches -- the live thread caches of vmp, from its statistics */
static int
caches(VMEM *vmp)
{
	Stats[0] = '\0';
	vmem_stats_print(vmp, "mbl");
	const char *s = strstr(Stats, "thread caches ");
	unsigned n;
	if (s == NULL || sscanf(s, "thread caches %u", &n) != 1)
		return -1;
	return (int)n;
}

/* test_caches -- past the engine's ~4094 caches threads run uncached */
static void
test_caches(void)
{
	size_t psize = (size_t)384 << 20;	/* 32 caches per pool */
	size_t len = (size_t)CPOOLS * psize;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	MUST(m != MAP_FAILED, "reserve");
	for (int i = 0; i < CPOOLS; i++) {
		Cpool[i] = vmem_create_in_region(m + (size_t)i * psize, psize);
		MUST(Cpool[i] != NULL, "region pool %d: %s", i,
			vmem_errormsg());
	}
	MUST(pthread_barrier_init(&Cbar, NULL, CTHREADS + 1) == 0, "barrier");
	pthread_t t[CTHREADS];
	for (int i = 0; i < CTHREADS; i++)
		MUST(pthread_create(&t[i], NULL, cache_worker, NULL) == 0,
			"pthread_create");
	pthread_barrier_wait(&Cbar);
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);
	int total = 0;
	for (int i = 0; i < CPOOLS; i++)
		total += caches(Cpool[i]);
	pthread_barrier_wait(&Cbar);
	uintptr_t failed = 0;
	for (int i = 0; i < CTHREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		failed += (uintptr_t)r;
	}
	DIAG("caches: %d (thread, pool) caches for %d requests", total,
		CPOOLS * CTHREADS);
	CHECK(failed == 0, "caches: %d threads x %d pools: every allocation "
		"succeeded past the engine's cache limit", CTHREADS, CPOOLS);
	CHECK(total > 4000 && total < CPOOLS * CTHREADS,
		"caches: the engine's limit was reached (%d live)", total);
	int left = 0;
	for (int i = 0; i < CPOOLS; i++)
		left += caches(Cpool[i]);
	CHECK(left == 0, "caches: none left after the threads exit (%d)",
		left);
	/* the caches are reusable: a new thread gets one again */
	pthread_barrier_destroy(&Cbar);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	for (int i = 0; i < CPOOLS; i++)
		vmem_delete(Cpool[i]);
	munmap(m, len);
}

/* test_cycles -- create/delete leaks no descriptor and no mapping */
static void
test_cycles(void)
{
	enum { N = 1000 };
	/* warm up: the first pool sets up the engine's own state */
	VMEM *w = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(w != NULL, "warm-up pool: %s", vmem_errormsg());
	vmem_free(w, vmem_malloc(w, 100));
	vmem_delete(w);
	int fd0 = dir_entries("/proc/self/fd");
	int map0 = file_lines("/proc/self/maps");
	double t0 = now();
	int ok = 1;
	for (int i = 0; i < N && ok; i++) {
		VMEM *v = vmem_create(Dir, VMEM_MIN_POOL + (size_t)(i % 4) *
			(1 << 20));
		if (v == NULL) {
			DIAG("cycle %d: %s", i, vmem_errormsg());
			ok = 0;
			break;
		}
		void *p = vmem_malloc(v, (size_t)(i % 7 + 1) * 1000);
		void *q = vmem_malloc(v, 3 << 20);
		ok &= p != NULL && q != NULL;
		vmem_free(v, p);
		/* q is left for delete to reclaim */
		vmem_delete(v);
	}
	int fd1 = dir_entries("/proc/self/fd");
	int map1 = file_lines("/proc/self/maps");
	CHECK(ok, "cycles: %d file pools created, used, deleted (%.2f s)", N,
		now() - t0);
	CHECK(fd1 == fd0, "cycles: open descriptors %d before, %d after",
		fd0, fd1);
	CHECK(map1 <= map0, "cycles: mappings %d before, %d after", map0,
		map1);

	/* and a pool holds no descriptor while it lives */
	VMEM *v = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(v != NULL, "pool");
	CHECK(dir_entries("/proc/self/fd") == fd0,
		"cycles: a live pool keeps no descriptor open");
	vmem_delete(v);

	/* region pools too */
	char *m = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(m != MAP_FAILED, "mmap");
	map0 = file_lines("/proc/self/maps");
	for (int i = 0; i < N; i++) {
		VMEM *r = vmem_create_in_region(m, 16 << 20);
		if (r == NULL) {
			ok = 0;
			break;
		}
		(void) vmem_malloc(r, 5000);
		vmem_delete(r);
	}
	map1 = file_lines("/proc/self/maps");
	CHECK(ok && map1 <= map0, "cycles: %d region pools, mappings %d "
		"before, %d after", N, map0, map1);
	munmap(m, 16 << 20);
}

/* test_files -- the pool file is never visible, mode 0600, nameless */
static void
test_files(void)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/vmem_pools.XXXXXX", Dir);
	MUST(mkdtemp(dir) != NULL, "mkdtemp in %s", Dir);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	MUST(in >= 0, "inotify_init1");
	MUST(inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO |
		IN_DELETE) >= 0, "inotify_add_watch");

	enum { N = 8 };
	VMEM *v[N];
	char *p[N];
	for (int i = 0; i < N; i++) {
		v[i] = vmem_create(dir, VMEM_MIN_POOL);
		MUST(v[i] != NULL, "pool in %s: %s", dir, vmem_errormsg());
		p[i] = vmem_malloc(v[i], 100);
	}
	CHECK(dir_entries(dir) == 0,
		"files: %d live pools, directory empty", N);
	char ev[4096];
	ssize_t got = read(in, ev, sizeof(ev));
	CHECK(got < 0 && errno == EAGAIN,
		"files: no name ever appeared in the directory (inotify: %zd)",
		got);

	char line[512] = "";
	CHECK(p[0] && maps_line(p[0], line, sizeof(line)) == 0 &&
		strstr(line, dir) != NULL && strstr(line, "(deleted)") != NULL,
		"files: maps shows a nameless file in the dir: %s", line);
	CHECK(strstr(line, " rw-s ") != NULL, "files: mapped MAP_SHARED");
	unsigned long a, b;
	MUST(sscanf(line, "%lx-%lx", &a, &b) == 2, "maps line");
	CHECK(a % (2 << 20) == 0, "files: mapping aligned to 2 MiB (%#lx)", a);
	CHECK(b - a == VMEM_MIN_POOL, "files: one mapping of the pool size");
	char mf[128];
	snprintf(mf, sizeof(mf), "/proc/self/map_files/%lx-%lx", a, b);
	struct stat st;
	if (stat(mf, &st) != 0) {
		SKIP("files: /proc/self/map_files not readable");
	} else {
		CHECK((st.st_mode & 07777) == 0600, "files: mode %04o",
			st.st_mode & 07777);
		CHECK(st.st_nlink == 0, "files: no link to the file (%lu)",
			(unsigned long)st.st_nlink);
		CHECK((size_t)st.st_size == VMEM_MIN_POOL &&
			(size_t)st.st_blocks * 512 >= VMEM_MIN_POOL,
			"files: size %lld, %lld blocks reserved up front",
			(long long)st.st_size, (long long)st.st_blocks);
	}
	for (int i = 0; i < N; i++)
		vmem_delete(v[i]);
	CHECK(maps_line((void *)a, line, sizeof(line)) != 0 ||
		strstr(line, dir) == NULL,
		"files: after delete the pool is no longer mapped");
	CHECK(dir_entries(dir) == 0, "files: directory empty after delete");
	got = read(in, ev, sizeof(ev));
	CHECK(got < 0 && errno == EAGAIN, "files: no event at delete either");
	close(in);
	CHECK(rmdir(dir) == 0, "files: the directory can be removed");
}

static const struct tap_group Groups[] = {
	{ "many", test_many }, { "max", test_max }, { "caches", test_caches },
	{ "cycles", test_cycles }, { "files", test_files },
};

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (getenv("TEST_DIR"))
		Dir = getenv("TEST_DIR");
	tap_groups(argc, argv, Groups, sizeof(Groups) / sizeof(Groups[0]));
	return done_testing();
}
