/*
 * vmem_race.c -- a planted data race on pool memory: two threads write the
 * same block of a pool without synchronization.  Under DRD with the
 * engine's suppressions (tests/sanitize/drd.supp) it must still be
 * reported: the suppressions hide the engine's atomics, not races on the
 * memory the pool hands out.
 */
#include <pthread.h>
#include <stdio.h>

#include <libvmem.h>
#include "common.h"

static char *Blk;

/* race_writer -- write the shared block, no lock */
static void *
race_writer(void *arg)
{
	for (int i = 0; i < 1000; i++)
		Blk[i % 64] = (char)(uintptr_t)arg;
	return NULL;
}

int
main(void)
{
	VMEM *vmp = vmem_create(test_dir(), VMEM_MIN_POOL);
	if (vmp == NULL) {
		fprintf(stderr, "vmem_create: %s\n", vmem_errormsg());
		return 2;
	}
	Blk = vmem_malloc(vmp, 64);
	pthread_t a, b;
	pthread_create(&a, NULL, race_writer, (void *)1);
	pthread_create(&b, NULL, race_writer, (void *)2);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	vmem_free(vmp, Blk);
	vmem_delete(vmp);
	return 0;
}
