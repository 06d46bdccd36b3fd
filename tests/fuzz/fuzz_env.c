/*
 * fuzz_env.c -- libFuzzer harness: the shim's environment handling
 * (libvmmalloc/shim.c, shim_create) against a model of SPEC 2
 *
 * shim.c is compiled into this harness with its exits, its environment
 * and its first file system call redirected: secure_getenv reads the
 * variables the input gives, _exit jumps back here, write(2) is kept, and
 * file_create (the first step after the environment is read) records the
 * size and jumps back.  So each input runs the real parsing code in-process
 * and either stops with one line, or reaches the pool with the values the
 * model expects.
 *
 * Input: byte 0 picks VMMALLOC_POOL_DIR (unset, empty, a directory, or
 * field 0 as given); then NUL-separated fields for POOL_DIR, POOL_SIZE,
 * FORK, LOG_STATS, PUNCH_HOLES, LOG_LEVEL; a field "\x01" means unset.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
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
#include "model.h"

enum { V_DIR, V_SIZE, V_FORK, V_STATS, V_PUNCH, V_LEVEL, NVARS };
static const char *const Names[NVARS] = { "VMMALLOC_POOL_DIR",
	"VMMALLOC_POOL_SIZE", "VMMALLOC_FORK", "VMMALLOC_LOG_STATS",
	"VMMALLOC_PUNCH_HOLES", "VMMALLOC_LOG_LEVEL" };
static const char *Val[NVARS];	/* NULL: unset */

static jmp_buf Back;
static char Line[PATH_MAX + 512];
static size_t Line_len;
static size_t Created_size;

/* fz_getenv -- the variables of this input, nothing else */
static char *
fz_getenv(const char *name)
{
	for (int i = 0; i < NVARS; i++)
		if (strcmp(name, Names[i]) == 0)
			return (char *)Val[i];
	return NULL;
}

/* fz_write -- keep what goes to stderr */
static ssize_t
fz_write(int fd, const void *buf, size_t n)
{
	if (fd == 2 && Line_len + n < sizeof(Line)) {
		memcpy(Line + Line_len, buf, n);
		Line_len += n;
	}
	return (ssize_t)n;
}

/* fz_exit -- the shim stopped the program: back to the harness */
__attribute__((noreturn))
static void
fz_exit(int status)
{
	longjmp(Back, 100 + status);
}

/* fz_file_create -- the environment was accepted: back to the harness */
static int
fz_file_create(const char *dir, size_t size)
{
	(void) dir;
	Created_size = size;
	longjmp(Back, 1);
}

/* fz_out_init -- no log file may be opened by a fuzzer */
static void
fz_out_init(const char *prefix, const char *lib)
{
	(void) prefix; (void) lib;
}

#define secure_getenv fz_getenv
#define _exit fz_exit
#define write fz_write
#define file_create fz_file_create
#define out_init fz_out_init
#define constructor used
#define destructor used
#include "../../libvmmalloc/shim.c"
#undef secure_getenv
#undef _exit
#undef write
#undef file_create
#undef out_init

/* model_digit -- a set optional variable must be one digit 0..max */
static int
model_digit(const char *v, int max)
{
	return v == NULL || (v[0] >= '0' && v[0] <= '0' + max && v[1] == '\0');
}

/*
 * model -- which variable stops the program (its index), or -1 when the
 * pool is made with *size bytes
 */
static int
model(size_t *size)
{
	if (!model_digit(Val[V_LEVEL], 4))
		return V_LEVEL;
	if (Val[V_DIR] == NULL || Val[V_DIR][0] == '\0')
		return V_DIR;
	if (Val[V_SIZE] == NULL || Val[V_SIZE][0] == '\0')
		return V_SIZE;
	if (model_size(Val[V_SIZE], size) != 0 || *size < VMMALLOC_MIN_POOL)
		return V_SIZE;
	if (!model_digit(Val[V_FORK], 3))
		return V_FORK;
	if (!model_digit(Val[V_STATS], 1))
		return V_STATS;
	if (!model_digit(Val[V_PUNCH], 1))
		return V_PUNCH;
	if (strlen(Val[V_DIR]) >= PATH_MAX)
		return V_DIR;
	*size &= ~(size_t)4095;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	/* the fields, NUL-separated */
	const char *field[NVARS] = { NULL };
	char *p = buf, *end = buf + size - 1;
	for (int i = 0; i < NVARS && p <= end; i++) {
		field[i] = p;
		p += strlen(p) + 1;
	}
	for (int i = 0; i < NVARS; i++)
		Val[i] = field[i] == NULL || strcmp(field[i], "\x01") == 0 ?
			NULL : field[i];
	switch (data[0] % 4) {
	case 0: Val[V_DIR] = NULL; break;
	case 1: Val[V_DIR] = ""; break;
	case 2: Val[V_DIR] = "/tmp"; break;
	default: break;
	}
	memset(&Shim, 0, sizeof(Shim));
	Shim.fd = -1;
	Shim.fork_mode = 1;
	Line_len = 0;
	Created_size = 0;
	size_t want = 0;
	int stop = model(&want);
	int r = setjmp(Back);
	if (r == 0)
		shim_create();	/* never returns: file_create jumps back */
	if (stop < 0) {
		/* accepted: the pool size and the modes as given */
		if (r != 1 || Created_size != want || Line_len != 0)
			abort();
		if (Shim.fork_mode != (Val[V_FORK] ? Val[V_FORK][0] - '0' : 1) ||
		    Shim.log_stats != (Val[V_STATS] ? Val[V_STATS][0] - '0' : 0))
			abort();
	} else {
		/* stopped: status 1, one line naming the model's variable */
		if (r != 101 || Line_len < 2 || Line[Line_len - 1] != '\n')
			abort();
		Line[Line_len] = '\0';
		char head[64];
		snprintf(head, sizeof(head), "libvmmalloc: %s", Names[stop]);
		if (strncmp(Line, head, strlen(head)) != 0)
			abort();
		for (size_t i = 0; i + 1 < Line_len; i++)
			if ((unsigned char)Line[i] < ' ')
				abort();	/* more than one line */
	}
	free(buf);
	return 0;
}
