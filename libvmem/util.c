/*
 * util.c -- small parsers shared by the libraries and the tests
 */
#include <stdint.h>

#include "util.h"

/* util_parse_size -- parse "<digits>[K|M|G|T]" into *size */
int
util_parse_size(const char *s, size_t *size)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	size_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
				__builtin_add_overflow(v, (size_t)(*s - '0'), &v))
			return -1;
	}
	unsigned shift = 0;
	switch (*s) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -1;
	}
	if (shift != 0 && *++s != '\0')
		return -1;
	if (shift != 0 && v > (SIZE_MAX >> shift))
		return -1;
	*size = v << shift;
	return 0;
}
