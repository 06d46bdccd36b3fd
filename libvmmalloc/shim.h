/*
 * shim.h -- the one pool of libvmmalloc: its state, start-up, the memory
 * of other allocators (the start-up buffer, glibc's own malloc)
 */
#ifndef VMMALLOC_SHIM_H
#define VMMALLOC_SHIM_H 1

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"

enum shim_state { SHIM_NONE, SHIM_STARTING, SHIM_READY };

struct shim {
	struct pool pool;	/* the pool; base/size 0 until it exists */
	volatile int state;	/* enum shim_state */
	int fd;			/* the pool file, kept for the fork modes */
	dev_t fd_dev;		/* its identity, to notice a program that */
	ino_t fd_ino;		/* closed it (and reused the number) */
	int fork_mode;		/* VMMALLOC_FORK */
	int private;		/* remapped MAP_PRIVATE by fork mode 1 */
	int log_stats;		/* VMMALLOC_LOG_STATS */
	int no_stderr;		/* started with descriptor 2 closed */
	char dir[PATH_MAX];
};

extern struct shim Shim;

#define TLS_IE __attribute__((tls_model("initial-exec")))
/* the calling thread is bound to the pool's arena */
extern __thread int Shim_bound TLS_IE;

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* shim_start -- make the pool once; 0 when the pool can be used now */
int shim_start(void);

/* shim_bind -- bind the calling thread to the pool's arena */
void shim_bind(void);

/* shim_retry -- before retry number round: flush, purge (then retry) */
void shim_retry(int round);

/* boot_alloc -- memory before the pool exists; never freed */
void *boot_alloc(size_t size, size_t alignment);

/* boot_owns -- whether ptr came from boot_alloc */
int boot_owns(const void *ptr);

/* boot_size -- the size asked of boot_alloc for ptr */
size_t boot_size(const void *ptr);

/* glibc's own functions, for memory the pool does not own */
extern void (*Libc_free)(void *ptr);
extern size_t (*Libc_usable_size)(void *ptr);

/* foreign_size -- usable size of memory the pool does not own */
size_t foreign_size(void *ptr);

/* foreign_free -- free memory the pool does not own, if it is glibc's */
void foreign_free(void *ptr);

/* shim_fd_above_std -- move a descriptor of ours off 0, 1 and 2 */
int shim_fd_above_std(int fd);

/* fork_register -- install the fork handlers (before the engine's) */
int fork_register(void);

/* shim_print_stats -- the pool's statistics through the log output */
void shim_print_stats(const char *opts);

#endif /* VMMALLOC_SHIM_H */
