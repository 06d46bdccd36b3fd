/*
 * out.c -- error messages, logging and the library's own run-time memory
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"

#define TLS_IE __attribute__((tls_model("initial-exec")))

int Out_level;
static int Out_fd = 2;
static const char *Out_lib = "libvmem";
static void (*Print_func)(const char *s);

static __thread char Last_errormsg[OUT_MSG_MAX] TLS_IE;

void *(*Malloc)(size_t size) = malloc;
void (*Free)(void *ptr) = free;
void *(*Realloc)(void *ptr, size_t size) = realloc;
char *(*Strdup)(const char *s) = strdup;

/* write_all -- write(2) a whole buffer, retrying on EINTR */
static void
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

/* out_init -- read <prefix>_LOG_LEVEL and <prefix>_LOG_FILE */
void
out_init(const char *prefix, const char *lib_name)
{
	char name[64];
	const char *v;

	Out_lib = lib_name;
	snprintf(name, sizeof(name), "%s_LOG_LEVEL", prefix);
	v = secure_getenv(name);
	if (v != NULL && *v != '\0') {
		char *end;
		long l = strtol(v, &end, 10);
		if (*end == '\0' && l >= 0)
			Out_level = l > 4 ? 4 : (int)l;
	}
	snprintf(name, sizeof(name), "%s_LOG_FILE", prefix);
	v = secure_getenv(name);
	if (v != NULL && *v != '\0') {
		char path[4096];
		size_t len = strlen(v);
		if (v[len - 1] == '-')
			snprintf(path, sizeof(path), "%s%d", v, (int)getpid());
		else
			snprintf(path, sizeof(path), "%s", v);
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				0644);
		if (fd >= 0 && fd <= 2) {
			/* a standard descriptor was closed: do not take it */
			int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			close(fd);
			fd = nfd;
		}
		if (fd >= 0)
			Out_fd = fd;
	}
}

/* out_keep_stderr -- log to a private copy of stderr (survives close(2)) */
void
out_keep_stderr(void)
{
	if (Out_fd == 2) {
		int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0)
			Out_fd = fd;
	}
}

/* out_fini -- close the log file */
void
out_fini(void)
{
	if (Out_fd > 2) {
		close(Out_fd);
		Out_fd = 2;
	}
}

/* out_write_fd -- write a string to the log file descriptor */
void
out_write_fd(const char *s)
{
	write_all(Out_fd, s, strlen(s));
}

/* out_write -- write a string through the print function */
void
out_write(const char *s)
{
	void (*f)(const char *) = Print_func;
	if (f != NULL)
		f(s);
	else
		out_write_fd(s);
}

/* out_set_print_func -- replace the print function, NULL restores it */
void
out_set_print_func(void (*print_func)(const char *s))
{
	Print_func = print_func;
}

/* out_vlog -- format one log line and write it */
static void
out_vlog(int level, const char *func, const char *fmt, va_list ap)
{
	char buf[OUT_MSG_MAX + 128];
	int n = snprintf(buf, sizeof(buf), "<%s>: <%d> [%s] ", Out_lib,
			level, func);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = strnlen(buf, sizeof(buf) - 2);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	write_all(Out_fd, buf, len + 1);
}

/* out_log -- write one log line */
void
out_log(int level, const char *func, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_vlog(level, func, fmt, ap);
	va_end(ap);
}

/* out_err -- record the thread's error message and log it */
void
out_err(const char *func, const char *fmt, ...)
{
	int oerrno = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(Last_errormsg, sizeof(Last_errormsg), fmt, ap);
	va_end(ap);
	if (Out_level >= 1)
		out_log(1, func, "%s", Last_errormsg);
	errno = oerrno;
}

/* out_errormsg -- the calling thread's last error message */
const char *
out_errormsg(void)
{
	return Last_errormsg;
}

/* util_set_alloc_funcs -- replace the run-time state allocator */
void
util_set_alloc_funcs(void *(*malloc_func)(size_t),
		void (*free_func)(void *),
		void *(*realloc_func)(void *, size_t),
		char *(*strdup_func)(const char *))
{
	Malloc = malloc_func ? malloc_func : malloc;
	Free = free_func ? free_func : free;
	Realloc = realloc_func ? realloc_func : realloc;
	Strdup = strdup_func ? strdup_func : strdup;
}
