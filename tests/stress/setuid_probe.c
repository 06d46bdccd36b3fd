/*
 * setuid_probe.c -- what a set-user-ID program linked with libvmem (or,
 * built with -DSHIM, with libvmmalloc) makes of the environment: the
 * libraries read it with secure_getenv, so VMEM_* and VMMALLOC_* must be
 * ignored when the program runs set-user-ID
 *
 * Usage: setuid_probe DIR   (installed 4755 root by the test, run as
 * nobody).  Prints "uid U euid E secure S" and, for libvmem, makes a pool
 * in DIR and fails one call on purpose (an error that is logged at level
 * 1 when VMEM_LOG_FILE is honoured); for the shim, whether malloc is
 * served by a pool file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef SHIM
#include <libvmem.h>
#endif
#include "common.h"

int
main(int argc, char **argv)
{
	printf("uid %d euid %d secure %lu\n", (int)getuid(), (int)geteuid(),
		getauxval(AT_SECURE));
#ifdef SHIM
	(void) argc; (void) argv;
	char *p = malloc(100);
	uintptr_t lo, hi;
	char path[512] = "";
	map_of(p, &lo, &hi, path, sizeof(path));
	printf("malloc from %s\n", strstr(path, "(deleted)") ? "a pool file" :
		"the heap");
	free(p);
#else
	VMEM *vmp = vmem_create(argc > 1 ? argv[1] : "/tmp", VMEM_MIN_POOL);
	printf("vmem_create: %s\n", vmp ? "ok" : vmem_errormsg());
	(void) vmem_create("/nonexistent/vmem-setuid-probe", VMEM_MIN_POOL);
	if (vmp)
		vmem_delete(vmp);
#endif
	return 0;
}
