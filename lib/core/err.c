/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and messages for every om_err code, the core's, the services', the
 * agent's and the lab's, made from the one list of each range
 * (include/openmcim/err/<range>.def; include/openmcim/err.h "How the codes
 * are made"): a code added to its list has its name and message here.
 */
#include <stddef.h>
#include <string.h>

#include <openmcim/err.h>

struct err_row {
	int code;
	const char *name;
	const char *msg;
};

#define OM_ERR(name, number, message) { number, #name, message },
#define OM_ERR_RANGE(id, first, last)
static const struct err_row rows[] = {
	{ OM_OK, "OM_OK", "success" },
	/* the core library's, include/openmcim/err.h */
#include <openmcim/err/core.def>
#include <openmcim/err/auth.def>
#include <openmcim/err/protect.def>
#include <openmcim/err/pki.def>
#include <openmcim/err/tre.def>
#include <openmcim/err/nas.def>
#include <openmcim/err/objects.def>
#include <openmcim/err/radio.def>
#include <openmcim/err/dm.def>
	/* factory/factory_err.h */
#include <openmcim/err/factory.def>
	/* the services', svc/svc_err.h */
#include <openmcim/err/store_hss.def>
#include <openmcim/err/pva.def>
#include <openmcim/err/sho.def>
#include <openmcim/err/drf.def>
#include <openmcim/err/dpf.def>
	/* agent/agent_err.h, lab/lab_err.h */
#include <openmcim/err/agent.def>
#include <openmcim/err/lab.def>
};
#undef OM_ERR
#undef OM_ERR_RANGE
static const struct err_row *find(int err)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == err)
			return &rows[i];
	return NULL;
}

const char *om_strerror(int err)
{
	const struct err_row *r = find(err);
	return r ? r->msg : "unknown error";
}

const char *om_errname(int err)
{
	const struct err_row *r = find(err);
	return r ? r->name : "OM_E?";
}

int om_errcode(const char *name)
{
	for (size_t i = 0; name && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].name, name))
			return rows[i].code;
	return 0;
}
