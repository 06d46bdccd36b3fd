/*
 * common.h -- helpers shared by the reliability programs: block patterns,
 * pool ranges, process counters (fds, mappings, address space), a
 * watchdog that turns a deadlock into a failure
 */
#ifndef STRESS_COMMON_H
#define STRESS_COMMON_H 1

#include <dirent.h>
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../testutil.h"

#include <libvmem.h>

/* rnd -- xorshift64*, one state per thread */
static inline uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* pat_word -- the 8 bytes at word i of a block tagged tag */
static inline uint64_t
pat_word(uint64_t tag, size_t i)
{
	uint64_t x = (tag + 1) * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL;
	return x ^ (x >> 31);
}

/* pat_fill -- write the pattern of tag into [p, p + n) */
__attribute__((unused))
static void
pat_fill(void *p, size_t n, uint64_t tag)
{
	unsigned char *c = p;
	size_t w = n / 8;
	for (size_t i = 0; i < w; i++) {
		uint64_t v = pat_word(tag, i);
		memcpy(c + i * 8, &v, 8);
	}
	if (n % 8) {
		uint64_t v = pat_word(tag, w);
		memcpy(c + w * 8, &v, n % 8);
	}
}

/*
 * pat_check -- offset of the first byte of [p, p + n) that differs from
 * the pattern of tag, or n when the block is intact
 */
__attribute__((unused))
static size_t
pat_check(const void *p, size_t n, uint64_t tag)
{
	const unsigned char *c = p;
	size_t w = n / 8;
	for (size_t i = 0; i < w; i++) {
		uint64_t v = pat_word(tag, i), g;
		memcpy(&g, c + i * 8, 8);
		if (g != v) {
			for (size_t j = 0; j < 8; j++)
				if (((g >> (8 * j)) & 0xff) != ((v >> (8 * j)) & 0xff))
					return i * 8 + j;
		}
	}
	if (n % 8) {
		uint64_t v = pat_word(tag, w);
		const unsigned char *vb = (const unsigned char *)&v;
		for (size_t j = 0; j < n % 8; j++)
			if (c[w * 8 + j] != vb[j])
				return w * 8 + j;
	}
	return n;
}

/* is_zero -- whether [p, p + n) reads as zero */
__attribute__((unused))
static int
is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

/* now_s -- monotonic seconds */
__attribute__((unused))
static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* count_fds -- open descriptors of this process */
__attribute__((unused))
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/* count_maps -- mappings of this process */
__attribute__((unused))
static int
count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* status_kb -- a "Name: N kB" field of /proc/self/status, -1 if absent */
__attribute__((unused))
static long
status_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return -1;
	char line[256];
	long v = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* the text of the last statistics printed through cap_print */
static char Cap_buf[1 << 16];
static size_t Cap_len;

/* cap_print -- a vmem_set_funcs print function that keeps the text */
__attribute__((unused))
static void
cap_print(const char *s)
{
	size_t n = strlen(s);
	if (Cap_len + n >= sizeof(Cap_buf))
		n = sizeof(Cap_buf) - Cap_len - 1;
	memcpy(Cap_buf + Cap_len, s, n);
	Cap_len += n;
	Cap_buf[Cap_len] = '\0';
}

/* json_num -- the number after "key": in the captured text, or -1 */
__attribute__((unused))
static long long
json_num(const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *s = strstr(Cap_buf, k);
	if (s == NULL)
		return -1;
	s += strlen(k);
	if (*s == '"')
		return strtoll(s + 1, NULL, 0);	/* "0x..." */
	return strtoll(s, NULL, 10);
}

/*
 * capture_stats -- statistics go to Cap_buf from now on; call it before
 * the first pool (vmem_set_funcs may only be called while no pool is in
 * use by another thread, see libvmem(7))
 */
__attribute__((unused))
static void
capture_stats(void)
{
	vmem_set_funcs(NULL, NULL, NULL, NULL, cap_print);
}

/*
 * pool_stats -- read the pool's JSON statistics: base, size, live thread
 * caches and allocated bytes (capture_stats must be in effect; one thread
 * at a time)
 */
__attribute__((unused))
static int
pool_stats(VMEM *vmp, uintptr_t *base, size_t *size, long *caches,
		long long *allocated)
{
	Cap_len = 0;
	Cap_buf[0] = '\0';
	vmem_stats_print(vmp, "blJ");
	long long b = json_num("base"), s = json_num("size");
	if (b <= 0 || s <= 0)
		return -1;
	if (base)
		*base = (uintptr_t)b;
	if (size)
		*size = (size_t)s;
	if (caches)
		*caches = (long)json_num("thread_caches");
	if (allocated)
		*allocated = json_num("allocated");
	return 0;
}

static unsigned Watchdog_s;

/* watchdog_fire -- the run took too long: say so, end with status 3 */
static void
watchdog_fire(int sig)
{
	(void) sig;
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "\nBail out! watchdog: no end "
			"after %u s (deadlock?)\n", Watchdog_s);
	if (write(1, msg, (size_t)n) < 0) {
		/* nothing more to say */
	}
	_exit(3);
}

/* crash_trace -- a fatal signal: say which, where, then die of it */
static void
crash_trace(int sig)
{
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "\nBail out! signal %d (%s) in "
			"thread %ld; backtrace:\n", sig, strsignal(sig),
			(long)gettid());
	if (write(1, msg, (size_t)n) < 0) {
		/* nothing more to say */
	}
	void *bt[64];
	int k = backtrace(bt, 64);
	backtrace_symbols_fd(bt, k, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * watchdog -- fail (not hang) when the program runs past s seconds; print
 * a backtrace on a crash
 */
__attribute__((unused))
static void
watchdog(unsigned s)
{
	void *bt[4];
	(void) backtrace(bt, 4);	/* load libgcc now, not in a handler */
	Watchdog_s = s;
	signal(SIGALRM, watchdog_fire);
	signal(SIGSEGV, crash_trace);
	signal(SIGBUS, crash_trace);
	signal(SIGABRT, crash_trace);
	signal(SIGILL, crash_trace);
	alarm(s);
}

/* test_dir -- the pool directory: TEST_DIR or /dev/shm */
__attribute__((unused))
static const char *
test_dir(void)
{
	const char *d = getenv("TEST_DIR");
	return d && *d ? d : "/dev/shm";
}

#endif /* STRESS_COMMON_H */
