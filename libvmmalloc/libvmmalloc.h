/*
 * libvmmalloc.h -- version and limits of libvmmalloc, the LD_PRELOAD shim
 * that moves every allocation of a program into one file-backed pool
 * (see libvmmalloc(7))
 */
#ifndef LIBVMMALLOC_H
#define LIBVMMALLOC_H 1

#define VMMALLOC_MAJOR_VERSION 1
#define VMMALLOC_MINOR_VERSION 1

/* minimum pool size: 14 MiB */
#define VMMALLOC_MIN_POOL ((size_t)(1024 * 1024 * 14))

#endif /* LIBVMMALLOC_H */
