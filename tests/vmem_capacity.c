/*
 * vmem_capacity.c -- how much of a pool is usable: an 8 MiB block in a
 * 14 MiB pool, every size from 8 B to 4 MiB, more than 13 MiB of small
 * objects, the same count after filling, emptying and filling again; and
 * the usable share of 16 MiB and 1 GiB pools as DIAG lines.
 *
 * Usage: vmem_capacity [quick]   (quick: no 1 GiB figures)
 */
#include <stdint.h>
#include <unistd.h>

#include <libvmem.h>
#include "tap.h"

/* MUST -- a precondition: silent when it holds, bail out when not */
#define MUST(expr, ...) do { if (!(expr)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir = "/dev/shm";

/* new_pool -- a pool of size bytes on Dir, or bail out */
static VMEM *
new_pool(size_t size)
{
	VMEM *vmp = vmem_create(Dir, size);
	MUST(vmp != NULL, "vmem_create(%s, %zu): %s", Dir, size,
		vmem_errormsg());
	return vmp;
}

struct blocks {
	void **p;
	size_t n, cap;
};

/* fill -- allocate size-byte blocks until ENOMEM; the count */
static size_t
fill_touch(VMEM *vmp, size_t size, struct blocks *b, int *enomem, int touch)
{
	b->n = 0;
	for (;;) {
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 4096;
			b->p = realloc(b->p, b->cap * sizeof(*b->p));
			MUST(b->p != NULL, "pointer array of %zu", b->cap);
		}
		errno = 0;
		void *p = vmem_malloc(vmp, size);
		if (p == NULL) {
			*enomem = errno == ENOMEM;
			break;
		}
		/* touch the first and last byte: the block is real */
		if (touch) {
			((char *)p)[0] = 1;
			((char *)p)[size - 1] = 2;
		}
		b->p[b->n++] = p;
	}
	return b->n;
}

/* fill -- fill_touch, writing to every block */
static size_t
fill(VMEM *vmp, size_t size, struct blocks *b, int *enomem)
{
	return fill_touch(vmp, size, b, enomem, 1);
}

/* empty -- free every block of b */
static void
empty(VMEM *vmp, struct blocks *b)
{
	for (size_t i = 0; i < b->n; i++)
		vmem_free(vmp, b->p[i]);
	b->n = 0;
}

/* test_big_block -- a 14 MiB pool takes one 8 MiB block */
static void
test_big_block(void)
{
	VMEM *vmp = new_pool(VMEM_MIN_POOL);
	char *p = vmem_malloc(vmp, 8 << 20);
	CHECK(p != NULL, "14 MiB pool: one 8 MiB block");
	if (p) {
		memset(p, 0x77, 8 << 20);
		vmem_free(vmp, p);
	}
	p = vmem_malloc(vmp, 12 << 20);
	CHECK(p != NULL, "14 MiB pool: one 12 MiB block");
	vmem_free(vmp, p);
	vmem_delete(vmp);

	vmp = new_pool(VMEM_MIN_POOL);
	p = vmem_calloc(vmp, 1, 8 << 20);
	CHECK(p != NULL, "14 MiB pool: calloc 8 MiB as the first call");
	vmem_delete(vmp);
}

/* test_every_size -- each size 8 B .. 4 MiB fits in a 14 MiB pool */
static void
test_every_size(void)
{
	VMEM *vmp = new_pool(VMEM_MIN_POOL);
	int ok = 1, n = 0;
	for (size_t s = 8; s <= (4 << 20); s <<= 1) {
		size_t try[] = { s, s + 1, s + s / 2 + 3, s * 2 - 1 };
		for (unsigned i = 0; i < 4; i++) {
			if (try[i] > (4 << 20))
				continue;
			char *p = vmem_malloc(vmp, try[i]);
			n++;
			if (p == NULL) {
				DIAG("size %zu: %s", try[i], vmem_errormsg());
				ok = 0;
				continue;
			}
			memset(p, 0x33, try[i]);
			vmem_free(vmp, p);
		}
	}
	CHECK(ok, "14 MiB pool: all %d sizes from 8 B to 4 MiB fit", n);

	/* the same, each size in a pool that is otherwise half full */
	void *half[7];
	for (int i = 0; i < 7; i++)
		half[i] = vmem_malloc(vmp, 1 << 20);
	ok = half[6] != NULL;
	for (size_t s = 8; s <= (4 << 20); s <<= 1) {
		void *p = vmem_malloc(vmp, s);
		ok &= p != NULL;
		vmem_free(vmp, p);
	}
	CHECK(ok, "14 MiB pool with 7 MiB in use: every power of two to 4 MiB");
	for (int i = 0; i < 7; i++)
		vmem_free(vmp, half[i]);
	vmem_delete(vmp);
}

/* test_small -- more than 13 MiB of 64 B objects in a 14 MiB pool */
static void
test_small(void)
{
	VMEM *vmp = new_pool(VMEM_MIN_POOL);
	struct blocks b = { 0 };
	int enomem = 0;
	size_t n = fill(vmp, 64, &b, &enomem);
	CHECK(enomem, "64 B fill ends with ENOMEM");
	CHECK(n * 64 > (13 << 20),
		"14 MiB pool: %zu x 64 B = %.2f MiB > 13 MiB", n,
		n * 64 / 1048576.0);
	empty(vmp, &b);
	void *p = vmem_malloc(vmp, 8 << 20);
	CHECK(p != NULL,
		"after 64 B fill and free: an 8 MiB block fits again");
	vmem_free(vmp, p);
	free(b.p);
	vmem_delete(vmp);
}

/* test_refill -- fill, free all, fill again: the same count */
static void
test_refill(void)
{
	static const size_t sizes[] = { 16, 64, 200, 4096, 5000, 65536,
		100000, 1 << 20, 3 << 20 };
	struct blocks b = { 0 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		VMEM *vmp = new_pool(VMEM_MIN_POOL);
		int e1 = 0, e2 = 0, e3 = 0;
		size_t n1 = fill(vmp, sizes[i], &b, &e1);
		empty(vmp, &b);
		size_t n2 = fill(vmp, sizes[i], &b, &e2);
		empty(vmp, &b);
		size_t n3 = fill(vmp, sizes[i], &b, &e3);
		empty(vmp, &b);
		CHECK(e1 && e2 && e3 && n1 > 0 && n1 == n2 && n2 == n3,
			"size %zu: fill %zu, again %zu, again %zu", sizes[i],
			n1, n2, n3);
		/* a different size in between must not strand space */
		int e4 = 0, e5 = 0;
		size_t other = sizes[i] < 4096 ? 1 << 20 : 64;
		(void) fill(vmp, other, &b, &e4);
		empty(vmp, &b);
		size_t n5 = fill(vmp, sizes[i], &b, &e5);
		empty(vmp, &b);
		(void) fill(vmp, other, &b, &e4);
		empty(vmp, &b);
		size_t n6 = fill(vmp, sizes[i], &b, &e5);
		empty(vmp, &b);
		/* fragmentation may cost a slab, but never accumulates */
		CHECK(n5 >= n1 - n1 / 100 && n6 == n5,
			"size %zu after %zu fills: %zu, %zu of %zu", sizes[i],
			other, n5, n6, n1);
		vmem_delete(vmp);
	}
	free(b.p);
}

/* test_share -- the usable share of a pool per object size (DIAG) */
static void
test_share(size_t pool, const char *pname)
{
	static const size_t sizes[] = { 64, 4096, 1 << 20 };
	struct blocks b = { 0 };
	for (unsigned i = 0; i < 3; i++) {
		VMEM *vmp = vmem_create(Dir, pool);
		if (vmp == NULL) {
			SKIP("no room for the figures on this directory");
			DIAG("%s pool: %s", pname, vmem_errormsg());
			return;
		}
		int e = 0;
		/* no writes: a 1 GiB figure should not cost 1 GiB of RAM */
		size_t n = fill_touch(vmp, sizes[i], &b, &e, 0);
		double share = 100.0 * (double)(n * sizes[i]) / (double)pool;
		DIAG("usable share of a %s pool for %zu B objects: %.2f%% "
			"(%zu objects)", pname, sizes[i], share, n);
		CHECK(e && share > (sizes[i] == (1 << 20) && pool < (64 << 20)
			? 80.0 : 90.0), "%s pool, %zu B objects: %.2f%% usable",
			pname, sizes[i], share);
		vmem_delete(vmp);
	}
	free(b.p);
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (getenv("TEST_DIR"))
		Dir = getenv("TEST_DIR");
	int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
	test_big_block();
	test_every_size();
	test_small();
	test_refill();
	test_share(16 << 20, "16 MiB");
	if (!quick)
		test_share((size_t)1 << 30, "1 GiB");
	return done_testing();
}
