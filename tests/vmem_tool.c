/*
 * vmem_tool.c -- small libvmem programs the bats suites drive
 *
 *   create DIR SIZE [fill]  make a pool; print "ok used=N" (bytes the file
 *                           system lost while it lived) or "fail ERRNO MSG"
 *   two DIR SIZE1 SIZE2     a pool, then a second beside it (that may fail)
 *   stats OPTS              print a pool's statistics the default way
 *   error                   provoke one error and one call of each kind
 *   coexist                 who provides malloc; pool vs malloc addresses
 *   leak | overrun | lost-free | delete-live | region-live
 *                           memcheck scenarios (see valgrind suite)
 *   punch DIR               fill, free, force a purge; print file blocks
 *
 * Built twice: vmem_tool (libvmem only) and vmem_tool_je (also linked
 * with the distribution's libjemalloc.so.2, WITH_JEMALLOC).
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <libvmem.h>
#include "testutil.h"

#ifdef WITH_JEMALLOC
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
	size_t newlen);
#endif

/* errno_name -- the symbolic name of the errors the suites look for */
static const char *
errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EROFS: return "EROFS";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "other";
	}
}

/* used_bytes -- bytes in use on the file system of dir */
static long long
used_bytes(const char *dir)
{
	struct statvfs s;
	if (statvfs(dir, &s) != 0)
		return -1;
	return (long long)(s.f_blocks - s.f_bfree) * (long long)s.f_frsize;
}

/* cmd_create -- make a pool in dir, report, delete it */
static int
cmd_create(const char *dir, const char *size_s, int fill)
{
	size_t size = strtoull(size_s, NULL, 0);
	long long u0 = used_bytes(dir);
	errno = 0;
	VMEM *vmp = vmem_create(dir, size);
	if (vmp == NULL) {
		int e = errno;
		printf("fail %s %s\n", errno_name(e), vmem_errormsg());
		return 2;
	}
	long long u1 = used_bytes(dir);
	size_t n = 0;
	if (fill) {
		void *p;
		while ((p = vmem_malloc(vmp, 1 << 20)) != NULL) {
			memset(p, 0x5a, 1 << 20);
			n++;
		}
	}
	printf("ok used=%lld filled=%zu check=%d\n", u1 - u0, n,
		vmem_check(vmp));
	vmem_delete(vmp);
	return 0;
}

/* cmd_two -- a pool, then a second one beside it; the first must work */
static int
cmd_two(const char *dir, const char *s1, const char *s2)
{
	VMEM *a = vmem_create(dir, strtoull(s1, NULL, 0));
	if (a == NULL) {
		printf("fail first %s %s\n", errno_name(errno), vmem_errormsg());
		return 2;
	}
	char *p = vmem_malloc(a, 8 << 20);
	if (p)
		memset(p, 0x42, 8 << 20);
	errno = 0;
	VMEM *b = vmem_create(dir, strtoull(s2, NULL, 0));
	int e = errno;
	if (b == NULL)
		printf("second fail %s %s\n", errno_name(e), vmem_errormsg());
	else
		printf("second ok\n");
	int ok = p != NULL;
	for (size_t i = 0; p && i < (8 << 20); i += 4096)
		ok &= p[i] == 0x42;
	char *q = vmem_malloc(a, 1 << 20);
	printf("first intact %d more %d check %d\n", ok, q != NULL,
		vmem_check(a));
	if (b)
		vmem_delete(b);
	vmem_delete(a);
	return 0;
}

/* cmd_stats -- a pool with a few blocks; its statistics, default output */
static int
cmd_stats(const char *opts)
{
	VMEM *vmp = vmem_create("/dev/shm", VMEM_MIN_POOL);
	if (vmp == NULL) {
		printf("fail %s\n", vmem_errormsg());
		return 2;
	}
	void *p[10];
	for (int i = 0; i < 10; i++)
		p[i] = vmem_malloc(vmp, (size_t)(i + 1) * 1000);
	vmem_stats_print(vmp, opts);
	for (int i = 0; i < 10; i++)
		vmem_free(vmp, p[i]);
	vmem_delete(vmp);
	printf("pid %d\n", (int)getpid());
	return 0;
}

/* cmd_error -- one error, then one call of each kind */
static int
cmd_error(void)
{
	(void) vmem_create("/dev/shm", 0);
	VMEM *vmp = vmem_create("/dev/shm", VMEM_MIN_POOL);
	if (vmp == NULL)
		return 2;
	void *p = vmem_malloc(vmp, 4242);
	p = vmem_realloc(vmp, p, 5353);
	vmem_free(vmp, p);
	vmem_delete(vmp);
	printf("pid %d\n", (int)getpid());
	return 0;
}

/* cmd_coexist -- the program's malloc and the pools never meet */
static int
cmd_coexist(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	if (sym == NULL || dladdr(sym, &info) == 0) {
		printf("fail dladdr\n");
		return 2;
	}
	const char *lib = strrchr(info.dli_fname, '/');
	printf("malloc from %s\n", lib ? lib + 1 : info.dli_fname);
#ifdef WITH_JEMALLOC
	const char *ver = "";
	size_t vlen = sizeof(ver);
	unsigned na0 = 0, na1 = 0;
	size_t ulen = sizeof(na0);
	mallctl("version", &ver, &vlen, NULL, 0);
	mallctl("arenas.narenas", &na0, &ulen, NULL, 0);
	printf("stock jemalloc %s\n", ver);
#endif
	enum { NP = 3, N = 2000 };
	VMEM *v[NP];
	uintptr_t lo[NP], hi[NP];
	char name[256];
	for (int i = 0; i < NP; i++) {
		v[i] = vmem_create("/dev/shm", VMEM_MIN_POOL);
		void *p = v[i] ? vmem_malloc(v[i], 10) : NULL;
		if (p == NULL || map_of(p, &lo[i], &hi[i], name,
				sizeof(name)) != 0) {
			printf("fail pool %d: %s\n", i, vmem_errormsg());
			return 2;
		}
		vmem_free(v[i], p);
	}
	static void *pm[N], *pv[N];
	int bad_pool = 0, bad_malloc = 0, bad_data = 0;
	for (int k = 0; k < N; k++) {
		int i = k % NP;
		size_t n = 1 + (size_t)(k * 37 % 20000);
		pm[k] = malloc(n);
		pv[k] = vmem_malloc(v[i], n);
		if (pm[k] == NULL || pv[k] == NULL) {
			printf("fail allocation %d\n", k);
			return 2;
		}
		memset(pm[k], 0x11, n);
		memset(pv[k], 0x22, n);
		if ((uintptr_t)pv[k] < lo[i] || (uintptr_t)pv[k] + n > hi[i])
			bad_pool++;
		for (int j = 0; j < NP; j++)
			if ((uintptr_t)pm[k] + n > lo[j] &&
					(uintptr_t)pm[k] < hi[j])
				bad_malloc++;
		if (malloc_usable_size(pm[k]) < n ||
				vmem_malloc_usable_size(v[i], pv[k]) < n)
			bad_data++;
	}
	for (int k = 0; k < N; k++) {
		size_t n = 1 + (size_t)(k * 37 % 20000);
		unsigned char *a = pm[k], *b = pv[k];
		if (a[n - 1] != 0x11 || b[n - 1] != 0x22)
			bad_data++;
		free(pm[k]);
		vmem_free(v[k % NP], pv[k]);
	}
	/* malloc_usable_size of a pool block is glibc's (or stock je's) */
	printf("pool blocks outside their pool: %d\n", bad_pool);
	printf("malloc blocks inside a pool: %d\n", bad_malloc);
	printf("damaged blocks: %d\n", bad_data);
#ifdef WITH_JEMALLOC
	mallctl("arenas.narenas", &na1, &ulen, NULL, 0);
	printf("stock jemalloc arenas before %u after %u\n", na0, na1);
#else
	struct mallinfo2 mi = mallinfo2();
	printf("glibc mallinfo2 arena %zu\n", mi.arena);
#endif
	for (int i = 0; i < NP; i++) {
		printf("check %d\n", vmem_check(v[i]));
		vmem_delete(v[i]);
	}
	printf("done\n");
	return 0;
}

/* leak_some -- allocate and drop the pointer (a real leak) */
__attribute__((noinline))
static void
leak_some(VMEM *vmp)
{
	char *p = vmem_malloc(vmp, 4321);
	if (p)
		memset(p, 1, 4321);
	p = NULL;
}

/* cmd_vg -- memcheck scenarios on a pool */
static int
cmd_vg(const char *what)
{
	char *region = NULL;
	VMEM *vmp;
	if (strcmp(what, "region-live") == 0) {
		region = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		vmp = vmem_create_in_region(region, 16 << 20);
	} else {
		vmp = vmem_create("/dev/shm", VMEM_MIN_POOL);
	}
	if (vmp == NULL)
		return 2;
	if (strcmp(what, "leak") == 0) {
		/* the pool lives on; a block nobody points to is lost */
		leak_some(vmp);
		return 0;
	}
	if (strcmp(what, "overrun") == 0) {
		char *p = vmem_malloc(vmp, 100);
		volatile char *q = p;
		q[100] = 1;	/* one byte past the end */
		vmem_free(vmp, p);
		vmem_delete(vmp);
		return 0;
	}
	if (strcmp(what, "use-after-free") == 0) {
		char *p = vmem_malloc(vmp, 100);
		vmem_free(vmp, p);
		volatile char *q = p;
		q[10] = 1;
		vmem_delete(vmp);
		return 0;
	}
	if (strcmp(what, "delete-live") == 0 ||
			strcmp(what, "region-live") == 0) {
		/* blocks never freed one by one: delete frees them all */
		for (int i = 0; i < 50; i++) {
			char *p = vmem_malloc(vmp, (size_t)(i + 1) * 100);
			if (p)
				memset(p, 2, (size_t)(i + 1) * 100);
		}
		char *c = vmem_calloc(vmp, 10, 10);
		char *r = vmem_realloc(vmp, vmem_malloc(vmp, 10), 20000);
		(void) c; (void) r;
		vmem_delete(vmp);
		if (region) {
			region[0] = 1;	/* the region is the caller's again */
			munmap(region, 16 << 20);
		}
		/* a pool at the same place, used again */
		vmp = vmem_create("/dev/shm", VMEM_MIN_POOL);
		char *p = vmp ? vmem_malloc(vmp, 64) : NULL;
		if (p == NULL)
			return 2;
		memset(p, 3, 64);
		vmem_free(vmp, p);
		vmem_delete(vmp);
		return 0;
	}
	return 2;
}

/* file_blocks -- bytes the pool's file occupies, via map_files */
static long long
file_blocks(const void *p)
{
	uintptr_t lo, hi;
	char name[256], path[128];
	if (map_of(p, &lo, &hi, name, sizeof(name)) != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		(unsigned long)lo, (unsigned long)hi);
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (long long)st.st_blocks * 512;
}

/* cmd_punch -- fill with written blocks, free, force a purge */
static int
cmd_punch(const char *dir)
{
	VMEM *vmp = vmem_create(dir, 32 << 20);
	if (vmp == NULL) {
		printf("fail %s\n", vmem_errormsg());
		return 2;
	}
	void *p[64];
	int n = 0;
	while (n < 64 && (p[n] = vmem_malloc(vmp, 1 << 20)) != NULL)
		memset(p[n++], 0x7f, 1 << 20);
	long long full = file_blocks(p[0]);
	void *keep = vmem_malloc(vmp, 100);
	for (int i = 0; i < n; i++)
		vmem_free(vmp, p[i]);
	/* a request that cannot fit makes libvmem purge the arena */
	void *big = vmem_malloc(vmp, 64 << 20);
	long long after = file_blocks(keep);
	void *z = vmem_calloc(vmp, 1, 20 << 20);
	int zero = z != NULL;
	for (size_t i = 0; z && i < (20 << 20); i += 4096)
		zero &= ((char *)z)[i] == 0;
	printf("blocks %d full %lld after %lld big %s calloc-zero %d\n", n,
		full, after, big ? "yes" : "no", zero);
	vmem_delete(vmp);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	const char *c = argv[1];
	if (strcmp(c, "create") == 0 && argc >= 4)
		return cmd_create(argv[2], argv[3], argc > 4);
	if (strcmp(c, "two") == 0 && argc >= 5)
		return cmd_two(argv[2], argv[3], argv[4]);
	if (strcmp(c, "stats") == 0)
		return cmd_stats(argc > 2 ? argv[2] : NULL);
	if (strcmp(c, "error") == 0)
		return cmd_error();
	if (strcmp(c, "coexist") == 0)
		return cmd_coexist();
	if (strcmp(c, "punch") == 0 && argc > 2)
		return cmd_punch(argv[2]);
	return cmd_vg(c);
}
