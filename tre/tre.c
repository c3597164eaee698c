/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening the TRE with its integrity check (secure boot, spec/004
 * 5.1.1.1.3), status, and discovery under the ACL (spec/004 5.1.1.1.4: a
 * stakeholder sees only the MIDs it owns).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <openmcim/pki.h>

#include "tre_int.h"

void tre_mid_file(char out[static TRE_MID_FILE_LEN], const uint8_t mid[static OM_MCIM_MID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "mid-", 4);
	for (size_t i = 0; i < OM_MCIM_MID_LEN; i++) {
		out[4 + 2 * i] = hex[mid[i] >> 4];
		out[5 + 2 * i] = hex[mid[i] & 15];
	}
	memcpy(out + 4 + 2 * OM_MCIM_MID_LEN, ".mid", 5);
}

int tre_find(const struct om_tre *tre, const uint8_t mid[static OM_MCIM_MID_LEN])
{
	for (size_t i = 0; i < tre->st.n_mids; i++)
		if (memcmp(tre->st.mids[i].mid, mid, OM_MCIM_MID_LEN) == 0)
			return (int)i;
	return -1;
}

int tre_save_state(struct om_tre *tre, struct tre_state *s)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	s->counter = tre->counter + 1;
	int rc = tre_state_encode(s, &buf, &len);
	if (rc)
		return rc;
	rc = tre_seal_put(tre->seal, TRE_STATE_FILE, buf, len, 0);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!rc)
		tre->counter = s->counter;
	return rc;
}

int tre_save_mid(struct om_tre *tre, struct tre_mid_record *rec, int excl)
{
	char name[TRE_MID_FILE_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	rec->counter = tre->counter + 1;
	int rc = tre_mid_encode(rec, &buf, &len);
	if (rc)
		return rc;
	tre_mid_file(name, rec->mid);
	rc = tre_seal_put(tre->seal, name, buf, len, excl);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!rc)
		tre->counter = rec->counter;
	return rc;
}

/* Free old unless next still holds the same bytes in any of its blobs. */
static void free_if_unshared(struct tre_blob *old, const struct tre_state *next)
{
	const struct tre_blob *keep[] = { &next->sign_key, &next->enc_key, &next->sign_cert,
					  &next->enc_cert, &next->root, &next->root_prev };
	if (!old->p)
		return;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i]->p == old->p)
			return;
	tre_blob_free(old);
}

int tre_commit(struct om_tre *tre, struct tre_state *next)
{
	int rc = tre_save_state(tre, next);
	if (rc)
		return rc;
	free_if_unshared(&tre->st.sign_key, next);
	free_if_unshared(&tre->st.enc_key, next);
	free_if_unshared(&tre->st.sign_cert, next);
	free_if_unshared(&tre->st.enc_cert, next);
	free_if_unshared(&tre->st.root, next);
	free_if_unshared(&tre->st.root_prev, next);
	memcpy(&tre->st, next, sizeof(*next));
	OPENSSL_cleanse(next, sizeof(*next));
	return 0;
}

int tre_decode_root(X509 **out, const struct tre_blob *root)
{
	return om_cert_decode(out, OM_ENC_DER, root->p, root->len);
}

int tre_commit_root_back(struct om_tre *tre, struct tre_state *next)
{
	X509 *root = NULL;
	int rc;

	if (tre->st.root_prev.len) {
		rc = tre_decode_root(&root, &tre->st.root_prev);
		if (rc)
			return rc;
		next->root = tre->st.root_prev;
		next->root_prev.p = NULL;
		next->root_prev.len = 0;
	}
	rc = tre_commit(tre, next);
	if (rc) {
		X509_free(root);
		return rc;
	}
	if (root) {
		X509_free(tre->root);
		tre->root = root;
	}
	tre->have_nonce_b = 0;
	return 0;
}

int tre_check_root(X509 *cert, time_t now, char cn[static OM_NAME_MAX_LEN + 1])
{
	int rc = om_cert_check_profile(cert, OM_CERT_SHO_SIGNING);
	if (rc == OM_EPKI_PURPOSE && om_cert_check_profile(cert, OM_CERT_ROOT_CA) == 0)
		rc = 0;
	if (rc)
		return rc;
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0)
		return OM_EPKI_NOT_YET_VALID;
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0)
		return OM_EPKI_EXPIRED;
	return om_cert_subject_cn(cert, cn) < 0 ? OM_ETRE_TRUST_ROOT : 0;
}

static int in_tpm(const struct tre_blob *b)
{
	return tre_key_blob_backend(b) == OM_TRE_BACKEND_TPM;
}

static int in_token(const struct tre_blob *b)
{
	return tre_key_blob_backend(b) == OM_TRE_BACKEND_PKCS11;
}

/* The backend the device's configuration gives, as tre_key_use needs it for keys held by hardware. */
static struct om_tre_backend hw_backend(const struct om_tre *tre)
{
	return (struct om_tre_backend){ .kind = OM_TRE_BACKEND_PKCS11, .p11_module = tre->p11_module,
					.p11_token = tre->p11_token, .p11_pin = tre->p11_pin };
}

/*
 * A key in the token must be there, of the kind personalisation made (as the
 * sealing key: OM_ETRE_KEY_ATTRS otherwise) and the one the record names,
 * before anything runs.
 */
static int check_token_key(const struct om_tre *tre, const struct tre_blob *b)
{
	struct om_tre_backend be = hw_backend(tre);
	EVP_PKEY *key = NULL;
	int rc = tre_p11_key_load(&be, b, &key);
	om_key_free(key);
	return rc;
}

/* A key in the TPM or the token stays there: only its blob is kept, loaded at each use (tre_key_use). */
static int load_keys(struct om_tre *tre, const struct om_tre_backend *be)
{
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		int need = tre_key_blob_backend(i ? &tre->st.enc_key : &tre->st.sign_key);
		if (need >= 0 && (!be || be->kind != need))
			return OM_ETRE_BACKEND;
		if (need == OM_TRE_BACKEND_PKCS11 && (rc = check_token_key(tre, i ? &tre->st.enc_key : &tre->st.sign_key)) != 0)
			return rc;
	}
	if (tre_key_blob_backend(&tre->st.sign_key) < 0)
		rc = tre_key_decode(&tre->sign_key, &tre->st.sign_key);
	if (!rc && tre_key_blob_backend(&tre->st.enc_key) < 0)
		rc = tre_key_decode(&tre->enc_key, &tre->st.enc_key);
	if (!rc)
		rc = tre_decode_root(&tre->root, &tre->st.root);
	/* Keys and the root were sealed by us: if they do not decode, the record is corrupt. */
	return rc ? OM_ETRE_STATE : 0;
}

int tre_key_use(const struct om_tre *tre, int enc, EVP_PKEY **key)
{
	EVP_PKEY *k = enc ? tre->enc_key : tre->sign_key;
	if (k) {
		int rc = om_key_up_ref(k);
		if (rc)
			return rc;
		*key = k;
		return 0;
	}
	const struct tre_blob *b = enc ? &tre->st.enc_key : &tre->st.sign_key;
	if (in_token(b)) {
		struct om_tre_backend be = hw_backend(tre);
		return tre_p11_key_load(&be, b, key);
	}
	return tre_tpm_key_load(tre->tcti_default ? NULL : tre->tpm_tcti, b, key);
}

/* Load one MID's file and check it against its registry entry. */
static int load_mid(struct om_tre *tre, size_t i)
{
	const struct tre_mid_entry *e = &tre->st.mids[i];
	char name[TRE_MID_FILE_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct tre_mid_record *rec = calloc(1, sizeof(*rec));
	int rc;

	if (!rec)
		return OM_ENOMEM;
	tre_mid_file(name, e->mid);
	rc = tre_seal_get(tre->seal, name, &buf, &len);
	if (!rc)
		rc = tre_mid_parse(rec, buf, len);
	if (!rc && (memcmp(rec->mid, e->mid, OM_MCIM_MID_LEN) != 0 || rec->is_pcid != e->is_pcid ||
		    strcmp(rec->owner, e->owner) != 0))
		rc = OM_ETRE_STATE;
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (rc) {
		tre_mid_clear(rec);
		free(rec);
		return rc;
	}
	tre->rec[i] = rec;
	if (rec->counter > tre->counter)
		tre->counter = rec->counter;
	return 0;
}

int om_tre_open(struct om_tre **out, const char *dir, unsigned flags)
{
	return om_tre_open_backend(out, dir, NULL, flags);
}

int om_tre_open_backend(struct om_tre **out, const char *dir, const struct om_tre_backend *be, unsigned flags)
{
	struct om_tre *tre = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n_newly_blocked = 0;
	int rc;

	if (!out || !dir || strlen(dir) >= TRE_PATH_MAX || (flags & ~OM_TRE_NO_FSYNC))
		return OM_EINVAL;
	tre = calloc(1, sizeof(*tre));
	if (!tre)
		return OM_ENOMEM;
	memcpy(tre->dir, dir, strlen(dir) + 1);
	tre->flags = flags;
	rc = tre_dir_check(dir);
	if (!rc)
		rc = tre_seal_open(&tre->seal, dir, be, flags);
	if (rc)
		goto out;
	rc = tre_seal_get(tre->seal, TRE_STATE_FILE, &buf, &len);
	if (rc)
		goto out;
	rc = tre_state_parse(&tre->st, buf, len);
	if (rc)
		goto out;
	if (be && be->kind == OM_TRE_BACKEND_TPM) {
		if (be->tpm_tcti && strlen(be->tpm_tcti) >= sizeof(tre->tpm_tcti)) {
			rc = OM_EINVAL;
			goto out;
		}
		tre->tcti_default = !be->tpm_tcti;
		if (be->tpm_tcti)
			memcpy(tre->tpm_tcti, be->tpm_tcti, strlen(be->tpm_tcti) + 1);
	}
	if (be && be->kind == OM_TRE_BACKEND_PKCS11) {
		/* the sealer opened with them: they fit (tre_p11_args_ok) */
		if (strlen(be->p11_module) >= sizeof(tre->p11_module) || strlen(be->p11_token) >= sizeof(tre->p11_token) ||
		    strlen(be->p11_pin) >= sizeof(tre->p11_pin)) {
			rc = OM_EINVAL;
			goto out;
		}
		memcpy(tre->p11_module, be->p11_module, strlen(be->p11_module) + 1);
		memcpy(tre->p11_token, be->p11_token, strlen(be->p11_token) + 1);
		memcpy(tre->p11_pin, be->p11_pin, strlen(be->p11_pin) + 1);
	}
	rc = load_keys(tre, be);
	if (rc)
		goto out;
	tre->counter = tre->st.counter; /* load_mid raises it to the highest MID record's */
	/* Secure boot: every MID is checked now; one that fails is blocked, never used. */
	for (size_t i = 0; i < tre->st.n_mids; i++) {
		if (tre->st.mids[i].state == OM_TRE_MID_BLOCKED)
			continue;
		rc = load_mid(tre, i);
		/* a foreign file is refused, not blocked: blocking would write the
		 * state; so is a rolled-back one (an old SQN state would answer an
		 * old challenge again): the whole TRE does not open */
		if (rc == OM_ENOMEM || rc == OM_EIO || rc == OM_ETRE_FILE_OWNER || rc == OM_ETRE_ROLLBACK ||
		    rc == OM_ETRE_HW)
			goto out;
		if (rc) {
			tre->st.mids[i].state = OM_TRE_MID_BLOCKED;
			n_newly_blocked++;
		}
	}
	rc = 0;
	if (tre->seal->has_counter) {
		/* The hardware counter is the state counter: every record was written at or below it. */
		if (tre->counter > tre->seal->counter) {
			rc = OM_ETRE_STATE;
			goto out;
		}
		tre->counter = tre->seal->counter;
	}
	/* Measured boot of the TRE's program into PCR 15, and the AK to quote it with (attest.c) */
	if (be && be->kind == OM_TRE_BACKEND_TPM && (rc = tre_attest_open(tre)) != 0)
		goto out;
	/* Persist the verdict, so that a file restored later does not unblock its MID. */
	if (n_newly_blocked)
		rc = tre_save_state(tre, &tre->st);
	/* A blocked active MID: the device moves to the next usable one at once. */
	if (!rc && tre->st.has_active) {
		uint8_t was[OM_MCIM_MID_LEN];
		memcpy(was, tre->st.active, OM_MCIM_MID_LEN);
		rc = tre_leave_blocked(tre);
		if (rc == 1) {
			tre->left_blocked = 1;
			memcpy(tre->blocked_mid, was, OM_MCIM_MID_LEN);
			rc = 0;
		}
	}
out:
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (rc) {
		om_tre_close(tre);
		return rc;
	}
	*out = tre;
	return 0;
}

void om_tre_close(struct om_tre *tre)
{
	if (!tre)
		return;
	for (size_t i = 0; i < OM_TRE_MIDS_MAX; i++) {
		if (tre->rec[i]) {
			tre_mid_clear(tre->rec[i]);
			free(tre->rec[i]);
		}
	}
	tre_state_clear(&tre->st);
	tre_attest_close(tre);
	EVP_PKEY_free(tre->sign_key);
	EVP_PKEY_free(tre->enc_key);
	X509_free(tre->root);
	tre_seal_close(tre->seal);
	OPENSSL_cleanse(tre, sizeof(*tre));
	free(tre);
}

const char *om_tre_mid_state_name(int state)
{
	switch (state) {
	case OM_TRE_MID_INSTALLED:
		return "INSTALLED";
	case OM_TRE_MID_ACTIVE:
		return "ACTIVE";
	case OM_TRE_MID_INACTIVE:
		return "INACTIVE";
	case OM_TRE_MID_BLOCKED:
		return "BLOCKED";
	case OM_TRE_MID_ERASED:
		return "ERASED";
	default:
		return "?";
	}
}

int om_tre_status(const struct om_tre *tre, struct om_tre_status *st)
{
	char cn[OM_NAME_MAX_LEN + 1] = "";
	if (!tre || !st)
		return OM_EINVAL;
	memset(st, 0, sizeof(*st));
	memcpy(st->tre_id, tre->st.tre_id, sizeof(st->tre_id));
	if (om_cert_subject_cn(tre->root, cn) >= 0)
		memcpy(st->trust_root_cn, cn, sizeof(st->trust_root_cn));
	st->bootstrap_sequence = tre->st.sequence;
	st->n_mids = tre->st.n_mids;
	for (size_t i = 0; i < tre->st.n_mids; i++) {
		if (tre->st.mids[i].state != OM_TRE_MID_BLOCKED)
			continue;
		st->n_blocked++;
		if (tre->st.has_active && memcmp(tre->st.mids[i].mid, tre->st.active, OM_MCIM_MID_LEN) == 0)
			st->active_blocked = 1;
	}
	st->left_blocked = tre->left_blocked;
	memcpy(st->blocked_mid, tre->blocked_mid, OM_MCIM_MID_LEN);
	st->session = tre->st.session.present;
	st->session_fell_back = tre->st.session.present && (tre->st.session.flags & TRE_SESSION_FELL_BACK);
	st->activation_pending = tre->st.pending;
	st->fallback_deadline = tre->st.pending ? (time_t)tre->st.deadline : 0;
	st->counter = tre->counter;
	st->keys_in_tpm = in_tpm(&tre->st.sign_key) && in_tpm(&tre->st.enc_key);
	st->keys_in_token = in_token(&tre->st.sign_key) && in_token(&tre->st.enc_key);
	return 0;
}

int om_tre_get_info(const struct om_tre *tre, struct om_tre_info *info)
{
	if (!tre || !info)
		return OM_EINVAL;
	memset(info, 0, sizeof(*info));
	memcpy(info->tre_id, tre->st.tre_id, sizeof(info->tre_id));
	memcpy(info->tre_type, tre->st.tre_type, sizeof(info->tre_type));
	memcpy(info->firmware_version, tre->st.firmware_version, sizeof(info->firmware_version));
	info->n_measurements = tre->st.n_meas;
	memcpy(info->m, tre->st.meas, tre->st.n_meas * sizeof(info->m[0]));
	info->counter = tre->counter;
	/* reported in every M2MMobj, not only detected (spec/001 4.1.4.1, threats 1.10) */
	for (size_t i = 0; i < tre->st.n_mids; i++)
		info->n_blocked += tre->st.mids[i].state == OM_TRE_MID_BLOCKED;
	return 0;
}

static void fill_info(const struct om_tre *tre, size_t i, struct om_tre_mid_info *o)
{
	const struct tre_mid_entry *e = &tre->st.mids[i];
	const struct tre_mid_record *r = tre->rec[i];

	memset(o, 0, sizeof(*o));
	memcpy(o->mid, e->mid, OM_MCIM_MID_LEN);
	memcpy(o->owner, e->owner, sizeof(o->owner));
	o->state = e->state;
	o->is_pcid = e->is_pcid;
	if (r) { /* a blocked MID's file is not trusted: only the registry speaks for it */
		memcpy(o->imsi, r->mcim.imsi, sizeof(o->imsi));
		o->mnc_len = r->mcim.mnc_len;
		memcpy(o->apn, r->mcim.apn, sizeof(o->apn));
	}
	if (tre->st.pending && tre->st.has_active && memcmp(e->mid, tre->st.active, OM_MCIM_MID_LEN) == 0) {
		o->pending = 1;
		o->fallback_deadline = (time_t)tre->st.deadline;
	}
}

int om_tre_mid_list(const struct om_tre *tre, const char *stakeholder, struct om_tre_mid_info *out,
		    size_t cap)
{
	int n = 0;
	if (!tre || !stakeholder || !*stakeholder || (cap && !out))
		return OM_EINVAL;
	for (size_t i = 0; i < tre->st.n_mids; i++) {
		if (strcmp(tre->st.mids[i].owner, stakeholder) != 0)
			continue;
		if ((size_t)n < cap)
			fill_info(tre, i, &out[n]);
		n++;
	}
	return n;
}

int om_tre_active(const struct om_tre *tre, struct om_tre_mid_info *out)
{
	if (!tre || !out)
		return OM_EINVAL;
	int i = tre->st.has_active ? tre_find(tre, tre->st.active) : -1;
	if (i < 0)
		return OM_ETRE_NO_ACTIVE;
	if (!tre->rec[i])
		return OM_ETRE_BLOCKED;
	fill_info(tre, (size_t)i, out);
	return 0;
}
