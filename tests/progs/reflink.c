/*
 * reflink.c -- how much file system space the child's copy of the pool
 * takes under VMMALLOC_FORK=2
 *
 * usage: reflink DIR
 * Fills most of the pool with written blocks, then forks; the child
 * measures the free space of DIR (where its copy of the pool lives, while
 * it lives), checks the blocks, and reports through a pipe.  Prints
 * "copy KIB" (space the copy took) and exits 0 if the child saw the
 * parent's data.  A reflink clone (FICLONE) takes next to nothing; a copy
 * takes the pool's size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* free_kib -- free space of dir in KiB */
static long
free_kib(const char *dir)
{
	struct statvfs s;
	if (statvfs(dir, &s) != 0)
		return -1;
	return (long)(s.f_bavail * s.f_frsize / 1024);
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	enum { N = 24 };
	unsigned char *b[N];
	for (int i = 0; i < N; i++) {
		b[i] = malloc(1 << 20);
		if (b[i] == NULL)
			return 4;
		memset(b[i], i + 1, 1 << 20);
	}
	long before = free_kib(argv[1]);
	int pfd[2];
	if (pipe(pfd) != 0)
		return 5;
	pid_t pid = fork();
	if (pid == 0) {
		long during = free_kib(argv[1]);
		for (int i = 0; i < N; i++)
			if (b[i][0] != i + 1 || b[i][(1 << 20) - 1] != i + 1)
				_exit(3);
		long used = before - during;
		if (write(pfd[1], &used, sizeof(used)) != sizeof(used))
			_exit(6);
		_exit(0);
	}
	long used = -1;
	int st;
	if (read(pfd[0], &used, sizeof(used)) != sizeof(used))
		used = -1;
	waitpid(pid, &st, 0);
	printf("copy %ld\n", used);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 7;
}
