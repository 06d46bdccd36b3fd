/*
 * shim.c -- the one pool of libvmmalloc: environment, start-up, threads,
 * the start-up buffer and memory of glibc's own malloc
 *
 * The pool is made once, by the library constructor or by the first
 * allocation, whichever comes first.  Nothing on that path may allocate
 * through the shim: allocations that recurse into it while the pool is
 * being made (the engine's start-up, the loader) are served from a static
 * start-up buffer and are never freed.  Every error in the environment
 * ends the program with one line naming the variable and its value.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvmmalloc.h"
#include "file.h"
#include "out.h"
#include "shim.h"
#include "stats.h"
#include "util.h"

struct shim Shim = { .fd = -1, .fork_mode = 1 };
__thread int Shim_bound TLS_IE;
static __thread int In_start TLS_IE;
static pthread_mutex_t Start_lock = PTHREAD_MUTEX_INITIALIZER;

void (*Libc_free)(void *ptr);
size_t (*Libc_usable_size)(void *ptr);

#define BOOT_SIZE ((size_t)256 << 10)
#define BOOT_HDR ((size_t)16)
static char Boot[BOOT_SIZE] __attribute__((aligned(4096)));
static size_t Boot_used;

/* die -- one line on stderr (and the log), then end the program */
__attribute__((noreturn, format(printf, 1, 2)))
static void
die(const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;
	int n = snprintf(line, sizeof(line), "libvmmalloc: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	for (size_t i = 0; i < len; i++)	/* one line, whatever the value */
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	if (write(2, line, len) < 0) {
		/* nothing more can be said */
	}
	_exit(1);
}

/*
 * shim_fd_above_std -- move a descriptor of ours off 0, 1 and 2: a program
 * started with a standard descriptor closed would otherwise read and
 * write the pool file as its stdin, stdout or stderr (a message to
 * "stderr" would overwrite the heap); -1 with errno if it cannot (closed)
 */
int
shim_fd_above_std(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int e = errno;
	close(fd);
	errno = e;
	return nfd;
}

/* env_required -- a variable that must be set and not empty */
static const char *
env_required(const char *name)
{
	const char *v = secure_getenv(name);
	if (v == NULL)
		die("%s is not set", name);
	if (*v == '\0')
		die("%s=: empty", name);
	return v;
}

/* env_number -- an optional variable holding one of 0..max */
static int
env_number(const char *name, int dflt, int max)
{
	const char *v = secure_getenv(name);
	if (v == NULL)
		return dflt;
	if (v[0] < '0' || v[0] - '0' > max || v[1] != '\0')
		die("%s=%s: not a number from 0 to %d", name, v, max);
	return v[0] - '0';
}

/* shim_create -- read the environment, make and map the pool */
static void
shim_create(void)
{
	out_init("VMMALLOC", "libvmmalloc");
	/* out_init took the level if it is one; anything else stops us */
	(void) env_number("VMMALLOC_LOG_LEVEL", 0, 4);

	const char *dir = env_required("VMMALLOC_POOL_DIR");
	const char *ssize = env_required("VMMALLOC_POOL_SIZE");
	size_t size;
	if (util_parse_size(ssize, &size) != 0)
		die("VMMALLOC_POOL_SIZE=%s: not a size", ssize);
	if (size < VMMALLOC_MIN_POOL)
		die("VMMALLOC_POOL_SIZE=%s: smaller than %zu", ssize,
				VMMALLOC_MIN_POOL);
	Shim.fork_mode = env_number("VMMALLOC_FORK", 1, 3);
	Shim.log_stats = env_number("VMMALLOC_LOG_STATS", 0, 1);
	int punch = env_number("VMMALLOC_PUNCH_HOLES", 0, 1);
	if (fcntl(2, F_GETFD) == -1) {
		/*
		 * Started without stderr: descriptor 2 will be whatever file
		 * the program opens first, so never write there (no fork
		 * messages), and log or print statistics only to a log file.
		 */
		Shim.no_stderr = 1;
		const char *lf = secure_getenv("VMMALLOC_LOG_FILE");
		if (lf == NULL || *lf == '\0') {
			Shim.log_stats = 0;
			Out_level = 0;
		}
	}
	if (Shim.log_stats)
		out_keep_stderr();	/* programs may close stderr at exit */
	if (strlen(dir) >= sizeof(Shim.dir))
		die("VMMALLOC_POOL_DIR=%s: name too long", dir);
	strcpy(Shim.dir, dir);

	size &= ~(size_t)4095;
	int fd = file_create(dir, size);
	if (fd < 0)
		die("VMMALLOC_POOL_DIR=%s: %s", dir, out_errormsg());
	fd = shim_fd_above_std(fd);
	if (fd < 0)
		die("VMMALLOC_POOL_DIR=%s: cannot keep the pool file open: %s",
				dir, strerror(errno));
	void *base = file_map(fd, size, MAP_SHARED);
	if (base == NULL)
		die("VMMALLOC_POOL_SIZE=%s: %s", ssize, out_errormsg());

	/* ours before the engine's: our prepare runs under its locks */
	if (fork_register() != 0)
		die("cannot register fork handlers");

	Libc_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	Libc_usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT,
			"malloc_usable_size");

	if (pool_init(&Shim.pool, base, size, 1, punch) != 0)
		die("VMMALLOC_POOL_DIR=%s: %s", dir, out_errormsg());
	if (Shim.fork_mode == 0) {
		close(fd);
		fd = -1;
	} else {
		struct stat st;
		if (fstat(fd, &st) == 0) {
			Shim.fd_dev = st.st_dev;
			Shim.fd_ino = st.st_ino;
		}
	}
	Shim.fd = fd;
	LOG(3, "pool %p size %zu dir %s fork mode %d", base, size, dir,
			Shim.fork_mode);
}

/* shim_start -- make the pool once; 0 when the pool can be used now */
int
shim_start(void)
{
	if (__atomic_load_n(&Shim.state, __ATOMIC_ACQUIRE) == SHIM_READY)
		return 0;
	if (In_start)
		return -1;	/* our own start-up allocating: boot buffer */
	In_start = 1;
	pthread_mutex_lock(&Start_lock);
	if (Shim.state == SHIM_NONE) {
		Shim.state = SHIM_STARTING;
		shim_create();
		__atomic_store_n(&Shim.state, SHIM_READY, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&Start_lock);
	In_start = 0;
	return Shim.state == SHIM_READY ? 0 : -1;
}

/* shim_bind -- bind the calling thread to the pool's arena */
void
shim_bind(void)
{
	unsigned a = Shim.pool.arena;
	if (vje_mallctl("thread.arena", NULL, NULL, &a, sizeof(a)) == 0)
		Shim_bound = 1;
}

/* shim_retry -- before retry number round: flush the cache, purge */
void
shim_retry(int round)
{
	(void) vje_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	pool_relieve(&Shim.pool, round);
}

/* boot_alloc -- memory before the pool exists; never freed */
void *
boot_alloc(size_t size, size_t alignment)
{
	if (alignment < BOOT_HDR)
		alignment = BOOT_HDR;
	size_t old = __atomic_load_n(&Boot_used, __ATOMIC_RELAXED), start;
	do {
		start = (old + BOOT_HDR + alignment - 1) & ~(alignment - 1);
		if (start > BOOT_SIZE || size > BOOT_SIZE - start) {
			errno = ENOMEM;
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&Boot_used, &old, start + size,
			0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	*(size_t *)(Boot + start - sizeof(size_t)) = size;
	return Boot + start;
}

/* boot_owns -- whether ptr came from boot_alloc */
int
boot_owns(const void *ptr)
{
	return (uintptr_t)ptr - (uintptr_t)Boot < BOOT_SIZE;
}

/* boot_size -- the size asked of boot_alloc for ptr */
size_t
boot_size(const void *ptr)
{
	return *(const size_t *)((const char *)ptr - sizeof(size_t));
}

/* foreign_size -- usable size of memory the pool does not own */
size_t
foreign_size(void *ptr)
{
	if (boot_owns(ptr))
		return boot_size(ptr);
	return Libc_usable_size != NULL ? Libc_usable_size(ptr) : 0;
}

/* foreign_free -- free memory the pool does not own, if it is glibc's */
void
foreign_free(void *ptr)
{
	if (boot_owns(ptr))
		return;
	if (Libc_free != NULL)
		Libc_free(ptr);
}

/* shim_print_stats -- the pool's statistics through the log output */
void
shim_print_stats(const char *opts)
{
	if (Shim.state != SHIM_READY)
		return;
	struct stats_pool sp = {
		.pool = &Shim.pool, .lib = "libvmmalloc", .kind = "file",
	};
	stats_print(&sp, opts);
}

/* shim_ctor -- make the pool before main */
__attribute__((constructor))
static void
shim_ctor(void)
{
	(void) shim_start();
}

/* shim_dtor -- statistics at exit; the pool itself is never unmapped */
__attribute__((destructor))
static void
shim_dtor(void)
{
	if (Shim.log_stats)
		shim_print_stats("");
}
