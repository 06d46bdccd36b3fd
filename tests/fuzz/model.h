/*
 * model.h -- the fuzzers' reference for sizes such as VMMALLOC_POOL_SIZE,
 * written apart from util_parse_size: optional decimal digits (at least
 * one), then at most one of K M G T (either case, powers of 1024) at the
 * very end; the value must fit in size_t
 */
#ifndef TESTS_FUZZ_MODEL_H
#define TESTS_FUZZ_MODEL_H 1

#include <stdint.h>
#include <string.h>

/* model_size -- the reference: 128-bit arithmetic, suffix from the end */
__attribute__((unused))
static int
model_size(const char *s, size_t *out)
{
	size_t len = strlen(s);
	if (len == 0)
		return -1;
	unsigned shift = 0;
	switch (s[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	size_t nd = shift ? len - 1 : len;
	if (nd == 0)
		return -1;
	unsigned __int128 v = 0;
	for (size_t i = 0; i < nd; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > SIZE_MAX)
			return -1;
	}
	v <<= shift;
	if (v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

#endif
