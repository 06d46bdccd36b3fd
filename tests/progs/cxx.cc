/*
 * cxx.cc -- a C++ program: new/delete, aligned new, std::string,
 * std::vector, std::map, std::thread, static objects with heap members
 *
 * usage: cxx           work and print results (the same with and without
 *                      the shim)
 *        cxx where     print, for each kind of allocation, "pool" or
 *                      "not-pool" (the shim must give "pool" everywhere)
 *        cxx badalloc  operator new until std::bad_alloc, delete all,
 *                      new again: prints the two counts
 * The static objects below are destroyed after main returns: their
 * destructors free pool memory while the process exits.
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "vmtest.h"

struct alignas(64) Line {
	char bytes[64];
	long n;
};

struct alignas(4096) Page {
	char bytes[4096];
};

/* objects with heap members, destroyed at exit */
static std::map<std::string, std::vector<std::string>> Registry;
static std::vector<std::unique_ptr<Line>> Lines;
static std::string Banner(1000, 'b');

struct Noisy {
	std::vector<char> buf;
	Noisy() : buf(100000, 'n') {}
	~Noisy() { std::vector<char>().swap(buf); }
};
static Noisy Global_noisy;

/* work -- allocate in every way and print what a run computes */
static int
work()
{
	/* new/delete, arrays */
	int *one = new int(42);
	int *arr = new int[1000];
	std::iota(arr, arr + 1000, 0);
	std::printf("new: %d, array sum %ld\n", *one,
			std::accumulate(arr, arr + 1000, 0L));
	delete one;
	delete[] arr;

	/* over-aligned new, through alignas and std::align_val_t */
	Line *l = new Line[17];
	Page *pg = new Page;
	void *raw = ::operator new(1000, std::align_val_t(256));
	void *raw2 = ::operator new[](5000, std::align_val_t(8192),
			std::nothrow);
	bool aligned = (reinterpret_cast<uintptr_t>(l) % 64 == 0) &&
		(reinterpret_cast<uintptr_t>(pg) % 4096 == 0) &&
		(reinterpret_cast<uintptr_t>(raw) % 256 == 0) &&
		raw2 != nullptr &&
		(reinterpret_cast<uintptr_t>(raw2) % 8192 == 0);
	std::printf("aligned new: %s\n", aligned ? "aligned" : "MISALIGNED");
	delete[] l;
	delete pg;
	::operator delete(raw, std::align_val_t(256));
	::operator delete[](raw2, std::align_val_t(8192));

	/* strings and containers */
	std::string s;
	for (int i = 0; i < 10000; i++)
		s += std::to_string(i % 97);
	std::vector<std::string> words;
	for (int i = 0; i < 20000; i++)
		words.push_back("word" + std::to_string((i * 7919) % 20000));
	std::sort(words.begin(), words.end());
	words.erase(std::unique(words.begin(), words.end()), words.end());
	std::printf("string: %zu chars; vector: %zu words, first %s last %s\n",
			s.size(), words.size(), words.front().c_str(),
			words.back().c_str());

	/* threads, each with its own containers */
	std::vector<std::thread> threads;
	std::vector<long> sums(8);
	for (int t = 0; t < 8; t++)
		threads.emplace_back([t, &sums] {
			std::map<int, std::string> m;
			for (int i = 0; i < 5000; i++)
				m[i * (t + 1)] = std::string(i % 50 + 1, 'a' + t);
			long sum = 0;
			for (auto &kv : m)
				sum += kv.first + (long)kv.second.size();
			auto v = std::make_unique<std::vector<Line>>(100);
			sums[t] = sum + (long)v->size();
		});
	for (auto &th : threads)
		th.join();
	for (int t = 0; t < 8; t++)
		std::printf("thread %d: %ld\n", t, sums[t]);

	/* fill the statics, freed by their destructors at exit */
	for (int i = 0; i < 500; i++)
		Registry["key" + std::to_string(i)].assign(10,
				std::string(i % 40 + 1, 'r'));
	for (int i = 0; i < 200; i++)
		Lines.emplace_back(new Line());
	std::printf("statics: %zu keys, %zu lines, banner %zu\n",
			Registry.size(), Lines.size(), Banner.size());
	return 0;
}

/* where -- say where each kind of allocation lands */
static int
where()
{
	int *one = new int(1);
	int *arr = new int[100];
	Line *l = new Line;
	Page *pg = new Page;
	void *raw = ::operator new(100, std::align_val_t(1024));
	std::string s(1000, 'x');
	std::vector<int> v(1000);
	const char *thread_where = "";
	std::thread th([&] {
		auto *p = new std::string(500, 't');
		thread_where = vt_where(p->data());
		delete p;
	});
	th.join();
	std::printf("new %s\nnew[] %s\nalignas(64) %s\nalignas(4096) %s\n"
		"align_val_t %s\nstring %s\nvector %s\nthread %s\n"
		"static %s\n", vt_where(one), vt_where(arr), vt_where(l),
		vt_where(pg), vt_where(raw), vt_where(s.data()),
		vt_where(v.data()), thread_where,
		vt_where(Global_noisy.buf.data()));
	delete one;
	delete[] arr;
	delete l;
	delete pg;
	::operator delete(raw, std::align_val_t(1024));
	return 0;
}

/* badalloc -- new until bad_alloc, twice: no abort, the same count */
static int
badalloc()
{
	static void *ptrs[1 << 16];
	size_t counts[2];
	for (int round = 0; round < 2; round++) {
		size_t n = 0;
		try {
			while (n < sizeof(ptrs) / sizeof(ptrs[0])) {
				void *p = ::operator new(16384);
				ptrs[n++] = p;
			}
		} catch (const std::bad_alloc &) {
			/* expected: the pool is full */
		}
		void *nt = ::operator new(16384, std::nothrow);
		if (nt != nullptr)
			FAIL("nothrow new succeeded in a full pool");
		for (size_t i = 0; i < n; i++)
			::operator delete(ptrs[i]);
		counts[round] = n;
	}
	std::printf("bad_alloc after %zu and %zu blocks\n", counts[0],
			counts[1]);
	if (counts[0] == 0 || counts[1] + counts[1] / 50 < counts[0])
		FAIL("counts %zu %zu", counts[0], counts[1]);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && std::strcmp(argv[1], "where") == 0)
		return where();
	if (argc > 1 && std::strcmp(argv[1], "badalloc") == 0)
		return badalloc();
	return work();
}
