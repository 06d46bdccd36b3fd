/*
 * tap.h -- a tiny TAP producer for the C tests
 *
 * CHECK(expr, fmt, ...) records one test point and goes on; REQUIRE stops
 * the program (bail out) when it fails; SKIP says why.  done_testing()
 * prints the plan and returns the exit status.  A failure prints the
 * command to re-run under a debugger.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H 1

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>

static int tap_n, tap_failed;
static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *tap_prog = "";

/* tap_result -- print one test point */
__attribute__((format(printf, 4, 5), unused))
static int
tap_result(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&tap_lock);
	tap_n++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		tap_failed++;
		printf("# failed at %s:%d (errno %d: %s)\n# re-run: gdb --args %s\n",
			file, line, errno, strerror(errno), tap_prog);
	}
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	return ok;
}

#define CHECK(expr, ...) tap_result(!!(expr), __FILE__, __LINE__, __VA_ARGS__)
#define REQUIRE(expr, ...) do { if (!CHECK(expr, __VA_ARGS__)) {\
	printf("Bail out! %s:%d\n", __FILE__, __LINE__); exit(1); } } while (0)
#define SKIP(why) do { pthread_mutex_lock(&tap_lock);\
	printf("ok %d # SKIP %s\n", ++tap_n, why); fflush(stdout);\
	pthread_mutex_unlock(&tap_lock); } while (0)
#define DIAG(...) do { printf("# "); printf(__VA_ARGS__); printf("\n");\
	fflush(stdout); } while (0)

/* tap_init -- remember the program name for the re-run hint */
__attribute__((unused))
static void
tap_init(int argc, char **argv)
{
	(void) argc;
	tap_prog = argv[0];
}

/* done_testing -- print the plan; the exit status of the program */
__attribute__((unused))
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* a named group of test points, run when named on the command line */
struct tap_group {
	const char *name;
	void (*fn)(void);
};

/* tap_groups -- run the groups named in argv[1..]; all when none is */
__attribute__((unused))
static void
tap_groups(int argc, char **argv, const struct tap_group *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int run = argc < 2;
		for (int a = 1; a < argc; a++)
			run |= strcmp(argv[a], g[i].name) == 0;
		if (run)
			g[i].fn();
	}
}

#endif
