/*
 * example.c -- the example of libvmem(7): a pool in a directory (default
 * /dev/shm), a string in it, the pool's statistics
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmem.h>

int
main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm";
	VMEM *vmp;
	char *ptr;

	/* create minimum size pool of memory */
	if ((vmp = vmem_create(dir, VMEM_MIN_POOL)) == NULL) {
		fprintf(stderr, "vmem_create(%s): %s\n", dir, vmem_errormsg());
		exit(1);
	}
	if ((ptr = vmem_malloc(vmp, 100)) == NULL) {
		fprintf(stderr, "vmem_malloc: %s\n", vmem_errormsg());
		exit(1);
	}
	strcpy(ptr, "hello, world");
	printf("%s (from a pool in %s)\n", ptr, dir);
	fflush(stdout);

	vmem_stats_print(vmp, "");

	/* give the memory back */
	vmem_free(vmp, ptr);
	vmem_delete(vmp);
	return 0;
}
