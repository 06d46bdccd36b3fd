/*
 * peer.h -- one allocator API under test, chosen at compile time
 *
 * The benchmark sources are compiled once per peer with one of:
 *   PEER_GLIBC    malloc/free of the C library
 *   PEER_JEMALLOC malloc/free of a program linked with -ljemalloc (the
 *                 stock library replaces malloc: its default arenas)
 *   PEER_VMEM     vmem_malloc/vmem_free on a libvmem pool (this project)
 *   PEER_MEMKIND  memkind_malloc/memkind_free on memkind's pmem kind
 *   PEER_DL       the libvmem API found in a shared object named at run
 *                 time (the original libvmem: --lib PATH)
 * Every peer offers the same five calls: peer_open (make the pool of
 * size bytes in dir, where the peer has pools), peer_close, peer_malloc,
 * peer_free, and peer_name.
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H 1

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(PEER_VMEM)
#include <libvmem.h>
static VMEM *Peer_pool;
#define PEER_NAME "libvmem"
#define PEER_POOLS 1
#define peer_malloc(n) vmem_malloc(Peer_pool, (n))
#define peer_free(p) vmem_free(Peer_pool, (p))

/* peer_open -- make the pool; 0 on success */
static int
peer_open(const char *dir, size_t size, const char *lib)
{
	(void) lib;
	Peer_pool = vmem_create(dir, size);
	if (Peer_pool == NULL)
		fprintf(stderr, "vmem_create(%s, %zu): %s\n", dir, size,
				vmem_errormsg());
	return Peer_pool == NULL ? -1 : 0;
}

/* peer_close -- delete the pool */
static void
peer_close(void)
{
	vmem_delete(Peer_pool);
	Peer_pool = NULL;
}

#elif defined(PEER_MEMKIND)
#include <memkind.h>
static memkind_t Peer_kind;
#define PEER_NAME "memkind-pmem"
#define PEER_POOLS 1
#define peer_malloc(n) memkind_malloc(Peer_kind, (n))
#define peer_free(p) memkind_free(Peer_kind, (p))

/* peer_open -- make the pmem kind; 0 on success */
static int
peer_open(const char *dir, size_t size, const char *lib)
{
	(void) lib;
	int err = memkind_create_pmem(dir, size, &Peer_kind);
	if (err != 0) {
		char msg[MEMKIND_ERROR_MESSAGE_SIZE];
		memkind_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "memkind_create_pmem(%s, %zu): %s\n", dir,
				size, msg);
		return -1;
	}
	return 0;
}

/* peer_close -- destroy the kind and its file */
static void
peer_close(void)
{
	memkind_destroy_kind(Peer_kind);
	Peer_kind = NULL;
}

#elif defined(PEER_DL)
#include <dlfcn.h>
static void *Peer_pool;
static void *(*Dl_create)(const char *dir, size_t size);
static void (*Dl_delete)(void *vmp);
static void *(*Dl_malloc)(void *vmp, size_t size);
static void (*Dl_free)(void *vmp, void *ptr);
static const char *(*Dl_errormsg)(void);
#define PEER_NAME "libvmem (dlopen)"
#define PEER_POOLS 1
#define peer_malloc(n) Dl_malloc(Peer_pool, (n))
#define peer_free(p) Dl_free(Peer_pool, (p))

/* peer_open -- load the library, make the pool; 0 on success */
static int
peer_open(const char *dir, size_t size, const char *lib)
{
	if (lib == NULL) {
		fprintf(stderr, "this peer needs --lib PATH\n");
		return -1;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", lib, dlerror());
		return -1;
	}
	*(void **)&Dl_create = dlsym(h, "vmem_create");
	*(void **)&Dl_delete = dlsym(h, "vmem_delete");
	*(void **)&Dl_malloc = dlsym(h, "vmem_malloc");
	*(void **)&Dl_free = dlsym(h, "vmem_free");
	*(void **)&Dl_errormsg = dlsym(h, "vmem_errormsg");
	if (!Dl_create || !Dl_delete || !Dl_malloc || !Dl_free) {
		fprintf(stderr, "%s: not a libvmem\n", lib);
		return -1;
	}
	Peer_pool = Dl_create(dir, size);
	if (Peer_pool == NULL)
		fprintf(stderr, "vmem_create(%s, %zu): %s\n", dir, size,
				Dl_errormsg ? Dl_errormsg() : strerror(errno));
	return Peer_pool == NULL ? -1 : 0;
}

/* peer_close -- delete the pool */
static void
peer_close(void)
{
	Dl_delete(Peer_pool);
	Peer_pool = NULL;
}

#elif defined(PEER_GLIBC) || defined(PEER_JEMALLOC)
#ifdef PEER_JEMALLOC
#define PEER_NAME "jemalloc"
#else
#define PEER_NAME "glibc"
#endif
#define PEER_POOLS 0
#define peer_malloc(n) malloc(n)
#define peer_free(p) free(p)

/* peer_open -- nothing to make: the process heap */
static int
peer_open(const char *dir, size_t size, const char *lib)
{
	(void) dir; (void) size; (void) lib;
	return 0;
}

/* peer_close -- nothing to delete */
static void
peer_close(void)
{
}

#else
#error "compile with one of -DPEER_GLIBC, -DPEER_JEMALLOC, -DPEER_VMEM, -DPEER_MEMKIND, -DPEER_DL"
#endif

#endif /* BENCH_PEER_H */
