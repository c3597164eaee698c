/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Remote provisioning inside the TRE (spec/002 B.2.3.3, B.2.3.4): the
 * bootstrap from SHO[i], the M2MMobj the TRE signs, and the MCIM install
 * from M2MMCIMMobj. Every check runs before anything is written, so a
 * refused object leaves the TRE's files byte-identical.
 */
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <openmcim/bootstrap.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>
#include <openmcim/sqn.h>

#include "tre_int.h"

#define CREDS_PLAIN_MAX 1024
#define TRE_STATUS_MAX_AGE_DEFAULT 86400 /* a stapled status not required is still at most a day old */

static int nonce_seen(const struct tre_state *s, const uint8_t nonce[static OM_NONCE_LEN])
{
	int seen = 0;
	for (size_t i = 0; i < s->n_seen; i++)
		seen |= CRYPTO_memcmp(s->seen[i], nonce, OM_NONCE_LEN) == 0;
	return seen;
}

/* Remember nonceA; the ring drops the oldest. The sequence rule still
 * refuses a replay older than the ring, since its sequence is lower. */
static void nonce_remember(struct tre_state *s, const uint8_t nonce[static OM_NONCE_LEN])
{
	if (s->n_seen == TRE_REPLAY_MAX) {
		memmove(s->seen[0], s->seen[1], (TRE_REPLAY_MAX - 1) * OM_NONCE_LEN);
		s->n_seen--;
	}
	memcpy(s->seen[s->n_seen++], nonce, OM_NONCE_LEN);
}

int om_tre_require_signer_status(struct om_tre *tre, long max_age)
{
	if (!tre || max_age < 0)
		return OM_EINVAL;
	tre->status_max_age = max_age;
	return 0;
}

/*
 * spec/000 5.2.2.3.2 step 7: the status of the certificate whose key signed
 * the bootstrap (the pinned Cert_SHO[i]), by its issuer's responder. A
 * status that is there is checked (at the required window, or a day).
 */
static int check_signer_status(const struct om_tre *tre, const struct om_bootstrap *b, time_t now)
{
	X509 *issuer = NULL;
	int rc;
	if (!b->signer_status)
		return tre->status_max_age > 0 ? OM_EPKI_STATUS_MISSING : 0;
	rc = om_cert_decode(&issuer, OM_ENC_DER, b->signer_issuer, b->signer_issuer_len);
	if (rc)
		return rc;
	rc = om_cert_status_check(b->signer_status, b->signer_status_len, tre->root, issuer, now,
				  tre->status_max_age > 0 ? tre->status_max_age : TRE_STATUS_MAX_AGE_DEFAULT);
	X509_free(issuer);
	return rc;
}

/* om_protect_open with PrK_TRE for decryption (in the TPM: the key agreement runs there). */
static int tre_protect_open(const struct om_tre *tre, uint8_t tag, const uint8_t *in, size_t len, uint8_t *out,
			    size_t cap)
{
	EVP_PKEY *key = NULL;
	int n = tre_key_use(tre, 1, &key);
	if (n == 0)
		n = om_protect_open(key, tag, in, len, out, cap);
	om_key_free(key);
	return n;
}

int om_tre_bootstrap(struct om_tre *tre, const uint8_t *xml, size_t len, time_t now)
{
	struct om_bootstrap b;
	struct om_dm_creds c;
	struct tre_state next;
	struct tre_blob new_root = { 0 };
	char cn[OM_NAME_MAX_LEN + 1];
	uint8_t plain[CREDS_PLAIN_MAX];
	X509 *cert = NULL;
	int rc, n;

	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&next, 0, sizeof(next));
	if (!tre || !xml)
		return OM_EINVAL;
	/* Changing the trust root while an activation awaits its deadline would
	 * leave the fallback pointing at a root that no longer matches. */
	if (tre->st.pending)
		return OM_ETRE_PENDING;
	/* B.2.3.3: the signature is checked with Cert_SHO[i] before a byte is trusted. */
	rc = om_bootstrap_verify(xml, len, tre->root, &b);
	if (!rc)
		rc = check_signer_status(tre, &b, now);
	if (rc)
		goto out;
	rc = om_cert_decode(&cert, OM_ENC_DER, b.sho_cert, b.sho_cert_len);
	if (!rc)
		rc = tre_check_root(cert, now, cn);
	if (rc)
		goto out;
	n = tre_protect_open(tre, OM_PROTECT_TAG_DM_CREDENTIALS, b.creds, b.creds_len, plain, sizeof(plain));
	if (n < 0) {
		rc = n;
		goto out;
	}
	rc = om_dm_creds_decode(&c, plain, (size_t)n);
	if (rc)
		goto out;
	if (nonce_seen(&tre->st, c.nonce_a)) {
		rc = OM_ETRE_REPLAY;
		goto out;
	}
	if (b.sequence <= tre->st.sequence) {
		rc = OM_ETRE_SEQUENCE;
		goto out;
	}
	/* Every check passed: Cert_SHO[i+1] becomes the trust root. */
	rc = tre_blob_set(&new_root, b.sho_cert, b.sho_cert_len);
	if (rc)
		goto out;
	next = tre->st;
	/* root_prev is the root of the last operator whose MCIM was confirmed:
	 * a second bootstrap before confirmation must not overwrite it. */
	if (!next.root_prev.len)
		next.root_prev = tre->st.root;
	next.root = new_root;
	next.sequence = b.sequence;
	nonce_remember(&next, c.nonce_a);
	next.session.present = 1;
	memcpy(next.session.nonce_a, c.nonce_a, OM_NONCE_LEN);
	memcpy(next.session.username, c.username, sizeof(c.username));
	memcpy(next.session.password, c.password, sizeof(c.password));
	memcpy(next.session.server_id, b.server_id, sizeof(next.session.server_id));
	next.session.server_id[sizeof(next.session.server_id) - 1] = 0;
	/* Where the DM client connects, and over which APN: both must outlive a restart. */
	memcpy(next.session.provurl, b.provurl, sizeof(next.session.provurl));
	next.session.provurl[sizeof(next.session.provurl) - 1] = 0;
	memcpy(next.session.apn, b.apn, sizeof(next.session.apn));
	next.session.apn[sizeof(next.session.apn) - 1] = 0;
	next.session.flags = 0;
	rc = tre_commit(tre, &next);
	if (rc)
		goto out;
	new_root.p = NULL; /* now the state's */
	X509_free(tre->root);
	tre->root = cert;
	cert = NULL;
	tre->have_nonce_b = 0;
out:
	tre_blob_free(&new_root);
	X509_free(cert);
	om_bootstrap_free(&b);
	om_dm_creds_clear(&c);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}

int om_tre_dm_identity(const struct om_tre *tre, char username[static OM_BOOTSTRAP_NAME_MAX + 1],
		       char server_id[static OM_BOOTSTRAP_NAME_MAX + 1])
{
	if (!tre)
		return OM_EINVAL;
	if (!tre->st.session.present)
		return OM_ETRE_NO_SESSION;
	memcpy(username, tre->st.session.username, OM_BOOTSTRAP_NAME_MAX + 1);
	memcpy(server_id, tre->st.session.server_id, OM_BOOTSTRAP_NAME_MAX + 1);
	return 0;
}

int om_tre_dm_endpoint(const struct om_tre *tre, char url[static OM_BOOTSTRAP_URL_MAX + 1],
		       char apn[static OM_BOOTSTRAP_APN_MAX + 1])
{
	if (!tre)
		return OM_EINVAL;
	if (!tre->st.session.present)
		return OM_ETRE_NO_SESSION;
	memcpy(url, tre->st.session.provurl, OM_BOOTSTRAP_URL_MAX + 1);
	memcpy(apn, tre->st.session.apn, OM_BOOTSTRAP_APN_MAX + 1);
	return 0;
}

int om_tre_dm_server_anchor(const struct om_tre *tre, uint8_t *out, size_t cap)
{
	if (!tre || !out)
		return OM_EINVAL;
	if (!tre->st.session.present || (tre->st.session.flags & TRE_SESSION_FELL_BACK))
		return OM_ETRE_NO_SESSION;
	if (tre->st.root.len > cap || tre->st.root.len > INT_MAX)
		return OM_ELENGTH;
	memcpy(out, tre->st.root.p, tre->st.root.len);
	return (int)tre->st.root.len;
}

int om_tre_trust_root(const struct om_tre *tre, uint8_t *out, size_t cap)
{
	if (!tre || !out)
		return OM_EINVAL;
	if (!tre->st.root.len || tre->st.root.len > cap || tre->st.root.len > INT_MAX)
		return OM_ELENGTH;
	memcpy(out, tre->st.root.p, tre->st.root.len);
	return (int)tre->st.root.len;
}

int om_tre_dm_digest(const struct om_tre *tre, const uint8_t *nonce, size_t nonce_len,
		     char out[static OM_TRE_DM_DIGEST_B64_LEN + 1])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char inner[OM_TRE_DM_DIGEST_B64_LEN + 1];
	unsigned md_len = 0;
	EVP_MD_CTX *ctx = NULL;
	int rc = OM_ECRYPTO;

	memset(out, 0, OM_TRE_DM_DIGEST_B64_LEN + 1);
	if (!tre || (nonce_len && !nonce))
		return OM_EINVAL;
	if (!tre->st.session.present)
		return OM_ETRE_NO_SESSION;
	const struct tre_session *s = &tre->st.session;
	ctx = EVP_MD_CTX_new();
	/* OMA DM Security 1.2 5.1 (auth-md5): B64(MD5(B64(MD5(user ":" pass)) ":" nonce)). */
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, s->username, strlen(s->username)) != 1 || EVP_DigestUpdate(ctx, ":", 1) != 1 ||
	    EVP_DigestUpdate(ctx, s->password, strlen(s->password)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 16 ||
	    EVP_EncodeBlock((unsigned char *)inner, md, 16) != OM_TRE_DM_DIGEST_B64_LEN ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, inner, OM_TRE_DM_DIGEST_B64_LEN) != 1 || EVP_DigestUpdate(ctx, ":", 1) != 1 ||
	    (nonce_len && EVP_DigestUpdate(ctx, nonce, nonce_len) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1 ||
	    EVP_EncodeBlock((unsigned char *)out, md, 16) != OM_TRE_DM_DIGEST_B64_LEN)
		goto out;
	rc = 0;
out:
	if (rc)
		memset(out, 0, OM_TRE_DM_DIGEST_B64_LEN + 1);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}

int om_tre_m2mmobj(struct om_tre *tre, uint8_t *out, size_t cap)
{
	struct om_tre_info info;
	uint8_t nonce_b[OM_NONCE_LEN];
	int rc;

	if (!tre || !out)
		return OM_EINVAL;
	/* After a fallback the session only authenticates the outcome report:
	 * the trust root is SHO[i]'s again, no MCIM of SHO[i+1] could install. */
	if (!tre->st.session.present || (tre->st.session.flags & TRE_SESSION_FELL_BACK))
		return OM_ETRE_NO_SESSION;
	rc = om_tre_get_info(tre, &info);
	if (rc)
		return rc;
	if (RAND_bytes(nonce_b, sizeof(nonce_b)) != 1)
		return OM_ERANDOM;
	/* with an AK, the TPM's quote over nonceA | nonceB and what was measured (attest.c) */
	if ((rc = tre_attest_quote(tre, tre->st.session.nonce_a, nonce_b, &info)) != 0)
		return rc;
	EVP_PKEY *key = NULL;
	if ((rc = tre_key_use(tre, 0, &key)) != 0)
		return rc;
	rc = om_m2mmobj_build(&info, tre->st.session.nonce_a, nonce_b, key, out, cap);
	om_key_free(key);
	if (rc < 0)
		return rc;
	/* Only the latest nonceB is acceptable: an M2MMCIMMobj for an older one is stale. */
	memcpy(tre->nonce_b, nonce_b, OM_NONCE_LEN);
	tre->have_nonce_b = 1;
	return rc;
}

/* From an opened MCIM, a MID record owned by the current trust root's SHO. */
static int make_record(struct om_tre *tre, const struct om_mcim *m, time_t now, struct tre_mid_record *rec)
{
	char cn[OM_NAME_MAX_LEN + 1];
	int rc;

	if ((m->present & OM_MCIM_HAS_NOT_AFTER) && (uint64_t)now >= m->not_after)
		return OM_ETRE_MID_STATE;
	if (om_cert_subject_cn(tre->root, cn) < 0)
		return OM_ETRE_TRUST_ROOT;
	rec->mcim = *m;
	if (m->present & OM_MCIM_HAS_MID)
		memcpy(rec->mid, m->mid, OM_MCIM_MID_LEN);
	else if (RAND_bytes(rec->mid, OM_MCIM_MID_LEN) != 1)
		return OM_ERANDOM;
	rec->is_pcid = 0;
	memcpy(rec->owner, cn, sizeof(rec->owner));
	rc = om_usim_sqn_init(&rec->sqn, (m->present & OM_MCIM_HAS_IND_BITS) ? m->ind_bits : OM_IND_BITS_DEFAULT,
			      OM_USIM_DELTA_DEFAULT, 0);
	if (rc)
		return rc;
	if (tre_find(tre, rec->mid) >= 0)
		return OM_ETRE_EXISTS;
	for (size_t i = 0; i < tre->st.n_mids; i++)
		if (tre->rec[i] && strcmp(tre->rec[i]->mcim.imsi, m->imsi) == 0)
			return OM_ETRE_EXISTS;
	if (tre->st.n_mids >= OM_TRE_MIDS_MAX)
		return OM_ETRE_FULL;
	return 0;
}

int om_tre_install_mcim(struct om_tre *tre, const uint8_t *obj, size_t len, time_t now,
			uint8_t mid_out[OM_MCIM_MID_LEN])
{
	const uint8_t *mobj = NULL;
	size_t mlen = 0;
	uint8_t nonce_b[OM_NONCE_LEN];
	uint8_t plain[OM_MCIM_ENCODED_MAX + 64];
	struct om_mcim m;
	struct tre_mid_record *rec = NULL;
	struct tre_state next;
	char name[TRE_MID_FILE_LEN];
	int rc, n, written = 0;

	memset(&m, 0, sizeof(m));
	memset(&next, 0, sizeof(next));
	if (!tre || !obj)
		return OM_EINVAL;
	if (!tre->st.session.present)
		return OM_ETRE_NO_SESSION;
	if (!tre->have_nonce_b)
		return OM_ETRE_NONCE;
	/* B.2.3.4 step 7: signed by SHO[i+1], whose certificate the bootstrap installed. */
	rc = om_m2mmcimmobj_verify(obj, len, X509_get0_pubkey(tre->root), &mobj, &mlen, nonce_b);
	if (rc)
		goto out;
	if (CRYPTO_memcmp(nonce_b, tre->nonce_b, OM_NONCE_LEN) != 0) {
		rc = OM_ETRE_NONCE;
		goto out;
	}
	tre->have_nonce_b = 0; /* one answer per nonceB */
	n = tre_protect_open(tre, OM_PROTECT_TAG_MCIM, mobj, mlen, plain, sizeof(plain));
	if (n < 0) {
		rc = n;
		goto out;
	}
	rc = om_mcim_decode(&m, plain, (size_t)n);
	if (rc)
		goto out;
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		rc = OM_ENOMEM;
		goto out;
	}
	rc = make_record(tre, &m, now, rec);
	if (rc)
		goto out;
	/* The MID file first, then the registry that names it. */
	rc = tre_save_mid(tre, rec, 1);
	if (rc)
		goto out;
	written = 1;
	next = tre->st;
	struct tre_mid_entry *e = &next.mids[next.n_mids++];
	memset(e, 0, sizeof(*e));
	memcpy(e->mid, rec->mid, OM_MCIM_MID_LEN);
	e->state = OM_TRE_MID_INSTALLED;
	memcpy(e->owner, rec->owner, sizeof(e->owner));
	/* what the outcome statement of this change will name (om_tre_outcome) */
	memcpy(next.session.nonce_b, nonce_b, OM_NONCE_LEN);
	memcpy(next.session.imsi, rec->mcim.imsi, sizeof(next.session.imsi));
	rc = tre_commit(tre, &next);
	if (rc)
		goto out;
	tre->rec[tre->st.n_mids - 1] = rec;
	if (mid_out)
		memcpy(mid_out, rec->mid, OM_MCIM_MID_LEN);
	rec = NULL;
out:
	if (rc && written) {
		tre_mid_file(name, rec->mid);
		char path[TRE_PATH_MAX];
		if (tre_path(path, tre->dir, name) == 0)
			unlink(path);
	}
	if (rec) {
		tre_mid_clear(rec);
		free(rec);
	}
	om_mcim_clear(&m);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}

int om_tre_abort_session(struct om_tre *tre)
{
	struct tre_state next;
	int rc;

	if (!tre)
		return OM_EINVAL;
	if (tre->st.pending)
		return OM_ETRE_PENDING;
	if (!tre->st.session.present)
		return OM_ETRE_NO_SESSION;
	next = tre->st;
	OPENSSL_cleanse(&next.session, sizeof(next.session));
	rc = tre_commit_root_back(tre, &next);
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}
