/*
 * fuzz_size.c -- libFuzzer harness: util_parse_size (the parser of
 * VMMALLOC_POOL_SIZE) against a reference model written apart from it
 *
 * The input, up to its first NUL, is the string.  The model (model.h):
 * optional decimal digits (at least one), then at most one of K M G T
 * (either case, powers of 1024) at the very end; the value must fit in
 * size_t.  Both must agree on acceptance and on the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "model.h"

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
	int r2 = model_size(s, &want);
	if (r1 != r2 || (r1 == 0 && got != want))
		abort();	/* the parser and the model disagree */
	if (r1 != 0 && got != 0x5a5a5a5a)
		abort();	/* a refused string must not touch *size */
	free(s);
	return 0;
}
