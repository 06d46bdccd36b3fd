/*
 * smoke.c -- the libvmem(7) example: one pool, one string, statistics
 */
#include <libvmem.h>
#include "tap.h"

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	const char *dir = getenv("TEST_DIR") ? getenv("TEST_DIR") : "/dev/shm";
	VMEM *vmp = vmem_create(dir, VMEM_MIN_POOL);
	REQUIRE(vmp != NULL, "vmem_create(%s, VMEM_MIN_POOL): %s", dir,
		vmem_errormsg());
	char *p = vmem_malloc(vmp, 100);
	CHECK(p != NULL, "vmem_malloc 100");
	strcpy(p, "hello, world");
	CHECK(strcmp(p, "hello, world") == 0, "string stored");
	vmem_free(vmp, p);
	vmem_delete(vmp);
	return done_testing();
}
