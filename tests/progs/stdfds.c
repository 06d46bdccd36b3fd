/*
 * stdfds.c -- a program with closed standard descriptors: the shim must
 * not take descriptor 0, 1 or 2 for its pool file (or a fork's copy of
 * it), or the program's reads and writes of stdin, stdout and stderr
 * would go to the pool (a message to "stderr" would overwrite the heap)
 *
 * usage: stdfds        run it with <&- , >&- or 2>&-
 *        stdfds fork   closes stdin, then forks (VMMALLOC_FORK=2 makes
 *                      a new pool file for the child), checks the child
 *        stdfds write FILE   opens FILE (with stderr closed at start it
 *                      gets descriptor 2), writes one line to it and
 *                      exits with it open: FILE must hold just that line
 * Exit status 0 when no standard descriptor is a pool file and the heap
 * is intact after writing to each standard descriptor; 1 with a message
 * on whichever of stderr/stdout is open otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"

enum { N = 256 };
static char *Blocks[N];

/* say -- a message on whichever standard output is still open */
static void
say(const char *msg)
{
	size_t n = strlen(msg);
	if (write(2, msg, n) < 0 && write(1, msg, n) < 0) {
		/* nowhere to say it */
	}
}

/* check -- no standard descriptor is the pool; the heap survives writes */
static int
check(void)
{
	int bad = 0;
	char line[512];
	for (int fd = 0; fd < 3; fd++) {
		char link[64], target[256];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;	/* closed: as the program was started */
		target[n] = '\0';
		if (vt_is_pool_name(target, (size_t)n)) {
			snprintf(line, sizeof(line),
				"stdfds: descriptor %d is the pool file %s\n",
				fd, target);
			say(line);
			bad = 1;
			/* what the program would do with its stdio */
			if (write(fd, "a line for stdio\n", 17) < 0)
				say("stdfds: write failed\n");
		}
	}
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 4096; k++)
			if (Blocks[i][k] != 'h') {
				snprintf(line, sizeof(line), "stdfds: heap "
					"block %d overwritten at %d\n", i, k);
				say(line);
				return 1;
			}
	return bad;
}

int
main(int argc, char **argv)
{
	for (int i = 0; i < N; i++) {
		Blocks[i] = malloc(4096);
		if (Blocks[i] == NULL)
			return 2;
		memset(Blocks[i], 'h', 4096);
	}
	if (argc > 2 && strcmp(argv[1], "write") == 0) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "the program's data\n", 19) != 19)
			return 2;
		exit(0);	/* still open: as at exit of many programs */
	}
	if (argc > 1 && strcmp(argv[1], "fork") == 0) {
		close(0);
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			_exit(check());
		int st;
		if (waitpid(pid, &st, 0) != pid)
			return 2;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			say("stdfds: the child failed\n");
			return 1;
		}
	}
	return check();
}
