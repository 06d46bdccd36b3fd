/*
 * vmem_dlopen.c -- dlopen() libvmem at run time (not linked with it):
 * print dlerror() and exit 3 when loading fails; otherwise make a pool,
 * use it, delete it and print "ok".  Usage: vmem_dlopen PATH [DIR]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void VMEM;

int
main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("dlopen failed: %s\n", dlerror());
		return 3;
	}
	VMEM *(*create)(const char *, size_t) =
		(VMEM *(*)(const char *, size_t))dlsym(h, "vmem_create");
	void *(*vmalloc)(VMEM *, size_t) =
		(void *(*)(VMEM *, size_t))dlsym(h, "vmem_malloc");
	void (*vfree)(VMEM *, void *) =
		(void (*)(VMEM *, void *))dlsym(h, "vmem_free");
	void (*vdelete)(VMEM *) = (void (*)(VMEM *))dlsym(h, "vmem_delete");
	const char *(*errmsg)(void) =
		(const char *(*)(void))dlsym(h, "vmem_errormsg");
	if (!create || !vmalloc || !vfree || !vdelete || !errmsg) {
		printf("dlsym failed: %s\n", dlerror());
		return 2;
	}
	VMEM *vmp = create(dir, 14 << 20);
	if (vmp == NULL) {
		printf("vmem_create failed: %s\n", errmsg());
		return 2;
	}
	char *p = vmalloc(vmp, 8 << 20);
	if (p == NULL) {
		printf("vmem_malloc failed: %s\n", errmsg());
		return 2;
	}
	strcpy(p, "loaded at run time");
	vfree(vmp, p);
	vdelete(vmp);
	if (dlclose(h) != 0) {
		printf("dlclose failed: %s\n", dlerror());
		return 2;
	}
	printf("ok\n");
	return 0;
}
