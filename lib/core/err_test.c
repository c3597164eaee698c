/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error codes' lists (include/openmcim/err/<range>.def): every code has
 * a name and a message that om_strerror, om_errname and om_errcode give
 * back; no two codes share a number or a name; each code lies in its range,
 * after the one before it; the ranges do not overlap, and each header's
 * ranges come in order (err.h the core's, then the factory's, svc/svc_err.h
 * the services', the agent's and the lab's).
 */
#include <stdio.h>
#include <string.h>

#include <openmcim/err.h>

#include "check.h"

struct range {
	const char *id;
	int first, last; /* first > last: -1 .. -99 */
	int header;      /* 0 core, 1 factory, 2 services, 3 agent, 4 lab */
};
struct code {
	const char *name, *msg;
	int number, range;
};

static struct range ranges[32];
static struct code codes[1024];
static size_t n_ranges, n_codes;
static int header;

static void range(const char *id, int first, int last)
{
	if (n_ranges < sizeof(ranges) / sizeof(ranges[0]))
		ranges[n_ranges++] = (struct range){ id, first, last, header };
}

static void code(const char *name, int number, const char *msg)
{
	if (n_codes < sizeof(codes) / sizeof(codes[0]))
		codes[n_codes++] = (struct code){ name, msg, number, (int)n_ranges - 1 };
}

static void read_lists(void)
{
#define OM_ERR(name, number, message) code(#name, number, message);
#define OM_ERR_RANGE(id, first, last) range(#id, first, last);
	header = 0;
#include <openmcim/err/core.def>
#include <openmcim/err/auth.def>
#include <openmcim/err/protect.def>
#include <openmcim/err/pki.def>
#include <openmcim/err/tre.def>
#include <openmcim/err/nas.def>
#include <openmcim/err/objects.def>
#include <openmcim/err/radio.def>
#include <openmcim/err/dm.def>
	header = 1;
#include <openmcim/err/factory.def>
	header = 2;
#include <openmcim/err/store_hss.def>
#include <openmcim/err/pva.def>
#include <openmcim/err/sho.def>
#include <openmcim/err/drf.def>
#include <openmcim/err/dpf.def>
	header = 3;
#include <openmcim/err/agent.def>
	header = 4;
#include <openmcim/err/lab.def>
#undef OM_ERR
#undef OM_ERR_RANGE
}

int main(void)
{
	read_lists();
	CHECK_MSG(n_ranges >= 17 && n_ranges < sizeof(ranges) / sizeof(ranges[0]), "%zu ranges", n_ranges);
	CHECK_MSG(n_codes >= 299 && n_codes < sizeof(codes) / sizeof(codes[0]), "%zu codes", n_codes);

	for (size_t i = 0; i < n_ranges; i++) {
		const struct range *r = &ranges[i];
		CHECK_MSG(r->first < 0 && r->last <= r->first, "range %s: %d .. %d", r->id, r->first, r->last);
		/* in order within one header: each range below the one before it */
		if (i > 0 && ranges[i - 1].header == r->header)
			CHECK_MSG(r->first < ranges[i - 1].last, "range %s (%d) not after %s (%d)", r->id, r->first,
				  ranges[i - 1].id, ranges[i - 1].last);
		for (size_t j = 0; j < i; j++) /* and no overlap with any other */
			CHECK_MSG(r->first < ranges[j].last || r->last > ranges[j].first, "ranges %s and %s overlap",
				  r->id, ranges[j].id);
	}

	for (size_t i = 0; i < n_codes; i++) {
		const struct code *c = &codes[i];
		const struct range *r = c->range >= 0 ? &ranges[c->range] : NULL;
		CHECK_MSG(r && c->number <= r->first && c->number >= r->last, "%s = %d outside its range %s", c->name,
			  c->number, r ? r->id : "(none)");
		if (i > 0 && codes[i - 1].range == c->range)
			CHECK_MSG(c->number < codes[i - 1].number, "%s = %d not after %s = %d", c->name, c->number,
				  codes[i - 1].name, codes[i - 1].number);
		CHECK_MSG(c->msg[0] && strcmp(c->msg, "unknown error"), "%s has no message", c->name);
		CHECK_MSG(!strcmp(om_strerror(c->number), c->msg), "om_strerror(%s) = %s", c->name,
			  om_strerror(c->number));
		CHECK_MSG(!strcmp(om_errname(c->number), c->name), "om_errname(%d) = %s, not %s", c->number,
			  om_errname(c->number), c->name);
		CHECK_MSG(om_errcode(c->name) == c->number, "om_errcode(%s) = %d", c->name, om_errcode(c->name));
		for (size_t j = 0; j < i; j++) {
			CHECK_MSG(codes[j].number != c->number, "%s and %s are both %d", codes[j].name, c->name, c->number);
			CHECK_MSG(strcmp(codes[j].name, c->name), "%s twice", c->name);
		}
	}
	/* every number om_errname knows is in the lists read above: a .def that err.c reads and this test
	 * does not would leave its codes unchecked */
	for (int n = -1; n >= -5000; n--) {
		if (!strcmp(om_errname(n), "OM_E?"))
			continue;
		size_t i = 0;
		while (i < n_codes && codes[i].number != n)
			i++;
		CHECK_MSG(i < n_codes, "%s = %d is in no list this test reads", om_errname(n), n);
	}
	/* outside every list: no name, the generic message */
	CHECK(!strcmp(om_errname(-99999), "OM_E?"));
	CHECK(!strcmp(om_strerror(-99999), "unknown error"));
	CHECK_INT(om_errcode("OM_ENOT_A_CODE"), 0);
	CHECK_INT(OM_EINVAL, -1);
	CHECK_INT(OM_EDM_HMAC_HEADER, -1064);
	return check_done();
}
