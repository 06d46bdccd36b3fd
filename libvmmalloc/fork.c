/*
 * fork.c -- what fork(2) does to the pool (VMMALLOC_FORK)
 *
 * The handlers are registered before the engine's, so the prepare handler
 * runs after the engine has taken all of its locks (prepare handlers run
 * in reverse order) and the pool is copied in a consistent state; the
 * parent and child handlers run before the engine releases them.  Nothing
 * here allocates.
 *   0  nothing: parent and child share the pool (and corrupt it)
 *   1  remap the pool MAP_PRIVATE at the same address before the first
 *      fork: both sides go on copy-on-write in RAM; hole punching stops
 *   2  copy the pool into a new nameless file for the child (a reflink
 *      clone where the file system can); the child maps the copy at the
 *      same address; if the copy fails, the child ends at once (status 1)
 *   3  as 2, falling back to 1 when the copy fails
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "out.h"
#include "shim.h"

static int Child_fd = -1;	/* the copy for the child (modes 2, 3) */
static int Copy_failed;

/* say -- one line on stderr without allocating */
static void
say(const char *msg)
{
	char line[256];
	size_t n = 0;
	if (Shim.no_stderr)
		return;	/* descriptor 2 is one of the program's files */
	const char *parts[] = { "libvmmalloc: fork: ", msg, ": ",
		strerror(errno), "\n" };
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t l = strlen(parts[i]);
		if (n + l >= sizeof(line))
			l = sizeof(line) - n - 1;
		memcpy(line + n, parts[i], l);
		n += l;
	}
	if (write(2, line, n) < 0) {
		/* nothing more can be said */
	}
}

/* pool_fd -- the pool's descriptor, -1 if the program closed it */
static int
pool_fd(void)
{
	struct stat st;
	if (Shim.fd < 0 || fstat(Shim.fd, &st) != 0 ||
			st.st_dev != Shim.fd_dev || st.st_ino != Shim.fd_ino)
		return -1;
	return Shim.fd;
}

/* copy_private -- without the file: move the pool into anonymous memory */
static int
copy_private(void)
{
	void *copy = mmap(NULL, Shim.pool.size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (copy == MAP_FAILED)
		return -1;
	memcpy(copy, Shim.pool.base, Shim.pool.size);
	if (mremap(copy, Shim.pool.size, Shim.pool.size,
			MREMAP_MAYMOVE | MREMAP_FIXED, Shim.pool.base)
			== MAP_FAILED) {
		int e = errno;
		munmap(copy, Shim.pool.size);
		errno = e;
		return -1;
	}
	return 0;
}

/* to_private -- mode 1: go on copy-on-write from here */
static void
to_private(void)
{
	if (Shim.private)
		return;
	Shim.pool.punch = 0;	/* a punch would zero the file, not us */
	int fd = pool_fd();
	int ret = fd >= 0 ? file_remap(Shim.pool.base, fd, Shim.pool.size,
			MAP_PRIVATE) : copy_private();
	if (ret != 0) {
		say("cannot make the pool private; parent and child share it");
		return;
	}
	Shim.private = 1;
}

/* fork_prepare -- before fork, the engine's locks held */
static void
fork_prepare(void)
{
	Copy_failed = 0;
	if (Shim.state != SHIM_READY || Shim.fork_mode == 0 || Shim.private)
		return;	/* once private, fork's copy-on-write does it all */
	if (Shim.fork_mode == 1) {
		to_private();
		return;
	}
	Child_fd = shim_fd_above_std(file_clone(Shim.dir, pool_fd(),
			Shim.pool.base, Shim.pool.size, !Shim.pool.punch));
	if (Child_fd >= 0)
		return;
	if (Shim.fork_mode == 3) {
		to_private();
		return;
	}
	say("cannot copy the pool for the child");
	Copy_failed = 1;
}

/* fork_parent -- after fork, in the parent */
static void
fork_parent(void)
{
	if (Child_fd >= 0) {
		close(Child_fd);
		Child_fd = -1;
	}
}

/* fork_child -- after fork, in the child: map its copy of the pool */
static void
fork_child(void)
{
	if (Copy_failed)
		_exit(1);	/* sharing the parent's heap would corrupt it */
	if (Child_fd < 0)
		return;
	if (file_remap(Shim.pool.base, Child_fd, Shim.pool.size,
			MAP_SHARED) != 0) {
		say("cannot map the child's copy of the pool");
		_exit(1);
	}
	if (pool_fd() >= 0)
		close(Shim.fd);
	Shim.fd = Child_fd;
	Child_fd = -1;
	struct stat st;
	if (fstat(Shim.fd, &st) == 0) {
		Shim.fd_dev = st.st_dev;
		Shim.fd_ino = st.st_ino;
	}
}

/* fork_register -- install the fork handlers (before the engine's) */
int
fork_register(void)
{
	return pthread_atfork(fork_prepare, fork_parent, fork_child);
}
