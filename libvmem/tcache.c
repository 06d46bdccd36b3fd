/*
 * tcache.c -- one engine cache per (thread, pool): the thread's own for its
 * home pool, explicit ones for the others; and the table of live pools
 * that ties them together
 *
 * The engine's automatic cache of a thread mixes arenas, so a pool's
 * blocks could be handed out by another pool.  So a thread binds itself
 * (thread.arena) to the first file pool it uses, its home, and only that
 * pool's blocks go through the automatic cache: the engine's fast path,
 * flags 0.  Every other pool the thread uses gets an explicit cache of its
 * own, through the slower flagged calls.  A thread finds its flags through
 * a one-entry cache (Tc_last) or its table indexed by the pool's slot,
 * guarded by the pool's generation.  A pool hands out at most tc_max live
 * caches, home ones included (a cache parks up to about 3 MiB of its
 * pool), so small pools shared by many threads run partly uncached.
 *
 * Explicit caches die with their thread (key destructor) or their pool
 * (tc_pool_fini), whichever is first; the table of live pools under
 * Reg_lock decides which.  An automatic cache can only be flushed by its
 * own thread, so a pool deleted while it is another thread's home is
 * retired instead: its memory is given back at once (vmem_delete maps
 * inaccessible memory over it, keeping the addresses), its arena and
 * handle stay until the last home thread lets go: on its next call that
 * looks up a pool, or at its exit.  Region pools (the caller's memory,
 * which the caller may reuse at once) are never a home.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "vmem.h"

struct tc_ent {
	uint64_t gen;		/* generation of the pool this entry is for */
	struct tc_flags f;
};

struct tc_table {
	unsigned cap;
	struct tc_ent ent[];
};

__thread struct tc_last Tc_last __attribute__((tls_model("initial-exec")));
static __thread struct tc_table *Tc_table
	__attribute__((tls_model("initial-exec")));
static __thread struct vmem *Tc_home	/* held: home_count counts it */
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t Reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmem *Reg_pool[VMEM_MAX_POOLS];
static uint64_t Reg_gen[VMEM_MAX_POOLS];	/* 0: slot free */
static uint64_t Reg_next_gen;
static unsigned Reg_live;

static pthread_once_t Tc_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t Tc_key;
static int Tc_key_ok;

/* reg_lock -- hold the table of live pools */
void
reg_lock(void)
{
	pthread_mutex_lock(&Reg_lock);
}

/* reg_unlock -- release the table of live pools */
void
reg_unlock(void)
{
	pthread_mutex_unlock(&Reg_lock);
}

/* reg_add -- give vmp a slot and a generation */
int
reg_add(struct vmem *vmp)
{
	int ret = -1;
	reg_lock();
	for (unsigned i = 0; i < VMEM_MAX_POOLS; i++) {
		if (Reg_gen[i] == 0) {
			vmp->slot = i;
			vmp->gen = ++Reg_next_gen;
			Reg_gen[i] = vmp->gen;
			Reg_pool[i] = vmp;
			Reg_live++;
			ret = 0;
			break;
		}
	}
	reg_unlock();
	if (ret != 0) {
		ERR("too many pools alive (%u)", VMEM_MAX_POOLS);
		errno = EAGAIN;
	}
	return ret;
}

/* reg_remove -- free vmp's slot; its thread entries become stale */
void
reg_remove(struct vmem *vmp)
{
	reg_lock();
	if (Reg_pool[vmp->slot] == vmp) {
		Reg_pool[vmp->slot] = NULL;
		Reg_gen[vmp->slot] = 0;
		Reg_live--;
	}
	reg_unlock();
}

/* reg_find -- whether vmp is a live pool; Reg_lock held */
static int
reg_find(const struct vmem *vmp)
{
	if (vmp == NULL)
		return 0;
	for (unsigned i = 0; i < VMEM_MAX_POOLS; i++)
		if (Reg_pool[i] == vmp)
			return vmp->magic == VMEM_MAGIC && Reg_gen[i] == vmp->gen;
	return 0;
}

/* reg_valid -- whether vmp is the handle of a live pool */
int
reg_valid(const struct vmem *vmp)
{
	reg_lock();
	int ok = reg_find(vmp);
	reg_unlock();
	return ok;
}

/* reg_check -- 1 consistent, 0 corrupt, -1 not a live pool */
int
reg_check(const struct vmem *vmp)
{
	int ret = 1;
	reg_lock();
	if (!reg_find(vmp)) {
		reg_unlock();
		return -1;
	}
	struct pool *p = (struct pool *)&vmp->pool;
	unsigned caches = tc_caches((struct vmem *)vmp);
	pthread_mutex_lock(&p->lock);
	if (p->size == 0 || p->next < p->base || p->next > p->base + p->size ||
			caches > vmp->tc_max) {
		ERR("pool %p: inconsistent state", (void *)vmp);
		ret = 0;
	}
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; ret == 1 && i < VMEM_MAX_POOLS; i++) {
		const struct vmem *o = Reg_pool[i];
		if (o == NULL || o == vmp)
			continue;
		if (o->pool.base < p->base + p->size &&
				p->base < o->pool.base + o->pool.size) {
			ERR("pool %p overlaps pool %p", (void *)vmp,
					(void *)o);
			ret = 0;
		}
	}
	reg_unlock();
	return ret;
}

/* tc_thread_destructor -- at thread exit, destroy the thread's caches */
static void
tc_thread_destructor(void *arg)
{
	(void) arg;
	tc_thread_fini();
}

/* tc_key_init -- make the key whose destructor runs at thread exit */
static void
tc_key_init(void)
{
	Tc_key_ok = pthread_key_create(&Tc_key, tc_thread_destructor) == 0;
}

/* tc_release -- take id out of vmp's registry and destroy it; locks held */
static void
tc_release(struct vmem *vmp, unsigned id)
{
	for (unsigned i = 0; i < vmp->tc_count; i++) {
		if (vmp->tc_ids[i] == id) {
			vmp->tc_ids[i] = vmp->tc_ids[--vmp->tc_count];
			(void) vje_mallctl("tcache.destroy", NULL, NULL, &id,
					sizeof(id));
			return;
		}
	}
}

/* tc_unref -- drop a hold on a retired pool; the last one destroys it */
void
tc_unref(struct vmem *vmp)
{
	pthread_mutex_lock(&vmp->tc_lock);
	int last = --vmp->home_count == 0 && vmp->retired;
	pthread_mutex_unlock(&vmp->tc_lock);
	if (last)
		vmem_destroy(vmp);
}

/* tc_caches -- caches the pool serves now (explicit and home) */
unsigned
tc_caches(struct vmem *vmp)
{
	pthread_mutex_lock(&vmp->tc_lock);
	unsigned n = vmp->tc_count + vmp->home_count;
	pthread_mutex_unlock(&vmp->tc_lock);
	return n;
}

/* home_take -- bind the calling thread to vmp; tc_lock held */
static int
home_take(struct vmem *vmp)
{
	unsigned a = vmp->pool.arena;
	if (vje_mallctl("thread.arena", NULL, NULL, &a, sizeof(a)) != 0)
		return -1;
	Tc_home = vmp;
	vmp->home_count++;
	return 0;
}

/* home_leave -- flush the thread's own cache into its home, unbind */
static void
home_leave(void)
{
	struct vmem *vmp = Tc_home;
	if (vmp == NULL)
		return;
	Tc_home = NULL;
	(void) vje_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	unsigned a0 = 0;
	(void) vje_mallctl("thread.arena", NULL, NULL, &a0, sizeof(a0));
	if (Tc_last.vmp == vmp)
		memset(&Tc_last, 0, sizeof(Tc_last));
	struct tc_table *t = Tc_table;
	if (t != NULL && vmp->slot < t->cap &&
			t->ent[vmp->slot].f.tc == TC_HOME)
		t->ent[vmp->slot].gen = 0;
	tc_unref(vmp);
}

/* home_retired -- whether the thread's home was deleted meanwhile */
static inline int
home_retired(void)
{
	return Tc_home != NULL &&
		__atomic_load_n(&Tc_home->retired, __ATOMIC_ACQUIRE);
}

/* tc_thread_fini -- destroy the calling thread's caches (exit, unload) */
void
tc_thread_fini(void)
{
	home_leave();
	struct tc_table *t = Tc_table;
	memset(&Tc_last, 0, sizeof(Tc_last));
	if (t == NULL)
		return;
	Tc_table = NULL;
	reg_lock();
	for (unsigned i = 0; i < t->cap; i++) {
		struct tc_ent *e = &t->ent[i];
		if (e->gen == 0 || e->f.tc == TC_NONE || Reg_gen[i] != e->gen)
			continue;
		struct vmem *vmp = Reg_pool[i];
		pthread_mutex_lock(&vmp->tc_lock);
		tc_release(vmp, e->f.tc);
		pthread_mutex_unlock(&vmp->tc_lock);
	}
	reg_unlock();
	Free(t);
}

/* tc_table_slot -- the thread's entry for slot, growing the table */
static struct tc_ent *
tc_table_slot(unsigned slot)
{
	struct tc_table *t = Tc_table;
	if (t != NULL && slot < t->cap)
		return &t->ent[slot];
	unsigned cap = t ? t->cap : 4;
	while (cap <= slot)
		cap *= 2;
	struct tc_table *n = Realloc(t, sizeof(*t) + cap * sizeof(t->ent[0]));
	if (n == NULL)
		return NULL;
	unsigned old = t ? n->cap : 0;
	memset(&n->ent[old], 0, (cap - old) * sizeof(n->ent[0]));
	n->cap = cap;
	if (t == NULL) {
		pthread_once(&Tc_key_once, tc_key_init);
		if (Tc_key_ok)
			(void) pthread_setspecific(Tc_key, n);
	}
	Tc_table = n;
	return &n->ent[slot];
}

/* tc_create -- home or a new cache for vmp, if it still hands them out */
static unsigned
tc_create(struct vmem *vmp)
{
	unsigned id = TC_NONE;
	pthread_mutex_lock(&vmp->tc_lock);
	if (vmp->tc_count + vmp->home_count >= vmp->tc_max) {
		/* its share of caches is taken: run uncached */
	} else if (Tc_home == NULL && vmp->kind != VMEM_REGION &&
			home_take(vmp) == 0) {
		id = TC_HOME;
	} else {
		size_t len = sizeof(id);
		if (vje_mallctl("tcache.create", &id, &len, NULL, 0) == 0)
			vmp->tc_ids[vmp->tc_count++] = id;
		else
			id = TC_NONE;	/* the engine's limit: run uncached */
	}
	pthread_mutex_unlock(&vmp->tc_lock);
	if (id == TC_NONE)
		LOG(2, "pool %p: no thread cache left (%u in use), this thread "
			"runs uncached", (void *)vmp, vmp->tc_max);
	return id;
}

/* tc_set -- fill flags for vmp with cache id (or TC_NONE, TC_HOME) */
static void
tc_set(struct tc_flags *f, const struct vmem *vmp, unsigned id)
{
	f->tc = id;
	if (id == TC_HOME) {
		f->free = f->alloc = 0;
		return;
	}
	f->free = id == TC_NONE ? MALLOCX_TCACHE_NONE : MALLOCX_TCACHE(id);
	f->alloc = MALLOCX_ARENA(vmp->pool.arena) | f->free;
}

/* tc_lookup -- the thread's flags for vmp (NULL: not a live pool) */
const struct tc_flags *
tc_lookup(struct vmem *vmp)
{
	if (home_retired())
		home_leave();	/* before anything: vmp may be that pool */
	if (vmp == NULL || vmp->magic != VMEM_MAGIC || vmp->gen == 0) {
		ERR("invalid pool handle %p", (void *)vmp);
		errno = EINVAL;
		return NULL;
	}
	struct tc_ent *e = tc_table_slot(vmp->slot);
	if (e == NULL) {
		/* no memory for the table: run uncached, never fail */
		tc_set(&Tc_last.f, vmp, TC_NONE);
		Tc_last.vmp = NULL;
		return &Tc_last.f;
	}
	if (e->gen != vmp->gen) {
		e->gen = vmp->gen;
		tc_set(&e->f, vmp, tc_create(vmp));
	}
	Tc_last.vmp = vmp;
	Tc_last.gen = vmp->gen;
	Tc_last.f = e->f;
	return &Tc_last.f;
}

/* tc_pool_init -- prepare the cache registry of a new pool */
int
tc_pool_init(struct vmem *vmp)
{
	size_t max = vmp->pool.size / VMEM_CACHE_SHARE;
	if (max < 1)
		max = 1;
	if (max > VMEM_MAX_POOLS)
		max = VMEM_MAX_POOLS;
	vmp->tc_max = (unsigned)max;
	vmp->tc_count = 0;
	vmp->home_count = 0;
	vmp->retired = 0;
	vmp->tc_ids = Malloc(max * sizeof(unsigned));
	if (vmp->tc_ids == NULL) {
		ERR("out of memory for the pool's cache registry");
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_init(&vmp->tc_lock, NULL);
	return 0;
}

/*
 * tc_pool_fini -- destroy every cache of the pool (all threads'); 1 when
 * other threads still have it as their home: the caller then retires the
 * pool and drops its own hold with tc_unref
 */
int
tc_pool_fini(struct vmem *vmp)
{
	if (Tc_home == vmp)
		home_leave();
	if (Tc_last.vmp == vmp)
		memset(&Tc_last, 0, sizeof(Tc_last));
	pthread_mutex_lock(&vmp->tc_lock);
	while (vmp->tc_count > 0)
		tc_release(vmp, vmp->tc_ids[vmp->tc_count - 1]);
	int held = vmp->home_count > 0;
	if (held) {
		vmp->home_count++;	/* the caller's hold */
		__atomic_store_n(&vmp->retired, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vmp->tc_lock);
	return held;
}

/* tc_pool_free -- free the cache registry of a destroyed pool */
void
tc_pool_free(struct vmem *vmp)
{
	pthread_mutex_destroy(&vmp->tc_lock);
	Free(vmp->tc_ids);
	vmp->tc_ids = NULL;
}

/* tc_flush -- flush the calling thread's cache of vmp */
void
tc_flush(struct vmem *vmp, const struct tc_flags *f)
{
	(void) vmp;
	unsigned id = f->tc;
	if (id == TC_HOME)
		(void) vje_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	else if (id != TC_NONE)
		(void) vje_mallctl("tcache.flush", NULL, NULL, &id, sizeof(id));
}
