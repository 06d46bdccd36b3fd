/*
 * notmpfile.c -- an LD_PRELOAD fault injector: open(2) with O_TMPFILE
 * fails with EOPNOTSUPP, as on a file system without it (vfat, old NFS),
 * so the tests can take libvmem's mkstemp + unlink fallback for real
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

typedef int (*open_fn)(const char *, int, ...);

/* pass -- refuse O_TMPFILE, hand anything else to the next name */
static int
pass(const char *name, const char *path, int flags, va_list ap)
{
	mode_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	open_fn next = (open_fn)dlsym(RTLD_NEXT, name);
	return next(path, flags, mode);
}

/* open -- refuse O_TMPFILE, pass everything else on */
int
open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int ret = pass("open", path, flags, ap);
	va_end(ap);
	return ret;
}

/* open64 -- the same under its large-file name */
int
open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int ret = pass("open64", path, flags, ap);
	va_end(ap);
	return ret;
}
