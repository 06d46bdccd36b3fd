/*
 * file.h -- the seam to the operating system for pool memory
 *
 * file_create() returns a descriptor of a new, nameless file of exactly
 * size bytes in dir, all of its space reserved (a later page fault never
 * meets a full file system), mode 0600, never visible under a name that
 * outlives the call.  file_map() maps a descriptor at an address aligned to
 * FILE_ALIGN, once, with the given MAP_SHARED/MAP_PRIVATE flag; the
 * mapping reads as the file does.  Every failure returns -1 or NULL with
 * errno set and a message recorded (ERR), and leaves nothing behind.
 */
#ifndef VMEM_FILE_H
#define VMEM_FILE_H 1

#include <stddef.h>

#define FILE_ALIGN ((size_t)2 << 20)	/* huge page boundary */

/* file_open_pool -- open dir as a pool: a new file, or a device DAX */
int file_open_pool(const char *dir, size_t *size, int *is_devdax);

/* file_create -- make a nameless, fully allocated file in dir */
int file_create(const char *dir, size_t size);

/* file_map -- map size bytes of fd at a FILE_ALIGN boundary */
void *file_map(int fd, size_t size, int map_flags);

/* file_remap -- map fd again over [addr, addr + size), same address */
int file_remap(void *addr, int fd, size_t size, int map_flags);

/* file_clone -- a new nameless file in dir holding size bytes of src */
int file_clone(const char *dir, int src_fd, const void *src_addr,
		size_t size, int reserve);

#endif /* VMEM_FILE_H */
