/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The radio server's admission rules (vno/radio_admit.h), one case each:
 * the per-source cap, authentication freeing a place, the newcomer that
 * takes the place of the most crowded source's oldest link, the oldest of
 * all when no source is crowded, and the cap on links of any kind.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openmcim/err.h>

#include "check.h"
#include "radio_admit.h"

/* Links without sockets: whether they have spoken is what radio_admit_spoke() said. */
static void no_sockets(struct radio_conn *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c[i].fd = -1;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;
	CHECK_INT(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void per_source_cap(void)
{
	struct radio_admit a;
	struct radio_conn c[5], *ev;
	radio_admit_init(&a, 100, 50, 3);
	no_sockets(c, 5);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(radio_admit_enter(&a, &c[i], ip("127.0.0.2"), &ev), 0);
		CHECK(ev == NULL);
	}
	CHECK_INT(radio_admit_enter(&a, &c[3], ip("127.0.0.2"), &ev), OM_ERADIO_SOURCE_LIMIT);
	CHECK_INT(radio_admit_unauth_from(&a, ip("127.0.0.2")), 3);
	CHECK_INT(a.total, 3);
	/* Another address is not affected. */
	CHECK_INT(radio_admit_enter(&a, &c[3], ip("127.0.0.3"), &ev), 0);
	/* A link that authenticates leaves its place to the next one from its address. */
	radio_admit_authenticated(&a, &c[1]);
	CHECK_INT(radio_admit_unauth_from(&a, ip("127.0.0.2")), 2);
	CHECK_INT(radio_admit_enter(&a, &c[4], ip("127.0.0.2"), &ev), 0);
	CHECK_INT(a.unauth, 4);
	CHECK_INT(a.total, 5);
	/* The eviction walk's list holds the unauthenticated only (issue 14: not the held devices). */
	int listed = 0;
	for (const struct radio_conn *l = a.head; l; l = l->next)
		listed += l == &c[1] ? 100 : 1;
	CHECK_INT(listed, 4);
	for (int i = 0; i < 5; i++)
		radio_admit_leave(&a, &c[i]);
	CHECK_INT(a.total, 0);
	CHECK_INT(a.unauth, 0);
	CHECK_INT(radio_admit_unauth_from(&a, ip("127.0.0.2")), 0);
	CHECK(a.head == NULL && a.tail == NULL);
	radio_admit_free(&a);
}

static void newcomer_replaces_the_crowded_sources_oldest(void)
{
	struct radio_admit a;
	struct radio_conn c[8], *ev;
	radio_admit_init(&a, 100, 6, 4);
	no_sockets(c, 8);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.3"), &ev), 0); /* oldest of all, not crowded */
	for (int i = 1; i < 5; i++)
		CHECK_INT(radio_admit_enter(&a, &c[i], ip("127.0.0.2"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[5], ip("127.0.0.3"), &ev), 0);
	CHECK_INT(a.unauth, 6);
	/* Full: the device from 127.0.0.1 replaces 127.0.0.2's oldest, not 127.0.0.3's. */
	CHECK_INT(radio_admit_enter(&a, &c[6], ip("127.0.0.1"), &ev), 0);
	CHECK(ev == &c[1]);
	CHECK(!c[1].unauth);
	CHECK_INT(a.unauth, 6);
	CHECK_INT(a.total, 7); /* the evicted one counts until its thread has let go */
	CHECK_INT(radio_admit_unauth_from(&a, ip("127.0.0.2")), 3);
	radio_admit_leave(&a, &c[1]);
	CHECK_INT(a.total, 6);
	for (int i = 0; i < 7; i++)
		if (i != 1)
			radio_admit_leave(&a, &c[i]);
	radio_admit_free(&a);
}

static void silent_then_oldest_when_no_source_is_crowded(void)
{
	struct radio_admit a;
	struct radio_conn c[4], *ev;
	radio_admit_init(&a, 100, 3, 3);
	no_sockets(c, 4);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.2"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[1], ip("127.0.0.3"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[2], ip("127.0.0.4"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[3], ip("127.0.0.5"), &ev), 0);
	CHECK(ev == &c[0]);
	CHECK_INT(radio_admit_unauth_from(&a, ip("127.0.0.2")), 0);
	radio_admit_leave(&a, &c[0]);
	/* c[1] has sent its Attach Request: the silent c[2] goes before it, though younger. */
	radio_admit_spoke(&a, &c[1]);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.6"), &ev), 0);
	CHECK(ev == &c[2]);
	radio_admit_leave(&a, &c[2]);
	/* All that are left have spoken but one, the newest: it goes. */
	radio_admit_spoke(&a, &c[3]);
	CHECK_INT(radio_admit_enter(&a, &c[2], ip("127.0.0.7"), &ev), 0);
	CHECK(ev == &c[0]);
	radio_admit_leave(&a, &c[0]);
	/* Every one has spoken: the oldest. */
	radio_admit_spoke(&a, &c[2]);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.8"), &ev), 0);
	CHECK(ev == &c[1]);
	radio_admit_leave(&a, &c[1]);
	radio_admit_leave(&a, &c[0]);
	radio_admit_leave(&a, &c[2]);
	radio_admit_leave(&a, &c[3]);
	CHECK_INT(a.total, 0);
	radio_admit_free(&a);
}

/* Bytes waiting in a link's socket count as having spoken, before its thread has read them. */
static void bytes_in_the_socket_count_as_spoken(void)
{
	struct radio_admit a;
	struct radio_conn c[3], *ev;
	int sv[2], sw[2];
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sw), 0);
	radio_admit_init(&a, 100, 2, 2);
	c[0].fd = sv[0]; /* older, an Attach Request waits in it */
	c[1].fd = sw[0]; /* younger, silent */
	c[2].fd = -1;
	CHECK_INT(write(sv[1], "\x00\x01\x01\x07", 4), 4);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.2"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[1], ip("127.0.0.3"), &ev), 0);
	CHECK_INT(radio_admit_enter(&a, &c[2], ip("127.0.0.4"), &ev), 0);
	CHECK(ev == &c[1]);
	radio_admit_leave(&a, &c[1]);
	radio_admit_leave(&a, &c[0]);
	radio_admit_leave(&a, &c[2]);
	radio_admit_free(&a);
	close(sv[0]);
	close(sv[1]);
	close(sw[0]);
	close(sw[1]);
}

static void authenticated_links_count_towards_max_devices(void)
{
	struct radio_admit a;
	struct radio_conn c[3], *ev;
	radio_admit_init(&a, 2, 2, 2);
	no_sockets(c, 3);
	CHECK_INT(radio_admit_enter(&a, &c[0], ip("127.0.0.2"), &ev), 0);
	radio_admit_authenticated(&a, &c[0]);
	CHECK_INT(radio_admit_enter(&a, &c[1], ip("127.0.0.2"), &ev), 0);
	radio_admit_authenticated(&a, &c[1]);
	CHECK_INT(a.unauth, 0);
	CHECK_INT(radio_admit_enter(&a, &c[2], ip("127.0.0.3"), &ev), OM_ERADIO_BUSY);
	CHECK(ev == NULL);
	radio_admit_leave(&a, &c[0]);
	CHECK_INT(radio_admit_enter(&a, &c[2], ip("127.0.0.3"), &ev), 0);
	radio_admit_leave(&a, &c[1]);
	radio_admit_leave(&a, &c[2]);
	radio_admit_free(&a);
}

int main(void)
{
	per_source_cap();
	newcomer_replaces_the_crowded_sources_oldest();
	silent_then_oldest_when_no_source_is_crowded();
	bytes_in_the_socket_count_as_spoken();
	authenticated_links_count_towards_max_devices();
	return check_done();
}
