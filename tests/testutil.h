/*
 * testutil.h -- what the C tests read of the process and the file system:
 * the mapping holding an address, entries of a directory, lines of a file
 */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H 1

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * map_of -- the mapping of /proc/self/maps that holds p: its range, and
 * its path (if path is not NULL) without the newline; -1 if none
 */
__attribute__((unused))
static int
map_of(const void *p, uintptr_t *lo, uintptr_t *hi, char *path, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return -1;
	char line[1024];
	int ret = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		int off = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &a, &b, &off) >= 2
				&& (uintptr_t)p >= a && (uintptr_t)p < b) {
			*lo = a;
			*hi = b;
			if (path != NULL) {
				snprintf(path, len, "%s", off ? line + off : "");
				path[strcspn(path, "\n")] = '\0';
			}
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* dir_entries -- entries of a directory besides . and .., -1 on error */
__attribute__((unused))
static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* file_lines -- lines of a file (e.g. /proc/self/maps), -1 on error */
__attribute__((unused))
static int
file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

#endif
