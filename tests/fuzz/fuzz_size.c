/*
 * fuzz_size.c -- libFuzzer harness: util_parse_size (the parser of
 * VMMALLOC_POOL_SIZE) against a reference model written apart from it
 *
 * The input, up to its first NUL, is the string.  The model: optional
 * decimal digits (at least one), then at most one of K M G T (either case,
 * powers of 1024) at the very end; the value must fit in size_t.  Both
 * must agree on acceptance and on the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ref_parse -- the reference: 128-bit arithmetic, suffix from the end */
static int
ref_parse(const char *s, size_t *out)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t got = 0x5a5a5a5a, want = 0xa5a5a5a5;
	int r1 = util_parse_size(s, &got);
	int r2 = ref_parse(s, &want);
	if (r1 != r2 || (r1 == 0 && got != want))
		abort();	/* the parser and the model disagree */
	if (r1 != 0 && got != 0x5a5a5a5a)
		abort();	/* a refused string must not touch *size */
	free(s);
	return 0;
}
