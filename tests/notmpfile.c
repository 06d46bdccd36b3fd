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

/* forward -- the next definition of name */
static open_fn
forward(const char *name)
{
	return (open_fn)dlsym(RTLD_NEXT, name);
}

/* open -- refuse O_TMPFILE, pass everything else on */
int
open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return forward("open")(path, flags, mode);
}

/* open64 -- the same under its large-file name */
int
open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return forward("open64")(path, flags, mode);
}
