/* SPDX-License-Identifier: Apache-2.0 */
/* The radio server's admission bookkeeping; see radio_admit.h. */
#include <stdlib.h>
#include <sys/ioctl.h>

#include <openmcim/err.h>

#include "radio_admit.h"

struct radio_admit_src {
	uint32_t addr;
	unsigned n; /* unauthenticated links from addr; the entry goes at 0 */
	struct radio_admit_src *next;
};

static unsigned bucket_of(uint32_t addr)
{
	uint32_t h = addr * 2654435761u; /* Knuth's multiplicative hash */
	return h >> 24;
}

static struct radio_admit_src *find(const struct radio_admit *a, uint32_t addr)
{
	for (struct radio_admit_src *s = a->bucket[bucket_of(addr)]; s; s = s->next)
		if (s->addr == addr)
			return s;
	return NULL;
}

void radio_admit_init(struct radio_admit *a, unsigned max_total, unsigned max_unauth, unsigned max_per_source)
{
	*a = (struct radio_admit){.max_total = max_total, .max_unauth = max_unauth, .max_per_source = max_per_source};
}

void radio_admit_free(struct radio_admit *a)
{
	for (unsigned i = 0; i < RADIO_ADMIT_BUCKETS; i++) {
		while (a->bucket[i]) {
			struct radio_admit_src *s = a->bucket[i];
			a->bucket[i] = s->next;
			free(s);
		}
	}
}

unsigned radio_admit_unauth_from(const struct radio_admit *a, uint32_t src)
{
	const struct radio_admit_src *s = find(a, src);
	return s ? s->n : 0;
}

/* c stops counting as unauthenticated. */
static void drop_unauth(struct radio_admit *a, struct radio_conn *c)
{
	if (!c->unauth)
		return;
	c->unauth = false;
	a->unauth--;
	/* The list holds the unauthenticated only: an eviction's walk does not pass the held devices (issue 14). */
	if (c->prev)
		c->prev->next = c->next;
	else
		a->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		a->tail = c->prev;
	c->prev = c->next = NULL;
	struct radio_admit_src **pp = &a->bucket[bucket_of(c->src)];
	while (*pp && (*pp)->addr != c->src)
		pp = &(*pp)->next;
	if (*pp && --(*pp)->n == 0) {
		struct radio_admit_src *s = *pp;
		*pp = s->next;
		free(s);
	}
}

/*
 * Whether c has sent anything: bytes its thread has read, or bytes still in
 * its socket (a device's Attach Request is there before its thread
 * has even run, and it must not lose its place meanwhile).
 */
static bool spoke(const struct radio_conn *c)
{
	int queued = 0;
	return c->spoke || (c->fd >= 0 && ioctl(c->fd, FIONREAD, &queued) == 0 && queued > 0);
}

/* The oldest unauthenticated link from src (any source when !src_only), silent ones first. */
static struct radio_conn *oldest(const struct radio_admit *a, bool src_only, uint32_t src)
{
	struct radio_conn *any = NULL;
	for (struct radio_conn *c = a->head; c; c = c->next) {
		if (!c->unauth || (src_only && c->src != src))
			continue;
		if (!spoke(c))
			return c;
		if (!any)
			any = c;
	}
	return any;
}

/*
 * Whom a newcomer with mine unauthenticated links from its source replaces:
 * one of the source holding the most, when that is more than mine + 1 (one
 * ahead would only swap who is ahead); else one of all. Within that, the
 * oldest that has sent nothing yet, else the oldest. So a silent flood, from
 * any number of addresses and at any rate, never closes a link whose device
 * has begun its attach, and a flood from few addresses gives way to anyone
 * else.
 */
static struct radio_conn *victim(const struct radio_admit *a, unsigned mine)
{
	const struct radio_admit_src *top = NULL;
	for (unsigned i = 0; i < RADIO_ADMIT_BUCKETS; i++)
		for (const struct radio_admit_src *s = a->bucket[i]; s; s = s->next)
			if (!top || s->n > top->n)
				top = s;
	bool crowded = top && top->n > mine + 1;
	return oldest(a, crowded, crowded ? top->addr : 0);
}

int radio_admit_enter(struct radio_admit *a, struct radio_conn *c, uint32_t src, struct radio_conn **evict)
{
	*evict = NULL;
	if (a->total >= a->max_total)
		return OM_ERADIO_BUSY;
	struct radio_admit_src *s = find(a, src);
	unsigned mine = s ? s->n : 0;
	if (mine >= a->max_per_source)
		return OM_ERADIO_SOURCE_LIMIT;
	struct radio_conn *v = NULL;
	if (a->unauth >= a->max_unauth && !(v = victim(a, mine)))
		return OM_ERADIO_BUSY; /* not reached: max_unauth >= 1 links are there to choose from */
	if (!s) {
		if (!(s = calloc(1, sizeof(*s))))
			return OM_ENOMEM;
		s->addr = src;
		s->next = a->bucket[bucket_of(src)];
		a->bucket[bucket_of(src)] = s;
	}
	if (v) {
		drop_unauth(a, v); /* another source's entry: s stays */
		*evict = v;
	}
	s->n++;
	a->unauth++;
	a->total++;
	c->src = src;
	c->unauth = true;
	c->spoke = false;
	c->next = NULL;
	c->prev = a->tail;
	if (a->tail)
		a->tail->next = c;
	else
		a->head = c;
	a->tail = c;
	return 0;
}

void radio_admit_authenticated(struct radio_admit *a, struct radio_conn *c)
{
	drop_unauth(a, c);
}

void radio_admit_spoke(struct radio_admit *a, struct radio_conn *c)
{
	(void)a;
	c->spoke = true;
}

void radio_admit_leave(struct radio_admit *a, struct radio_conn *c)
{
	drop_unauth(a, c);
	a->total--;
}
