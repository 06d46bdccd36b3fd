/*
 * pool.c -- what a pool holds and what making one costs
 *
 * Built for the peers that have pools (see peer.h).  Two measures:
 *   space  make a pool of S MiB, allocate objects of B bytes until the
 *          first NULL, print the share of the pool they took (the bytes
 *          asked for, over the pool size)
 *   cycle  make and delete a pool of S MiB N times; print the mean time
 *          of one create + delete (after one untimed warm-up cycle)
 *
 * usage: bench_pool_<peer> space|cycle [-s MiB] [-b bytes] [-n cycles]
 *        [-d dir] [-l lib]
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

#define MIB ((size_t)1 << 20)

/* now -- monotonic seconds */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* space -- fill one pool with objects of one size */
static int
space(const char *dir, size_t size, size_t obj, const char *lib)
{
	if (peer_open(dir, size, lib) != 0)
		return 1;
	size_t n = 0;
	double t0 = now();
	for (;;) {
		char *p = peer_malloc(obj);
		if (p == NULL)
			break;
		p[0] = 1;	/* the block must be there, not only promised */
		n++;
	}
	double secs = now() - t0;
	peer_close();
	printf("space %s pool_mib=%zu obj=%zu objects=%zu bytes=%zu "
		"share=%.6f seconds=%.6f\n", PEER_NAME, size / MIB, obj, n,
		n * obj, (double)(n * obj) / (double)size, secs);
	return 0;
}

/* cycle -- create and delete pools */
static int
cycle(const char *dir, size_t size, unsigned n, const char *lib)
{
	if (peer_open(dir, size, lib) != 0)	/* warm-up, untimed */
		return 1;
	peer_close();
	double t0 = now();
	for (unsigned i = 0; i < n; i++) {
		if (peer_open(dir, size, lib) != 0)
			return 1;
		peer_close();
	}
	double secs = now() - t0;
	printf("cycle %s pool_mib=%zu cycles=%u seconds=%.6f "
		"us_per_cycle=%.3f\n", PEER_NAME, size / MIB, n, secs,
		secs * 1e6 / n);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *dir = "/dev/shm", *lib = NULL;
	size_t mib = 16, obj = 64;
	unsigned n = 20;
	int c;
	if (argc < 2)
		goto usage;
	const char *what = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "s:b:n:d:l:")) != -1) {
		switch (c) {
		case 's': mib = strtoul(optarg, NULL, 0); break;
		case 'b': obj = strtoul(optarg, NULL, 0); break;
		case 'n': n = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'd': dir = optarg; break;
		case 'l': lib = optarg; break;
		default: goto usage;
		}
	}
	if (strcmp(what, "space") == 0 && obj > 0)
		return space(dir, mib * MIB, obj, lib);
	if (strcmp(what, "cycle") == 0 && n > 0)
		return cycle(dir, mib * MIB, n, lib);
usage:
	fprintf(stderr, "usage: %s space|cycle [-s MiB] [-b bytes] "
		"[-n cycles] [-d dir] [-l lib]\n", argv[0]);
	return 2;
}
