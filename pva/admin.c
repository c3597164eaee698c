/* SPDX-License-Identifier: Apache-2.0 */
/* The manufacturer's commands: revoke, add-reference, add-pcr, import, status, revocations, references. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openmcim/hex.h>

#include "pva_admin.h"
#include "log.h"
#include "pva_store.h"
#include "reason.h"

#define WORDS_MAX 6

static int cmd_revoke(struct pva *p, char **w, size_t n, char *why, size_t wl)
{
	int reason = 0;
	if (n < 2 || n > 3)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: revoke TRE_ID [reason]");
	if (n == 3 && (reason = pva_reason_parse(w[2])) < 0)
		return om_reason(why, wl, OM_EPVA_COMMAND, "unknown reason '%.32s' (RFC 5280 CRLReason names)", w[2]);
	time_t at = time(NULL);
	pthread_mutex_lock(&p->lock);
	int rc = om_store_begin(p->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = pva_store_revoke(p, w[1], reason, (int64_t)at);
	if (rc == 0)
		rc = om_store_commit(p->store);
	om_store_rollback(p->store);
	pthread_mutex_unlock(&p->lock);
	if (rc == OM_EPVA_NOT_FOUND)
		return om_reason(why, wl, rc, "no TRE %.63s", w[1]);
	if (rc == OM_EPVA_REVOKED)
		return om_reason(why, wl, rc, "TRE %.63s is already revoked", w[1]);
	if (rc < 0)
		return om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	om_notice("revoke", "tre_id=%s reason=%s at=%lld", w[1], pva_reason_name(reason), (long long)at);
	return 0;
}

static int cmd_add_reference(struct pva *p, char **w, size_t n, char *why, size_t wl)
{
	uint8_t sha[32];
	if (n != 5)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: add-reference MODEL FIRMWARE COMPONENT SHA256");
	if (!pva_name_ok(w[1], PVA_MODEL_MAX) || !pva_name_ok(w[2], PVA_FIRMWARE_MAX) ||
	    !pva_name_ok(w[3], PVA_COMPONENT_MAX))
		return om_reason(why, wl, OM_EPVA_COMMAND, "model, firmware and component are [A-Za-z0-9._-]");
	if (strlen(w[4]) != 64 || om_hex_decode(sha, sizeof(sha), w[4]) < 0)
		return om_reason(why, wl, OM_EPVA_COMMAND, "SHA256 is 64 hex digits");
	pthread_mutex_lock(&p->lock);
	int rc = om_store_begin(p->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = pva_store_add_reference(p, w[1], w[2], w[3], sha);
	if (rc == 0)
		rc = om_store_commit(p->store);
	om_store_rollback(p->store);
	pthread_mutex_unlock(&p->lock);
	if (rc == OM_EPVA_REFERENCE)
		return om_reason(why, wl, rc, "%s %s %s already has another reference value", w[1], w[2], w[3]);
	if (rc < 0)
		return om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	om_info("add-reference", "model=%s firmware=%s component=%s sha256=%s", w[1], w[2], w[3], w[4]);
	return 0;
}

/* A reference PCR value of a model and firmware (issue 18): what a TPM device's quote must show. */
static int cmd_add_pcr(struct pva *p, char **w, size_t n, char *why, size_t wl)
{
	uint8_t sha[32];
	char *end = NULL;
	if (n != 5)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: add-pcr MODEL FIRMWARE PCR SHA256");
	if (!pva_name_ok(w[1], PVA_MODEL_MAX) || !pva_name_ok(w[2], PVA_FIRMWARE_MAX))
		return om_reason(why, wl, OM_EPVA_COMMAND, "model and firmware are [A-Za-z0-9._-]");
	unsigned long pcr = strtoul(w[3], &end, 10);
	if (!*w[3] || *end || pcr > 23 || w[3][0] == '-' || w[3][0] == '+')
		return om_reason(why, wl, OM_EPVA_COMMAND, "PCR is 0 to 23");
	if (strlen(w[4]) != 64 || om_hex_decode(sha, sizeof(sha), w[4]) < 0)
		return om_reason(why, wl, OM_EPVA_COMMAND, "SHA256 is 64 hex digits");
	pthread_mutex_lock(&p->lock);
	int rc = om_store_begin(p->store, OM_STORE_DURABLE);
	if (rc == 0)
		rc = pva_store_add_pcr(p, w[1], w[2], (unsigned)pcr, sha);
	if (rc == 0)
		rc = om_store_commit(p->store);
	om_store_rollback(p->store);
	pthread_mutex_unlock(&p->lock);
	if (rc == OM_EPVA_REFERENCE)
		return om_reason(why, wl, rc, "%s %s PCR %lu already has another reference value", w[1], w[2], pcr);
	if (rc < 0)
		return om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	om_info("add-pcr", "model=%s firmware=%s pcr=%lu sha256=%s", w[1], w[2], pcr, w[4]);
	return 0;
}

static int cmd_import(struct pva *p, char **w, size_t n, pva_admin_emit emit, void *ctx, char *why, size_t wl)
{
	long devices = 0, refs = 0;
	char line[64];
	if (n != 2)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: import DIR");
	int rc = pva_import_dir(p, w[1], &devices, &refs, why, wl);
	if (rc < 0)
		return rc;
	om_info("import", "dir=%s devices=%ld references=%ld", w[1], devices, refs);
	snprintf(line, sizeof(line), "devices=%ld references=%ld", devices, refs);
	emit(ctx, line);
	return 0;
}

static int cmd_status(struct pva *p, char **w, size_t n, pva_admin_emit emit, void *ctx, char *why, size_t wl)
{
	struct pva_tre t;
	char line[512];
	if (n != 2)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: status TRE_ID");
	pthread_mutex_lock(&p->lock);
	int rc = pva_store_get_tre(p, w[1], &t);
	pthread_mutex_unlock(&p->lock);
	if (rc == OM_EPVA_NOT_FOUND)
		rc = om_reason(why, wl, rc, "no TRE %.63s", w[1]);
	else if (rc < 0)
		rc = om_reason(why, wl, rc, "storage: %s", om_strerror(rc));
	if (rc < 0)
		goto out;
	snprintf(line, sizeof(line), "tre_id=%s model=%s firmware=%s sign_serial=%s enc_serial=%s attestation=%s",
		 t.tre_id, t.model, t.firmware, t.sign_serial, t.enc_serial, t.ak_der ? "tpm" : "none");
	emit(ctx, line);
	if (t.revoked)
		snprintf(line, sizeof(line), "status=revoked revoked_at=%lld reason=%s", (long long)t.revoked_at,
			 pva_reason_name(t.reason));
	else
		snprintf(line, sizeof(line), "status=good");
	emit(ctx, line);
out:
	pva_tre_clear(&t);
	return rc;
}

struct emit_to {
	pva_admin_emit emit;
	void *ctx;
};

static void emit_revoked(void *arg, const struct pva_tre *t)
{
	struct emit_to *o = arg;
	char line[512];
	snprintf(line, sizeof(line), "tre_id=%s revoked_at=%lld reason=%s sign_serial=%s enc_serial=%s", t->tre_id,
		 (long long)t->revoked_at, pva_reason_name(t->reason), t->sign_serial, t->enc_serial);
	o->emit(o->ctx, line);
}

static void emit_reference(void *arg, const char *model, const char *firmware, const char *component,
			   const uint8_t sha256[32])
{
	struct emit_to *o = arg;
	char line[512], hex[65];
	om_hex_encode(hex, sha256, 32);
	snprintf(line, sizeof(line), "reference=%s/%s/%s sha256=%s", model, firmware, component, hex);
	o->emit(o->ctx, line);
}

/*
 * revocations AFTER|- and references AFTER|- (issue 15): a page of
 * PVA_ADMIN_PAGE lines after the key of the last line of the page before
 * (a TRE_id; MODEL/FIRMWARE/COMPONENT).
 */
static int cmd_list(struct pva *p, char **w, size_t n, pva_admin_emit emit, void *ctx, char *why, size_t wl)
{
	struct emit_to o = { emit, ctx };
	char model[PVA_MODEL_MAX + 1] = "", firmware[PVA_FIRMWARE_MAX + 1] = "", component[PVA_COMPONENT_MAX + 1] = "";
	int revocations = !strcmp(w[0], "revocations"), rc;
	if (n != 2)
		return om_reason(why, wl, OM_EPVA_COMMAND, "usage: %s AFTER|-", w[0]);
	if (!revocations && strcmp(w[1], "-")) {
		char *save = NULL, *a = strtok_r(w[1], "/", &save), *b = a ? strtok_r(NULL, "/", &save) : NULL;
		char *c = b ? strtok_r(NULL, "/", &save) : NULL;
		if (!c || strtok_r(NULL, "/", &save) || !pva_name_ok(a, PVA_MODEL_MAX) || !pva_name_ok(b, PVA_FIRMWARE_MAX) ||
		    !pva_name_ok(c, PVA_COMPONENT_MAX))
			return om_reason(why, wl, OM_EPVA_COMMAND, "references AFTER: MODEL/FIRMWARE/COMPONENT or -");
		snprintf(model, sizeof(model), "%s", a);
		snprintf(firmware, sizeof(firmware), "%s", b);
		snprintf(component, sizeof(component), "%s", c);
	}
	pthread_mutex_lock(&p->lock);
	rc = revocations ? pva_store_revocations(p, strcmp(w[1], "-") ? w[1] : "", PVA_ADMIN_PAGE, emit_revoked, &o)
			 : pva_store_reference_page(p, model, firmware, component, PVA_ADMIN_PAGE, emit_reference, &o);
	pthread_mutex_unlock(&p->lock);
	return rc < 0 ? om_reason(why, wl, rc, "storage: %s", om_strerror(rc)) : 0;
}

int pva_admin_exec(struct pva *p, char *line, pva_admin_emit emit, void *ctx, char *why, size_t wl)
{
	char *w[WORDS_MAX];
	size_t n = 0;
	int rc;
	for (char *save = NULL, *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == WORDS_MAX)
			return om_reason(why, wl, OM_EPVA_COMMAND, "too many words");
		w[n++] = t;
	}
	if (n == 0)
		return om_reason(why, wl, OM_EPVA_COMMAND, "empty command");
	if (!strcmp(w[0], "revoke"))
		rc = cmd_revoke(p, w, n, why, wl);
	else if (!strcmp(w[0], "add-reference"))
		rc = cmd_add_reference(p, w, n, why, wl);
	else if (!strcmp(w[0], "add-pcr"))
		rc = cmd_add_pcr(p, w, n, why, wl);
	else if (!strcmp(w[0], "import"))
		rc = cmd_import(p, w, n, emit, ctx, why, wl);
	else if (!strcmp(w[0], "status"))
		rc = cmd_status(p, w, n, emit, ctx, why, wl);
	else if (!strcmp(w[0], "revocations") || !strcmp(w[0], "references"))
		rc = cmd_list(p, w, n, emit, ctx, why, wl);
	else
		rc = om_reason(why, wl, OM_EPVA_COMMAND, "unknown command '%.32s'", w[0]);
	if (rc < 0)
		om_notice("admin-refused", "command=%.32s reason=\"%s\"", w[0], why);
	return rc;
}
