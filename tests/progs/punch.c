/*
 * punch.c -- does freed pool memory go back to the file system?
 *
 * usage: punch [fork]
 * Finds the pool file among the open descriptors, allocates and writes
 * 16 MiB, frees it, calls malloc_trim(0) (which purges the pool), and
 * prints "allocated BEFORE AFTER" in KiB: the pool file's space after
 * the write and after the trim.  With "fork" it first forks once (the
 * child exits at once): under VMMALLOC_FORK=1 the pool is then private
 * and nothing may be punched any more.
 */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"

/* pool_kib -- KiB of space the pool file holds now */
static long
pool_kib(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		FAIL("opendir /proc/self/fd");
	struct dirent *e;
	long kib = -1;
	while ((e = readdir(d)) != NULL) {
		char link[300], target[256];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		struct stat st;
		if (vt_is_pool_name(target, (size_t)n) && stat(link, &st) == 0)
			kib = (long)(st.st_blocks / 2);
	}
	closedir(d);
	if (kib < 0)
		FAIL("no descriptor of the pool file");
	return kib;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "fork") == 0) {
		pid_t pid = fork();
		if (pid < 0)
			FAIL("fork");
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	size_t n = (size_t)16 << 20;
	volatile char *p = malloc(n);	/* volatile: every store is made */
	ASSERT(p != NULL);
	for (size_t i = 0; i < n; i += 512)
		p[i] = 'p';
	long before = pool_kib();
	free((void *)p);
	malloc_trim(0);
	long after = pool_kib();
	/* the space is usable again (a punched page is allocated anew) */
	p = malloc(n);
	ASSERT(p != NULL);
	for (size_t i = 0; i < n; i += 512)
		p[i] = 'q';
	for (size_t i = 0; i < n; i += 512)
		ASSERT(p[i] == 'q');
	free((void *)p);
	printf("allocated %ld %ld\n", before, after);
	return 0;
}
