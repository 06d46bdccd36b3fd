/*
 * vmtest.h -- small helpers of the libvmmalloc test programs
 *
 * The programs run with and without the shim.  vt_pool_range() finds the
 * pool in /proc/self/maps (the nameless file in VMMALLOC_POOL_DIR, shown
 * as "DIR/#NNN (deleted)" or "DIR/.vmem.XXXXXX (deleted)") without
 * allocating, so a program can tell whether a pointer came from the pool.
 * FAIL() prints one line on stderr and ends the program with status 1.
 */
#ifndef VMTEST_H
#define VMTEST_H 1

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAIL(...) do { fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);\
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); exit(1); } while (0)
#define ASSERT(expr) do { if (!(expr))\
	FAIL("assertion failed: %s (errno %d)", #expr, errno); } while (0)

static char vt_maps[1 << 20];

/* vt_read_maps -- /proc/self/maps into a static buffer, no allocation */
static inline size_t
vt_read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(vt_maps) - 1 &&
			(n = read(fd, vt_maps + len, sizeof(vt_maps) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	vt_maps[len] = '\0';
	return len;
}

/* vt_is_pool_name -- whether a maps path is the pool file of the shim */
static inline int
vt_is_pool_name(const char *name, size_t len)
{
	const char *dir = getenv("VMMALLOC_POOL_DIR");
	static const char del[] = " (deleted)";
	if (dir == NULL || *dir == '\0')
		return 0;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return len > dl + 1 + sizeof(del) - 1 &&
		strncmp(name, dir, dl) == 0 && name[dl] == '/' &&
		strncmp(name + len - (sizeof(del) - 1), del,
				sizeof(del) - 1) == 0;
}

/* vt_pool_range -- the pool's mapping(s): 0 found, -1 not mapped */
static inline int
vt_pool_range(uintptr_t *lo, uintptr_t *hi)
{
	int found = 0;
	*lo = *hi = 0;
	vt_read_maps();
	for (char *l = vt_maps; *l != '\0'; ) {
		char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		unsigned long a, b;
		int off = 0;
		if (sscanf(l, "%lx-%lx %*s %*s %*s %*s %n", &a, &b, &off) == 2 &&
				off > 0 && (size_t)off < len &&
				vt_is_pool_name(l + off, len - (size_t)off)) {
			if (!found || a < *lo)
				*lo = a;
			if (!found || b > *hi)
				*hi = b;
			found = 1;
		}
		l += len + (eol != NULL);
	}
	return found ? 0 : -1;
}

/* vt_pool_file -- the pool's path in maps and its permissions ("rw-s") */
static inline int
vt_pool_file(char *name, size_t len, char perms[5])
{
	vt_read_maps();
	for (char *l = vt_maps; *l != '\0'; ) {
		char *eol = strchr(l, '\n');
		size_t ll = eol ? (size_t)(eol - l) : strlen(l);
		int off = 0;
		char pm[5] = "";
		if (sscanf(l, "%*x-%*x %4s %*s %*s %*s %n", pm, &off) == 1 &&
				off > 0 && (size_t)off < ll &&
				vt_is_pool_name(l + off, ll - (size_t)off)) {
			size_t n = ll - (size_t)off < len - 1 ?
				ll - (size_t)off : len - 1;
			memcpy(name, l + off, n);
			name[n] = '\0';
			memcpy(perms, pm, 5);
			return 0;
		}
		l += ll + (eol != NULL);
	}
	return -1;
}

/* vt_in_pool -- whether ptr lies in the pool (maps read again each call) */
static inline int
vt_in_pool(const void *ptr)
{
	uintptr_t lo = 0, hi = 0;
	if (vt_pool_range(&lo, &hi) != 0)
		return 0;
	return (uintptr_t)ptr >= lo && (uintptr_t)ptr < hi;
}

/* vt_where -- "pool" or "not-pool": a word for the programs' reports */
static inline const char *
vt_where(const void *ptr)
{
	return vt_in_pool(ptr) ? "pool" : "not-pool";
}

#ifdef __cplusplus
}
#endif

#endif /* VMTEST_H */
