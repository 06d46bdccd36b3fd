/*
 * util.h -- small parsers shared by the libraries and the tests
 */
#ifndef VMEM_UTIL_H
#define VMEM_UTIL_H 1

#include <stddef.h>

/*
 * util_parse_size -- parse "<digits>[K|M|G|T]" (powers of 1024, either
 * case) into *size; -1 on an empty string, a sign, spaces, other junk or
 * overflow
 */
int util_parse_size(const char *s, size_t *size);

#endif /* VMEM_UTIL_H */
