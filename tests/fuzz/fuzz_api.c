/*
 * fuzz_api.c -- libFuzzer harness: random sequences of libvmem calls on a
 * pool, checked against a model (a table of live blocks with their sizes
 * and patterns)
 *
 * Each input is a program of 3-byte instructions (operation, slot, size
 * or alignment).  After every call the model checks what the spec says:
 * pointers inside the pool and aligned, usable size at least the size
 * asked, calloc memory zero, realloc keeping the prefix, a failure being
 * NULL with ENOMEM (EINVAL for a bad alignment) and leaving the block
 * intact, other pools refusing the pool's blocks.  The blocks are freed at
 * the end of each input, so inputs are independent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvmem.h>

#define NSLOTS 32
#define POOL_SIZE ((size_t)32 << 20)

static VMEM *P, *Q;		/* the pool, and another one */
static uintptr_t Lo, Hi;	/* P's memory */

struct slot {
	unsigned char *p;
	size_t n;
	uint8_t tag;
};
static struct slot S[NSLOTS];

static const size_t Sizes[] = { 0, 1, 7, 8, 9, 15, 16, 17, 100, 1000,
	4095, 4096, 4097, 8192, 14336, 16384, 16385, 65536, 100000,
	(size_t)1 << 20, ((size_t)2 << 20) - 4096, (size_t)2 << 20,
	((size_t)4 << 20) + 1, (size_t)8 << 20, (size_t)20 << 20,
	(size_t)40 << 20, SIZE_MAX / 2, SIZE_MAX };
#define NSIZES (sizeof(Sizes) / sizeof(Sizes[0]))

#define FAIL(what) do { fprintf(stderr, "model: %s (line %d)\n", what,\
	__LINE__); abort(); } while (0)

/*
 * fill -- the pattern of tag over [p, p + n): a byte sequence over the
 * first and last 4 KiB, the tag itself between (big blocks stay cheap);
 * pool memory is not the sanitizer's, so these loops are not instrumented
 */
#define EDGE ((size_t)4096)
__attribute__((no_sanitize("address", "coverage")))
static void
fill(unsigned char *p, size_t n, uint8_t tag)
{
	if (n > 2 * EDGE)
		memset(p + EDGE, tag, n - 2 * EDGE);
	for (size_t i = 0; i < n; i++) {
		if (i == EDGE && n > 2 * EDGE)
			i = n - EDGE;
		p[i] = (uint8_t)(tag + i * 7);
	}
}

/* intact -- whether the first n bytes of p hold tag's pattern (of a block
 * of size full) */
__attribute__((no_sanitize("address", "coverage")))
static int
intact_of(const unsigned char *p, size_t n, size_t full, uint8_t tag)
{
	size_t lo = full > 2 * EDGE ? EDGE : full;	/* patterned head */
	size_t hi = full > 2 * EDGE ? full - EDGE : full; /* tail from */
	for (size_t i = 0; i < n && i < lo; i++)
		if (p[i] != (uint8_t)(tag + i * 7))
			return 0;
	uint64_t w = 0x0101010101010101ULL * tag, g;
	size_t i = lo;
	for (; i + 8 <= n && i + 8 <= hi; i += 8) {
		memcpy(&g, p + i, 8);
		if (g != w)
			return 0;
	}
	for (; i < n && i < hi; i++)
		if (p[i] != tag)
			return 0;
	for (i = hi; i < n; i++)
		if (p[i] != (uint8_t)(tag + i * 7))
			return 0;
	return 1;
}

static int
intact(const unsigned char *p, size_t n, uint8_t tag)
{
	return intact_of(p, n, n, tag);
}

/* zero -- whether [p, p + n) reads as zero */
__attribute__((no_sanitize("address", "coverage")))
static int
zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* check_block -- a new block: in P, aligned, usable size */
static void
check_block(const unsigned char *p, size_t n, size_t align)
{
	uintptr_t a = (uintptr_t)p;
	if (a < Lo || a >= Hi || (n ? n : 1) > Hi - a)
		FAIL("block outside the pool");
	if (align && a % align)
		FAIL("block not aligned");
	if (vmem_malloc_usable_size(P, (void *)p) < n)
		FAIL("usable size too small");
}

/* release -- verify slot i and free it */
static void
release(unsigned i)
{
	if (S[i].p == NULL)
		return;
	if (!intact(S[i].p, S[i].n, S[i].tag))
		FAIL("block changed while live");
	vmem_free(P, S[i].p);
	S[i].p = NULL;
}

/* live -- bytes the model holds */
static size_t
live(void)
{
	size_t t = 0;
	for (unsigned i = 0; i < NSLOTS; i++)
		if (S[i].p)
			t += S[i].n;
	return t;
}

/* failed -- an allocation returned NULL: the errno the spec names */
static void
failed(size_t n, int e)
{
	if (e != ENOMEM)
		FAIL("NULL without ENOMEM");
	if (n < (size_t)64 << 10 && live() < POOL_SIZE / 2)
		FAIL("a small block failed in a half-empty pool");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc; (void) argv;
	const char *dir = getenv("TEST_DIR");
	if (dir == NULL || *dir == '\0')
		dir = "/dev/shm";
	P = vmem_create(dir, POOL_SIZE);
	Q = vmem_create(dir, VMEM_MIN_POOL);
	if (P == NULL || Q == NULL) {
		fprintf(stderr, "vmem_create in %s: %s\n", dir,
			vmem_errormsg());
		exit(1);
	}
	/* the pool's range: the mapping of a block of it */
	void *b = vmem_malloc(P, 1);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
				(uintptr_t)b >= lo && (uintptr_t)b < hi) {
			Lo = lo;
			Hi = hi;
		}
	}
	if (f)
		fclose(f);
	vmem_free(P, b);
	if (Hi - Lo != POOL_SIZE) {
		fprintf(stderr, "pool mapping not found\n");
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t k = 0; k + 3 <= size; k += 3) {
		unsigned op = data[k] % 12, i = data[k + 1] % NSLOTS;
		size_t n = Sizes[data[k + 2] % NSIZES] + (data[k + 1] >> 5);
		uint8_t tag = (uint8_t)(data[k] ^ data[k + 2]);
		unsigned char *p;
		int e;
		switch (op) {
		case 0:		/* malloc */
		case 1:		/* calloc */
			release(i);
			errno = 0;
			p = op == 0 ? vmem_malloc(P, n) :
				vmem_calloc(P, 1 + (n & 3), n / (1 + (n & 3)));
			if (op == 1)
				n = (1 + (n & 3)) * (n / (1 + (n & 3)));
			e = errno;
			if (p == NULL) {
				failed(n, e);
				break;
			}
			check_block(p, n, 0);
			if (op == 1 && !zero(p, n))
				FAIL("calloc memory not zero");
			fill(p, n, tag);
			S[i] = (struct slot){ p, n, tag };
			break;
		case 2: {	/* aligned_alloc */
			size_t al = (size_t)1 << (data[k + 2] % 24);
			if (data[k + 2] >= 240)
				al = data[k + 2] == 255 ? 0 :
					(size_t)data[k + 2] * 3;
			n = Sizes[data[k + 1] % NSIZES];
			release(i);
			errno = 0;
			p = vmem_aligned_alloc(P, al, n);
			e = errno;
			if (al == 0 || (al & (al - 1))) {
				if (p != NULL || e != EINVAL)
					FAIL("bad alignment accepted");
				break;
			}
			if (p == NULL) {
				if (e != ENOMEM)
					FAIL("aligned NULL without ENOMEM");
				break;
			}
			check_block(p, n, al);
			fill(p, n, tag);
			S[i] = (struct slot){ p, n, tag };
			break;
		}
		case 3:		/* realloc */
		case 4: {
			struct slot o = S[i];
			if (o.p && !intact(o.p, o.n, o.tag))
				FAIL("block changed before realloc");
			errno = 0;
			p = vmem_realloc(P, o.p, n);
			e = errno;
			if (o.p != NULL && n == 0) {
				if (p != NULL)
					FAIL("realloc(p, 0) returned a block");
				S[i].p = NULL;
				break;
			}
			if (p == NULL) {
				failed(n, e);
				if (o.p && !intact(o.p, o.n, o.tag))
					FAIL("failed realloc changed the block");
				break;
			}
			check_block(p, n, 0);
			if (o.p && !intact_of(p, o.n < n ? o.n : n, o.n, o.tag))
				FAIL("realloc lost the prefix");
			fill(p, n, tag);
			S[i] = (struct slot){ p, n, tag };
			break;
		}
		case 5:
		case 6:		/* free */
			release(i);
			break;
		case 7: {	/* strdup */
			release(i);
			size_t len = n % 200;
			char s[200];
			for (size_t j = 0; j < len; j++)
				s[j] = (char)('a' + (tag + j) % 26);
			s[len] = '\0';
			char *d = vmem_strdup(P, s);
			if (d == NULL || strcmp(d, s) != 0)
				FAIL("strdup");
			check_block((unsigned char *)d, len + 1, 0);
			vmem_free(P, d);
			break;
		}
		case 8:		/* another pool must refuse our blocks */
			if (S[i].p == NULL)
				break;
			errno = 0;
			vmem_free(Q, S[i].p);
			if (errno != EINVAL)
				FAIL("foreign free not refused");
			errno = 0;
			if (vmem_realloc(Q, S[i].p, 10) != NULL || errno != EINVAL)
				FAIL("foreign realloc not refused");
			if (vmem_malloc_usable_size(Q, S[i].p) != 0)
				FAIL("foreign usable_size not 0");
			if (!intact(S[i].p, S[i].n, S[i].tag))
				FAIL("foreign call changed the block");
			break;
		case 9:		/* the other pool in use meanwhile */
			p = vmem_malloc(Q, n % 100000);
			if (p && ((uintptr_t)p >= Lo && (uintptr_t)p < Hi))
				FAIL("Q handed out P's memory");
			vmem_free(Q, p);
			break;
		case 10:
			if (vmem_check(P) != 1 || vmem_check(Q) != 1)
				FAIL("vmem_check");
			break;
		default:	/* usable size of a live block */
			if (S[i].p && vmem_malloc_usable_size(P, S[i].p) < S[i].n)
				FAIL("usable size shrank");
			break;
		}
	}
	for (unsigned i = 0; i < NSLOTS; i++)
		release(i);
	return 0;
}
