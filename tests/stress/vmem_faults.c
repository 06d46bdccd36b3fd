/*
 * vmem_faults.c -- libvmem when the system says no: a full file system,
 * punched pages that fault on a full file system, no descriptor left, no
 * address space, mmap failing at the n-th call, a custom malloc failing at
 * the n-th call, SIGKILL in the middle of vmem_create
 *
 * Usage: vmem_faults TEST DIR [arg]
 *   enospc DIR MB     DIR is a file system smaller than MB MiB
 *   punch DIR         VMEM_PUNCH_HOLES=1; DIR a small file system: what a
 *                     refault on a full file system does (SIGBUS)
 *   emfile DIR        RLIMIT_NOFILE at the open descriptors
 *   rlimit-as DIR     RLIMIT_AS just above what the process uses
 *   mmap-nth DIR      the n-th mmap fails, for every n
 *   funcs DIR         the n-th custom malloc fails, for every n
 *   kill DIR [N]      SIGKILL a pool creator at random moments, N times
 *   kill-fallback DIR [N]  the same without O_TMPFILE (mkstemp + unlink)
 *   hold DIR          make a pool, print "ready <pid> <base> <size>", wait
 *                     for end of input
 * Prints TAP.  The program defines open() and mmap() itself, so that
 * libvmem's calls can be made to fail; they forward to the system calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../tap.h"
#include "common.h"

#define MUST(cond, ...) do { if (!(cond)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir;

/* --- system calls that can be made to fail ---------------------------- */

static volatile int No_tmpfile;		/* open(O_TMPFILE) -> EOPNOTSUPP */
static volatile long Mmap_fail_at;	/* 0: never */
static volatile long Mmap_calls;

/* open -- the system call, or EOPNOTSUPP for O_TMPFILE when asked */
int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (No_tmpfile && (flags & __O_TMPFILE) == __O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* mmap -- the system call, failing (ENOMEM) at call Mmap_fail_at */
void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long n = __atomic_add_fetch(&Mmap_calls, 1, __ATOMIC_RELAXED);
	if (Mmap_fail_at != 0 && n == Mmap_fail_at) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* --- helpers ------------------------------------------------------------ */

/* fs_free -- free bytes of the file system holding path */
static unsigned long long
fs_free(const char *path)
{
	struct statvfs s;
	if (statvfs(path, &s) != 0)
		return 0;
	return (unsigned long long)s.f_bavail * s.f_frsize;
}

/* clean_error -- r is NULL with errno and a message: a clean failure */
static int
clean_error(const void *r, int e)
{
	return r == NULL && e != 0 && vmem_errormsg()[0] != '\0';
}

/* usable -- the library still works: a pool, blocks, delete */
static int
usable(void)
{
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL);
	if (vmp == NULL)
		return 0;
	char *p = vmem_malloc(vmp, 1 << 20), *q = vmem_malloc(vmp, 100);
	int ok = p != NULL && q != NULL;
	if (p)
		memset(p, 1, 1 << 20);
	vmem_free(vmp, p);
	vmem_free(vmp, q);
	vmem_delete(vmp);
	return ok;
}

/* --- the tests -------------------------------------------------------- */

/* t_enospc -- a pool larger than the file system */
static void
t_enospc(size_t mb)
{
	unsigned long long before = fs_free(Dir);
	errno = 0;
	VMEM *vmp = vmem_create(Dir, mb << 20);
	int e = errno;
	CHECK(vmp == NULL && e == ENOSPC, "enospc: vmem_create(%zu MiB) on "
		"%llu KiB free: NULL, ENOSPC (errno %d)", mb, before >> 10, e);
	CHECK(strstr(vmem_errormsg(), Dir) != NULL, "enospc: message names "
		"the directory: \"%s\"", vmem_errormsg());
	CHECK(dir_entries(Dir) == 0, "enospc: nothing left in %s", Dir);
	CHECK(fs_free(Dir) == before, "enospc: the space is given back "
		"(%llu -> %llu KiB free)", before >> 10, fs_free(Dir) >> 10);
	if (vmp)
		vmem_delete(vmp);
	if (before >= VMEM_MIN_POOL + (1 << 20))
		CHECK(usable(), "enospc: a pool that fits works afterwards");
	else
		SKIP("the file system has no room for a 14 MiB pool");
}

/* punch_child -- fill, free, purge, fill the fs, touch the pool again */
static int
punch_child(int pfd)
{
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL);
	if (vmp == NULL)
		return 20;
	unsigned long long f0 = fs_free(Dir);
	char *b[64];
	int n = 0;
	while (n < 64 && (b[n] = vmem_malloc(vmp, 512 << 10)) != NULL)
		memset(b[n++], 0xab, 512 << 10);
	unsigned long long ff = fs_free(Dir);
	for (int i = 0; i < n; i++)
		vmem_free(vmp, b[i]);
	/* a request that cannot fit makes the pool purge: the holes */
	(void) vmem_malloc(vmp, (size_t)1 << 40);
	unsigned long long f1 = fs_free(Dir);
	/* fill the file system */
	char path[4096];
	snprintf(path, sizeof(path), "%s/filler", Dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	static char junk[1 << 16];
	memset(junk, 1, sizeof(junk));
	while (fd >= 0 && write(fd, junk, sizeof(junk)) > 0)
		;
	unsigned long long f2 = fs_free(Dir);
	char line[256];
	int len = snprintf(line, sizeof(line), "%d %llu %llu %llu %llu\n", n,
		f0 >> 10, ff >> 10, f1 >> 10, f2 >> 10);
	if (write(pfd, line, (size_t)len) < 0)
		return 21;
	/* now the pool's punched pages need space that is not there */
	for (int i = 0; i < n; i++) {
		char *p = vmem_malloc(vmp, 512 << 10);
		if (p == NULL)
			return 22;
		memset(p, 0xcd, 512 << 10);	/* SIGBUS expected here */
	}
	return 0;
}

/* t_punch -- what a write to a punched page does on a full file system */
static void
t_punch(void)
{
	const char *v = getenv("VMEM_PUNCH_HOLES");
	if (v == NULL || strcmp(v, "1") != 0) {
		SKIP("VMEM_PUNCH_HOLES=1 not set");
		return;
	}
	int pfd[2];
	MUST(pipe(pfd) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		_exit(punch_child(pfd[1]));
	}
	close(pfd[1]);
	char line[256] = "";
	ssize_t r = read(pfd[0], line, sizeof(line) - 1);
	line[r > 0 ? r : 0] = '\0';
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	int n = 0;
	unsigned long long f0 = 0, ff = 0, f1 = 0, f2 = 0;
	sscanf(line, "%d %llu %llu %llu %llu", &n, &f0, &ff, &f1, &f2);
	DIAG("punch: file system free: %llu KiB after vmem_create (the "
		"engine's first free already punched), %llu KiB with %d blocks "
		"of 512 KiB written, %llu KiB after free and purge, %llu KiB "
		"after filling it", f0, ff, n, f1, f2);
	CHECK(f1 >= ff + (unsigned long long)n * 512 * 3 / 4, "punch: freed "
		"pool pages go back to the file system (%+lld KiB)",
		(long long)(f1 - ff));
	const char *how = WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) :
		"exited";
	DIAG("punch: refault on a full file system: child %s (status %d)",
		how, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "punch: a write to "
		"a punched page on a full file system gets SIGBUS (the "
		"documented trade-off of VMEM_PUNCH_HOLES)");
	char path[4096];
	snprintf(path, sizeof(path), "%s/filler", Dir);
	unlink(path);
	CHECK(dir_entries(Dir) == 0, "punch: no pool file left behind");
}

/* t_emfile -- no descriptor left for the pool file */
static void
t_emfile(void)
{
	struct rlimit old, lim;
	getrlimit(RLIMIT_NOFILE, &old);
	int fds = count_fds();
	/* every descriptor below the limit in use: the lowest free one */
	int hi = fcntl(0, F_DUPFD, 0);
	MUST(hi >= 0, "dup");
	close(hi);
	hi--;
	lim.rlim_cur = (rlim_t)hi + 1;
	lim.rlim_max = old.rlim_max;
	MUST(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit NOFILE");
	errno = 0;
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL);
	int e = errno;
	MUST(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit back");
	CHECK(vmp == NULL && e == EMFILE, "emfile: vmem_create with no "
		"descriptor left (limit %d, %d open): NULL, EMFILE (errno %d)",
		hi + 1, fds, e);
	CHECK(strstr(vmem_errormsg(), "descriptors") != NULL ||
		strstr(vmem_errormsg(), "files") != NULL ||
		vmem_errormsg()[0] != '\0', "emfile: a message: \"%s\"",
		vmem_errormsg());
	CHECK(count_fds() == fds, "emfile: no descriptor leaked (%d -> %d)",
		fds, count_fds());
	if (vmp)
		vmem_delete(vmp);
	/* a pool holds no descriptor: 100 pools at the same limit */
	VMEM *v[100];
	int made = 0;
	MUST(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ (rlim_t)hi + 2,
		old.rlim_max }) == 0, "setrlimit NOFILE");
	for (int i = 0; i < 100; i++)
		if ((v[made] = vmem_create(Dir, VMEM_MIN_POOL)) != NULL)
			made++;
	MUST(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit back");
	CHECK(made == 100, "emfile: 100 pools with one spare descriptor "
		"(%d made: %s)", made, made < 100 ? vmem_errormsg() : "");
	while (made > 0)
		vmem_delete(v[--made]);
	CHECK(usable(), "emfile: the library works afterwards");
	CHECK(dir_entries(Dir) == 0, "emfile: nothing left in %s", Dir);
}

/* t_rlimit_as -- no address space for the pool */
static void
t_rlimit_as(void)
{
	struct rlimit old, lim;
	getrlimit(RLIMIT_AS, &old);
	long vm = status_kb("VmSize");
	lim.rlim_cur = (rlim_t)(vm + 8 * 1024) * 1024;	/* 8 MiB to spare */
	lim.rlim_max = old.rlim_max;
	MUST(setrlimit(RLIMIT_AS, &lim) == 0, "setrlimit AS");
	errno = 0;
	VMEM *vmp = vmem_create(Dir, (size_t)64 << 20);
	int e = errno;
	const char *msg = vmem_errormsg();
	char m[256];
	snprintf(m, sizeof(m), "%s", msg);
	/* the limit in 1 MiB steps: every outcome must be clean */
	int ok = 0, clean = 0, tries = 0;
	for (long extra = 8; extra <= 160; extra += 2) {
		lim.rlim_cur = (rlim_t)(vm + extra * 1024) * 1024;
		setrlimit(RLIMIT_AS, &lim);
		tries++;
		errno = 0;
		VMEM *v = vmem_create(Dir, (size_t)64 << 20);
		if (v == NULL) {
			clean += clean_error(v, errno);
			continue;
		}
		ok++;
		clean++;
		for (int i = 0; i < 50; i++) {
			void *p = vmem_malloc(v, (size_t)(i * 997) % 300000);
			if (p == NULL && errno != ENOMEM)
				clean--;
		}
		vmem_delete(v);
	}
	MUST(setrlimit(RLIMIT_AS, &old) == 0, "setrlimit back");
	CHECK(vmp == NULL && e == ENOMEM, "rlimit-as: 64 MiB pool with 8 MiB "
		"of address space left: NULL, ENOMEM (errno %d)", e);
	CHECK(m[0] != '\0', "rlimit-as: a message: \"%s\"", m);
	DIAG("rlimit-as: limit VmSize + 8..160 MiB: %d of %d creates worked",
		ok, tries);
	CHECK(clean == tries, "rlimit-as: every failure clean (%d of %d)",
		clean, tries);
	CHECK(usable(), "rlimit-as: the library works afterwards");
	CHECK(dir_entries(Dir) == 0, "rlimit-as: nothing left in %s", Dir);
}

/* scenario_thread -- a thread's share of a scenario: allocate, exit */
static void *
scenario_thread(void *arg)
{
	VMEM *vmp = arg;
	void *p = vmem_malloc(vmp, 64);
	if (p == NULL && (errno != ENOMEM || !vmem_errormsg()[0]))
		return (void *)1;
	vmem_free(vmp, p);
	return NULL;
}

/* scenario -- create, allocate (small, large, aligned), a thread, stats,
 * delete; 0 when every step either worked or failed cleanly */
static int
scenario(int *steps_ok)
{
	int bad = 0, good = 0;
	errno = 0;
	VMEM *vmp = vmem_create(Dir, (size_t)32 << 20);
	if (vmp == NULL) {
		*steps_ok = 0;
		return clean_error(vmp, errno) ? 0 : 1;
	}
	good++;
	static const size_t sizes[] = { 8, 100, 3000, 20000, 1 << 20,
		5 << 20, 0 };
	void *keep[16];
	int nk = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		void *p = vmem_malloc(vmp, sizes[i]);
		if (p == NULL) {
			bad += !(errno == ENOMEM && vmem_errormsg()[0]);
			continue;
		}
		good++;
		memset(p, 0x11, sizes[i]);
		keep[nk++] = p;
	}
	void *a = vmem_aligned_alloc(vmp, 1 << 16, 1 << 16);
	if (a != NULL)
		keep[nk++] = a;
	else
		bad += errno != ENOMEM;
	pthread_t t;
	void *r = NULL;
	if (pthread_create(&t, NULL, scenario_thread, vmp) == 0) {
		pthread_join(t, &r);
		bad += r != NULL;
	}
	while (nk > 0)
		vmem_free(vmp, keep[--nk]);
	bad += vmem_check(vmp) != 1;
	vmem_delete(vmp);
	*steps_ok = good;
	return bad;
}

/* run_in_thread -- a scenario in a thread that exits: nothing of the
 * library's per-thread state stays with the caller */
static void *
scenario_runner(void *arg)
{
	int *res = arg;
	res[0] = scenario(&res[1]);
	return NULL;
}

static int
run_scenario(int *steps_ok)
{
	int res[2] = { 1, 0 };
	pthread_t t;
	MUST(pthread_create(&t, NULL, scenario_runner, res) == 0, "thread");
	pthread_join(t, NULL);
	*steps_ok = res[1];
	return res[0];
}

/*
 * cold_child -- in a new process (the engine not started yet), fail call
 * n of mmap (kind 0) or of the custom malloc (kind 1) during a scenario;
 * exit 0 clean and usable afterwards, 1 unclean, 2 unusable, 3 file left,
 * 4 unbalanced custom malloc; 10 + calls made when n was never reached
 */
static void f_set(long n);
static long f_calls(void);
static long F_live;

static int
cold_child(int kind, long n)
{
	int steps, ret = 0;
	if (kind == 0) {
		Mmap_calls = 0;
		Mmap_fail_at = n;
	} else {
		f_set(n);
	}
	int bad = run_scenario(&steps);
	long calls = kind == 0 ? Mmap_calls : f_calls();
	Mmap_fail_at = 0;
	if (kind == 1) {
		if (F_live != 0)
			ret = 4;
		f_set(0);
	}
	if (bad)
		return 1;
	if (ret)
		return ret;
	if (!usable())
		return 2;
	if (dir_entries(Dir) != 0)
		return 3;
	if (calls < n)
		return calls > 200 ? 255 : (int)(10 + calls);
	return 0;
}

/* cold_sweep -- cold_child for n = 1, 2, ... until n is never reached */
static void
cold_sweep(int kind, const char *what)
{
	int count[5] = { 0 };
	long n;
	for (n = 1; n < 200; n++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(cold_child(kind, n));
		MUST(pid > 0, "fork");
		int st;
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st)) {
			DIAG("%s cold: failing call %ld killed the process "
				"(%s)", what, n, strsignal(WTERMSIG(st)));
			count[1]++;
			continue;
		}
		int e = WEXITSTATUS(st);
		if (e >= 10) {
			DIAG("%s cold: a fresh process makes %d calls", what,
				e - 10);
			break;
		}
		if (e > 0) {
			DIAG("%s cold: failing call %ld: %s", what, n,
				e == 1 ? "unclean error or crash" : e == 2 ?
				"library unusable afterwards" : e == 3 ?
				"file left on disk" : "custom malloc unbalanced");
			count[e]++;
		}
	}
	CHECK(count[1] == 0, "%s cold: each of %ld failure points in a fresh "
		"process gave clean errors (%d did not)", what, n - 1,
		count[1]);
	CHECK(count[2] == 0 && count[3] == 0 && count[4] == 0, "%s cold: "
		"usable, nothing on disk, balanced after each (%d, %d, %d "
		"not)", what, count[2], count[3], count[4]);
}

/* t_mmap_nth -- mmap fails at its n-th call, for every n */
static void
t_mmap_nth(void)
{
	int steps;
	cold_sweep(0, "mmap-nth");
	Mmap_fail_at = 0;
	Mmap_calls = 0;
	MUST(run_scenario(&steps) == 0, "mmap-nth: the scenario runs");
	long total = Mmap_calls;
	DIAG("mmap-nth: the scenario makes %ld mmap calls", total);
	int unclean = 0, left = 0, unusable = 0;
	long n;
	for (n = 1; n <= total + 2; n++) {
		Mmap_calls = 0;
		Mmap_fail_at = n;
		int bad = run_scenario(&steps);
		Mmap_fail_at = 0;
		if (bad) {
			unclean++;
			DIAG("mmap-nth: failing mmap call %ld: %d unclean "
				"results (%s)", n, bad, vmem_errormsg());
		}
		if (dir_entries(Dir) != 0)
			left++;
		if (!usable()) {
			unusable++;
			DIAG("mmap-nth: after failing call %ld the library "
				"does not work: %s", n, vmem_errormsg());
		}
	}
	CHECK(unclean == 0, "mmap-nth: each of %ld failing mmap calls gave "
		"clean errors (%d did not)", n - 1, unclean);
	CHECK(unusable == 0, "mmap-nth: the library works after each (%d "
		"not)", unusable);
	CHECK(left == 0, "mmap-nth: nothing left on disk (%d times)", left);
}

/* the counting allocator of t_funcs */
static long F_calls, F_fail_at, F_failed;

static void *
f_malloc(size_t n)
{
	if (__atomic_add_fetch(&F_calls, 1, __ATOMIC_RELAXED) == F_fail_at) {
		F_failed++;
		return NULL;
	}
	void *p = malloc(n);
	if (p)
		__atomic_add_fetch(&F_live, 1, __ATOMIC_RELAXED);
	return p;
}

static void
f_free(void *p)
{
	if (p)
		__atomic_sub_fetch(&F_live, 1, __ATOMIC_RELAXED);
	free(p);
}

static void *
f_realloc(void *p, size_t n)
{
	if (__atomic_add_fetch(&F_calls, 1, __ATOMIC_RELAXED) == F_fail_at) {
		F_failed++;
		return NULL;
	}
	void *q = realloc(p, n);
	if (q && !p)
		__atomic_add_fetch(&F_live, 1, __ATOMIC_RELAXED);
	return q;
}

static char *
f_strdup(const char *s)
{
	char *p = f_malloc(strlen(s) + 1);
	if (p)
		strcpy(p, s);
	return p;
}

static void
f_print(const char *s)
{
	(void) s;
}

/* f_set -- start counting the custom allocator's calls; fail call n */
static void
f_set(long n)
{
	if (n != 0)
		vmem_set_funcs(f_malloc, f_free, f_realloc, f_strdup, f_print);
	else
		vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	F_calls = 0;
	F_live = 0;
	F_failed = 0;
	F_fail_at = n;
}

/* f_calls -- calls of the custom allocator since f_set */
static long
f_calls(void)
{
	return F_calls;
}

/* t_funcs -- the custom malloc fails at its n-th call, for every n */
static void
t_funcs(void)
{
	cold_sweep(1, "funcs");
	int steps, full;
	vmem_set_funcs(f_malloc, f_free, f_realloc, f_strdup, f_print);
	F_calls = 0;
	F_fail_at = 0;
	MUST(run_scenario(&full) == 0, "funcs: the scenario runs");
	long total = F_calls;
	CHECK(F_live == 0, "funcs: every block of the custom malloc freed "
		"by delete and thread exit (%ld live)", F_live);
	DIAG("funcs: the scenario makes %ld calls of the custom allocator",
		total);
	int unclean = 0, unbalanced = 0, unusable = 0, failed_steps = 0;
	long n;
	for (n = 1; n <= total + 2; n++) {
		F_calls = 0;
		F_live = 0;
		F_failed = 0;
		F_fail_at = n;
		int bad = run_scenario(&steps);
		F_fail_at = 0;
		failed_steps += steps < full;
		if (bad) {
			unclean++;
			DIAG("funcs: failing call %ld: %d unclean results", n,
				bad);
		}
		if (F_live != 0) {
			unbalanced++;
			DIAG("funcs: failing call %ld: %ld blocks of the custom "
				"malloc never freed", n, F_live);
		}
		if (!usable())
			unusable++;
	}
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	DIAG("funcs: %ld failure points, %d of them made a step fail", n - 1,
		failed_steps);
	CHECK(failed_steps > 0, "funcs: the failures reached the library");
	CHECK(unclean == 0, "funcs: each failing call gave clean errors (%d "
		"did not)", unclean);
	CHECK(unbalanced == 0, "funcs: custom malloc and free balanced each "
		"time (%d not)", unbalanced);
	CHECK(unusable == 0, "funcs: the library works after each (%d not)",
		unusable);
	CHECK(dir_entries(Dir) == 0, "funcs: nothing left on disk");
}

/* t_kill -- SIGKILL a creator at random moments; the directory stays empty */
static void
t_kill(long rounds, int fallback)
{
	No_tmpfile = fallback;
	if (fallback) {
		/* prove the fallback is taken: the file is visible meanwhile */
		VMEM *v = vmem_create(Dir, VMEM_MIN_POOL);
		CHECK(v != NULL, "kill: the mkstemp fallback creates pools: %s",
			v ? "" : vmem_errormsg());
		if (v)
			vmem_delete(v);
	}
	uint64_t rs = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL | 1;
	long left = 0, killed_early = 0;
	double t0 = now_s();
	for (long i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;) {
				VMEM *v = vmem_create(Dir, VMEM_MIN_POOL);
				if (v == NULL)
					_exit(1);
				vmem_delete(v);
			}
		}
		MUST(pid > 0, "fork");
		struct timespec ts = { 0, (long)(rnd(&rs) % 3000000) };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		if (!WIFSIGNALED(st))
			killed_early++;
		int n = dir_entries(Dir);
		if (n != 0) {
			if (left < 5)
				DIAG("kill %ld: %d file(s) left in %s", i, n,
					Dir);
			left++;
			char cmd[4200];
			snprintf(cmd, sizeof(cmd), "rm -f %s/.vmem.*", Dir);
			if (system(cmd) != 0) {
				/* nothing */
			}
		}
	}
	DIAG("kill: %ld creators killed at random moments in %.1f s (%s)",
		rounds, now_s() - t0, fallback ? "mkstemp + unlink" :
		"O_TMPFILE");
	CHECK(killed_early == 0, "kill: every creator was still running");
	CHECK(left == 0, "kill: no pool file survives SIGKILL (%ld of %ld "
		"left one)", left, rounds);
	No_tmpfile = 0;
}

/* t_hold -- make a pool and keep it until stdin ends */
static void
t_hold(void)
{
	capture_stats();
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(vmp != NULL, "hold: vmem_create: %s", vmem_errormsg());
	char *p = vmem_malloc(vmp, 4096);
	MUST(p != NULL, "hold: malloc");
	strcpy(p, "secret pool contents");
	uintptr_t base = 0;
	size_t size = 0;
	MUST(pool_stats(vmp, &base, &size, NULL, NULL) == 0, "hold: stats");
	printf("ready %d %#lx %zu\n", (int)getpid(), (unsigned long)base,
		size);
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	vmem_delete(vmp);
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (argc < 3) {
		fprintf(stderr, "usage: %s TEST DIR [arg]\n", argv[0]);
		return 2;
	}
	const char *t = argv[1];
	Dir = argv[2];
	watchdog(600);
	if (strcmp(t, "enospc") == 0)
		t_enospc(argc > 3 ? strtoul(argv[3], NULL, 0) : 64);
	else if (strcmp(t, "punch") == 0)
		t_punch();
	else if (strcmp(t, "emfile") == 0)
		t_emfile();
	else if (strcmp(t, "rlimit-as") == 0)
		t_rlimit_as();
	else if (strcmp(t, "mmap-nth") == 0)
		t_mmap_nth();
	else if (strcmp(t, "funcs") == 0)
		t_funcs();
	else if (strcmp(t, "kill") == 0 || strcmp(t, "kill-fallback") == 0)
		t_kill(argc > 3 ? strtol(argv[3], NULL, 0) : 200,
			strcmp(t, "kill-fallback") == 0);
	else if (strcmp(t, "hold") == 0) {
		t_hold();
		return 0;
	} else {
		fprintf(stderr, "unknown test %s\n", t);
		return 2;
	}
	return done_testing();
}
