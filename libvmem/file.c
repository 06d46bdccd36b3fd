/*
 * file.c -- pool files: creation, space reservation, aligned mapping
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include "file.h"
#include "out.h"

/* file_devdax_size -- size of a device DAX, 0 if path is not one */
static size_t
file_devdax_size(const struct stat *st)
{
	char path[128], link[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/subsystem",
			major(st->st_rdev), minor(st->st_rdev));
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	const char *base = strrchr(link, '/');
	if (base == NULL || strcmp(base + 1, "dax") != 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size",
			major(st->st_rdev), minor(st->st_rdev));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[32];
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)strtoull(buf, NULL, 10);
}

/* file_open_pool -- open dir as a pool: a new file, or a device DAX */
int
file_open_pool(const char *dir, size_t *size, int *is_devdax)
{
	struct stat st;
	*is_devdax = 0;
	if (stat(dir, &st) != 0) {
		int e = errno;
		ERR("cannot use %s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	if (S_ISCHR(st.st_mode)) {
		size_t dsize = file_devdax_size(&st);
		if (dsize == 0) {
			ERR("%s: a character device that is not a device DAX",
					dir);
			errno = EINVAL;
			return -1;
		}
		int fd = open(dir, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			ERR("cannot open device DAX %s: %s", dir, strerror(e));
			errno = e;
			return -1;
		}
		*size = dsize;
		*is_devdax = 1;
		return fd;
	}
	if (!S_ISDIR(st.st_mode)) {
		ERR("%s: not a directory", dir);
		errno = ENOTDIR;
		return -1;
	}
	return file_create(dir, *size);
}

/* file_tmp_fallback -- mkstemp + unlink with signals blocked */
static int
file_tmp_fallback(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/.vmem.XXXXXX", dir)
			>= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	mode_t um = umask(077);
	int fd = mkostemp(path, O_CLOEXEC);
	umask(um);
	int e = errno;
	if (fd >= 0)
		(void) unlink(path);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return fd;
}

/* file_tmp -- open a new nameless file in dir, mode 0600 */
static int
file_tmp(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
			errno == EINVAL))
		fd = file_tmp_fallback(dir);
	return fd;
}

/* file_create -- make a nameless, fully allocated file in dir */
int
file_create(const char *dir, size_t size)
{
	int fd = file_tmp(dir);
	if (fd < 0) {
		int e = errno;
		ERR("cannot create a pool file in %s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	(void) fchmod(fd, 0600);
	int e = posix_fallocate(fd, 0, (off_t)size);
	if (e != 0) {
		close(fd);
		ERR("cannot reserve %zu bytes in %s: %s", size, dir,
				strerror(e));
		errno = e;
		return -1;
	}
	return fd;
}

/* file_map -- map size bytes of fd at a FILE_ALIGN boundary */
void *
file_map(int fd, size_t size, int map_flags)
{
	size_t rsize = size + FILE_ALIGN;
	char *res = mmap(NULL, rsize, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		int e = errno;
		ERR("cannot reserve %zu bytes of address space: %s", rsize,
				strerror(e));
		errno = e;
		return NULL;
	}
	char *addr = (char *)(((uintptr_t)res + FILE_ALIGN - 1) &
			~(uintptr_t)(FILE_ALIGN - 1));
	if (mmap(addr, size, PROT_READ | PROT_WRITE, map_flags | MAP_FIXED,
			fd, 0) == MAP_FAILED) {
		int e = errno;
		munmap(res, rsize);
		ERR("cannot map the pool file: %s", strerror(e));
		errno = e;
		return NULL;
	}
	if (addr > res)
		munmap(res, (size_t)(addr - res));
	char *end = addr + size, *rend = res + rsize;
	if (rend > end)
		munmap(end, (size_t)(rend - end));
	return addr;
}

/* file_remap -- map fd again over [addr, addr + size), same address */
int
file_remap(void *addr, int fd, size_t size, int map_flags)
{
	if (mmap(addr, size, PROT_READ | PROT_WRITE, map_flags | MAP_FIXED,
			fd, 0) == MAP_FAILED)
		return -1;
	return 0;
}

/* copy_data -- copy the data (not the holes) of src_fd into fd */
static int
copy_data(int fd, int src_fd, size_t size)
{
	off_t off = 0, end = (off_t)size;
	while (off < end) {
		off_t data = lseek(src_fd, off, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -1;	/* only holes left */
		off_t hole = lseek(src_fd, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (hole > end)
			hole = end;
		off_t in = data, out = data;
		while (in < hole) {
			ssize_t n = copy_file_range(src_fd, &in, fd, &out,
					(size_t)(hole - in), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
		}
		off = hole;
	}
	return 0;
}

/* copy_memory -- copy size bytes of a mapping into fd */
static int
copy_memory(int fd, const void *src_addr, size_t size)
{
	const char *p = src_addr;
	size_t off = 0;
	while (off < size) {
		ssize_t n = pwrite(fd, p + off, size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * file_clone -- a new nameless file in dir holding size bytes of the pool:
 * a reflink clone of src_fd where the file system can, else a copy of its
 * data that keeps its holes (reading a punched hole through the mapping
 * would fill it), else (src_fd < 0: the descriptor is gone) a copy of the
 * mapping; reserve: allocate the whole file first
 */
int
file_clone(const char *dir, int src_fd, const void *src_addr, size_t size,
		int reserve)
{
	int fd = file_tmp(dir);
	if (fd < 0)
		return -1;
	if (src_fd >= 0 && ioctl(fd, FICLONE, src_fd) == 0)
		return fd;
	int e = reserve ? posix_fallocate(fd, 0, (off_t)size) :
		ftruncate(fd, (off_t)size) == 0 ? 0 : errno;
	if (e == 0) {
		int r = src_fd >= 0 ? copy_data(fd, src_fd, size) : -1;
		if (r != 0)
			r = copy_memory(fd, src_addr, size);
		e = r == 0 ? 0 : errno;
	}
	if (e != 0) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
