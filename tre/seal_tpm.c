/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM 2.0 sealing backend (docs/tre.md "Backends"), through tpm2-tss's
 * ESAPI.
 *
 * The device sealing key is a TPM sealed-data object (TPM 2.0 Part 1, 27.3
 * "sealed data objects"; TPM2_Create of a KEYEDHASH object with fixedTPM and
 * fixedParent) under the storage root key, a primary key that the TPM
 * re-derives from its storage seed at every open (the TCG EK/SRK
 * provisioning template for ECC P-256): the key's private area leaves the
 * TPM only encrypted under that seed, so dir/tpm.ctx opens on this TPM and
 * no other. Create and Unseal run in a session salted with the SRK, with
 * parameter encryption, so the key does not cross the bus in clear. After
 * TPM2_Unseal the key is in the TRE process for AES-256-GCM, as with the
 * software backend: a TPM has no AEAD command (TPM2_EncryptDecrypt is CFB,
 * CBC or CTR, unauthenticated), and one command per file would cost a
 * round trip on a slow bus for each AKA.
 *
 * Anti-rollback: an NV index of type TPM_NT_COUNTER (Part 1, 37.2.4), which
 * only ever counts up, also across TPM2_NV_UndefineSpace (a new counter
 * starts at the highest value any counter had). Every put takes the next
 * value: the sealed file's header carries it (authenticated), then the
 * manifest (seal.manifest: every live file's counter, itself sealed with
 * the counter) is rewritten, then the NV counter is incremented. At open the
 * manifest's counter must equal the NV counter (one ahead is a put cut by a
 * power loss: the NV increment is redone); a lower one is an older copy of
 * the directory: OM_ETRE_ROLLBACK. A file older than its manifest entry, or
 * one the manifest no longer lists, is OM_ETRE_ROLLBACK too. The counter is
 * the TRE's state counter (tre_sealer.counter), the one the TRE signs into
 * its statements. An erase takes the next value too, so the copy from
 * before it (the erased file and a manifest listing it) is behind the NV
 * counter.
 *
 * Which TPM: the TCTI comes from the device's configuration only, never
 * from the directory (a TCTI names a library for tpm2-tss to dlopen). Which
 * objects: the NV index must carry exactly the attributes nv_define gives
 * (a counter, so its value never goes back; an ordinary index put in its
 * place could be written to any value) and the name recorded in the sealed
 * manifest; the SRK the name recorded at personalisation, checked before
 * the key is unsealed in a session salted with it.
 *
 * Measured state: with a PCR value given at personalisation (om_tre_backend
 * tpm_pcr_policy), the sealed object's authPolicy is TPM2_PolicyPCR of PCR
 * TRE_PCR_TRE at that value and userWithAuth is clear (Part 1, 19.7.5: the
 * USER role then needs the policy), so the TPM unseals the key only while
 * that PCR holds what the genuine TRE measured; with any other value
 * TPM2_Unseal fails (TPM_RC_POLICY_FAIL): OM_ETRE_PCR. The policy is part of
 * the object's name, which TPM2_Load checks, so editing tpm.ctx does not
 * remove it (docs/decisions.md "PCR policy").
 *
 * Files: tpm.ctx (not secret, not authenticated: the NV index, the SRK's
 * name, the sealed object's public and private areas), seal.manifest
 * (sealed: the counter, the NV index's and the SRK's names, each live
 * file's counter), and the sealed files:
 *   "OMSL" | version(1) = 2 | counter(8, BE) | the seal_aead.h envelope
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include <openmcim/be.h>
#include <openmcim/tre.h>

#include "fileio.h"
#include "quote_tpm.h"
#include "seal.h"
#include "seal_aead.h"

#define HDR_LEN 13
#define SEAL_VERSION 2
#define CTX_VERSION 2 /* 1 kept the TCTI */
#define MF_VERSION 2  /* 2 adds the NV index's and the SRK's names */
#define MF_MAX 32
#define TCTI_MAX 255
/* The counter index as nv_define makes it, once incremented (TPM 2.0 Part 2, 13.4 TPMA_NV). */
#define NV_ATTRS                                                                                             \
	(TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA |                          \
	 ((TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) & TPMA_NV_TPM2_NT_MASK))
/* NV indices of the owner's range (TCG Registry of Reserved TPM 2.0 Handles
 * and Localities 2.2, 0x01800000-0x01BFFFFF): the first free one from here. */
#define NV_FIRST 0x01810000u
#define NV_TRIES 256

struct mf_entry {
	char name[TRE_AEAD_NAME_MAX + 1];
	uint64_t counter;
};

struct tpm {
	struct tre_sealer base; /* first: the ops get a struct tre_sealer * */
	uint8_t key[TRE_AEAD_KEY_LEN];
	char dir[TRE_PATH_MAX];
	char tcti_conf[TCTI_MAX + 1];
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR nv;
	uint32_t nv_index;
	TPM2B_NAME nv_name;  /* the NV index's, as the TPM reports it */
	TPM2B_NAME srk_name; /* the SRK's, recorded at personalisation */
	size_t n;
	struct mf_entry e[MF_MAX];
	/* A put failed after its file was written: counter base.counter + 1 may be
	 * on disk (file, manifest) or in the NV index already. Writing another
	 * file or manifest with that counter would make two states valid for it
	 * (a one-step rollback), so no put runs until the TRE is opened again and
	 * open reconciles the files with the NV index. */
	int broken;
};

static const uint8_t ctx_magic[4] = { 'O', 'M', 'T', 'P' };
static const uint8_t mf_magic[4] = { 'O', 'M', 'M', 'F' };

#ifdef OM_TRE_FAULTS
int tre_tpm_fault;

/* Test builds only (seal.h): the step named by tre_tpm_fault fails once, as a TPM or disk error would. */
static int fault(int at)
{
	if (tre_tpm_fault != at)
		return 0;
	tre_tpm_fault = TRE_FAULT_NONE;
	return OM_ETRE_HW;
}
#else
#define fault(at) 0
#endif

static int name_eq(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && a->size <= sizeof(a->name) && memcmp(a->name, b->name, a->size) == 0;
}

/* ---- the TPM ------------------------------------------------------------- */

int tre_tpm_connect(const char *tcti, TSS2_TCTI_CONTEXT **tc, ESYS_CONTEXT **es)
{
	/* tpm2-tss logs to stderr unless told otherwise; the TRE writes no log
	 * (tre.h). A caller who wants the TSS's own log sets TSS2_LOG. */
	setenv("TSS2_LOG", "all+NONE", 0);
	*tc = NULL;
	*es = NULL;
	if (Tss2_TctiLdr_Initialize(tcti, tc) != TSS2_RC_SUCCESS) {
		*tc = NULL;
		return OM_ETRE_HW;
	}
	if (Esys_Initialize(es, *tc, NULL) != TSS2_RC_SUCCESS) {
		*es = NULL;
		return OM_ETRE_HW;
	}
	return 0;
}

static int tpm_connect(struct tpm *t)
{
	return tre_tpm_connect(t->tcti_conf[0] ? t->tcti_conf : NULL, &t->tcti, &t->esys);
}

/* Hang up: the TRE holds no TPM connection between operations (swtpm serves one
 * client at a time, and the agent, the lab and tools share a device's TPM). */
static void tpm_disconnect(struct tpm *t)
{
	if (t->esys) {
		if (t->nv != ESYS_TR_NONE)
			Esys_TR_Close(t->esys, &t->nv);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	t->esys = NULL;
	t->tcti = NULL;
	t->nv = ESYS_TR_NONE;
}

/*
 * Connect and find the NV counter; OM_ETRE_SEAL when it is not on this TPM,
 * OM_ETRE_NV when it is not the one checked at open (its name differs: the
 * index was replaced since).
 */
static int tpm_attach_nv(struct tpm *t)
{
	TPM2B_NAME *name = NULL;
	int rc = tpm_connect(t);
	if (rc)
		return rc;
	if (Esys_TR_FromTPMPublic(t->esys, t->nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t->nv) !=
	    TSS2_RC_SUCCESS) {
		t->nv = ESYS_TR_NONE;
		return OM_ETRE_SEAL; /* the counter is gone: not this device's TPM as it was personalised */
	}
	if (t->nv_name.size) {
		if (Esys_TR_GetName(t->esys, t->nv, &name) != TSS2_RC_SUCCESS)
			return OM_ETRE_HW;
		rc = name_eq(name, &t->nv_name) ? 0 : OM_ETRE_NV;
		Esys_Free(name);
	}
	return rc;
}

/*
 * The NV index as the TPM describes it must be the counter nv_define made
 * and nv_increment wrote (OM_ETRE_NV otherwise); its name into t->nv_name.
 */
static int nv_check(struct tpm *t)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	if (Esys_NV_ReadPublic(t->esys, t->nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name) !=
	    TSS2_RC_SUCCESS)
		return OM_ETRE_HW;
	const TPMS_NV_PUBLIC *p = &pub->nvPublic;
	int rc = p->nvIndex == t->nv_index && p->nameAlg == TPM2_ALG_SHA256 &&
				 p->attributes == (NV_ATTRS | TPMA_NV_WRITTEN) && p->authPolicy.size == 0 &&
				 p->dataSize == 8 && name->size <= sizeof(name->name)
			 ? 0
			 : OM_ETRE_NV;
	if (!rc)
		t->nv_name = *name;
	Esys_Free(pub);
	Esys_Free(name);
	return rc;
}

/* The storage root key: the TCG ECC P-256 SRK template, so any tool finds the same key. Its name into *name. */
int tre_tpm_srk(ESYS_CONTEXT *esys, ESYS_TR *srk, TPM2B_NAME *name)
{
	TPM2B_NAME *n = NULL;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TRE_TPM_OWN_KEY | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme = { .scheme = TPM2_ALG_NULL },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
			.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	if (Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tpl,
			       &outside, &pcrs, srk, NULL, NULL, NULL, NULL) != TSS2_RC_SUCCESS)
		return OM_ETRE_HW;
	if (Esys_TR_GetName(esys, *srk, &n) != TSS2_RC_SUCCESS || n->size > sizeof(n->name)) {
		Esys_Free(n);
		Esys_FlushContext(esys, *srk);
		*srk = ESYS_TR_NONE;
		return OM_ETRE_HW;
	}
	*name = *n;
	Esys_Free(n);
	return 0;
}

/*
 * A session (TPM2_SE_HMAC, or TPM2_SE_POLICY for an object with a PCR
 * policy) salted with the SRK, encrypting the first command parameter or
 * the response's (what).
 */
static int start_session(struct tpm *t, ESYS_TR srk, TPM2_SE type, TPMA_SESSION what, ESYS_TR *sess)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB };
	if (Esys_StartAuthSession(t->esys, srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
				  type, &sym, TPM2_ALG_SHA256, sess) != TSS2_RC_SUCCESS)
		return OM_ETRE_HW;
	/* continueSession clear: the TPM flushes the session after the one command */
	if (Esys_TRSess_SetAttributes(t->esys, *sess, what,
				      TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION) !=
	    TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, *sess);
		return OM_ETRE_HW;
	}
	return 0;
}

static int nv_read(struct tpm *t, uint64_t *v)
{
	TPM2B_MAX_NV_BUFFER *data = NULL;
	if (Esys_NV_Read(t->esys, t->nv, t->nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 8, 0, &data) !=
	    TSS2_RC_SUCCESS)
		return OM_ETRE_HW;
	int rc = data->size == 8 ? 0 : OM_ETRE_HW;
	if (!rc)
		*v = om_be_get(data->buffer, 8);
	Esys_Free(data);
	return rc;
}

static int nv_increment(struct tpm *t)
{
	if (fault(TRE_FAULT_NV_INCREMENT))
		return OM_ETRE_HW;
	return Esys_NV_Increment(t->esys, t->nv, t->nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE) ==
			       TSS2_RC_SUCCESS
		       ? 0
		       : OM_ETRE_HW;
}

/*
 * A counter index the TRE's process may read and increment (authRead,
 * authWrite, empty auth: the owner's authorisation is needed only to define
 * or delete it). Anyone with the TPM can increment it, which bricks the TRE
 * but rolls nothing back.
 */
static int nv_define(struct tpm *t)
{
	TPM2B_AUTH auth = { 0 };
	for (uint32_t i = 0; i < NV_TRIES; i++) {
		TPM2B_NV_PUBLIC pub = {
			.nvPublic = {
				.nvIndex = NV_FIRST + i,
				.nameAlg = TPM2_ALG_SHA256,
				.attributes = NV_ATTRS,
				.dataSize = 8,
			},
		};
		TSS2_RC r = Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
						ESYS_TR_NONE, &auth, &pub, &t->nv);
		if (r == TPM2_RC_NV_DEFINED)
			continue;
		if (r != TSS2_RC_SUCCESS)
			return OM_ETRE_HW;
		t->nv_index = NV_FIRST + i;
		return 0;
	}
	return OM_ETRE_HW;
}

static void nv_undefine(struct tpm *t)
{
	if (!t->esys && t->nv_index && tpm_attach_nv(t) != 0)
		return;
	if (t->esys && t->nv != ESYS_TR_NONE)
		Esys_NV_UndefineSpace(t->esys, ESYS_TR_RH_OWNER, t->nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
	t->nv = ESYS_TR_NONE;
}

/* ---- tpm.ctx ---------------------------------------------------------------- */

/* tpm.ctx: magic | version | NV index(4) | SRK name (TPM2B) | public (TPM2B) | private (TPM2B) */
static int ctx_write(struct tpm *t, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv)
{
	uint8_t buf[9 + sizeof(t->srk_name) + sizeof(*pub) + sizeof(*priv)];
	size_t off = 9;
	memcpy(buf, ctx_magic, 4);
	buf[4] = CTX_VERSION;
	om_be_put(buf + 5, t->nv_index, 4);
	if (Tss2_MU_TPM2B_NAME_Marshal(&t->srk_name, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return OM_EINVAL;
	return tre_file_write_at(t->base.dir_fd, t->dir, TRE_SEAL_TPM_FILE, buf, off, 1,
				 tre_seal_sync(&t->base));
}

static int ctx_read(struct tpm *t, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	uint8_t *buf = NULL;
	size_t len = 0, off = 9;
	int rc = tre_file_read(t->dir, TRE_SEAL_TPM_FILE, &buf, &len);
	if (rc)
		return rc;
	rc = OM_ETRE_SEAL;
	if (len < 9 || memcmp(buf, ctx_magic, 4) != 0)
		goto out;
	if (buf[4] != CTX_VERSION) {
		rc = OM_ETRE_STATE_VERSION; /* version 1 named its TCTI: personalise again */
		goto out;
	}
	t->nv_index = (uint32_t)om_be_get(buf + 5, 4);
	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	memset(&t->srk_name, 0, sizeof(t->srk_name));
	if (Tss2_MU_TPM2B_NAME_Unmarshal(buf, len, &off, &t->srk_name) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, priv) != TSS2_RC_SUCCESS || off != len ||
	    t->srk_name.size == 0)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- the manifest ------------------------------------------------------------ */

static void make_header(uint8_t hdr[static HDR_LEN], uint64_t counter)
{
	memcpy(hdr, "OMSL", 4);
	hdr[4] = SEAL_VERSION;
	om_be_put(hdr + 5, counter, 8);
}

/* Seal pt with counter and write it as name. */
static int seal_write(struct tpm *t, const char *name, const uint8_t *pt, size_t len, uint64_t counter, int excl)
{
	uint8_t hdr[HDR_LEN], *buf = NULL;
	size_t total = 0;
	make_header(hdr, counter);
	int rc = tre_aead_seal(t->key, hdr, sizeof(hdr), name, pt, len, &buf, &total);
	if (rc)
		return rc;
	rc = tre_file_write_at(t->base.dir_fd, t->dir, name, buf, total, excl, tre_seal_sync(&t->base));
	free(buf);
	return rc;
}

/* Read and open name; *counter gets the counter its header carries. */
static int seal_read(struct tpm *t, const char *name, uint8_t **pt, size_t *len, uint64_t *counter)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc = tre_file_read(t->dir, name, &buf, &n);
	if (rc)
		return rc;
	if (n < HDR_LEN || memcmp(buf, "OMSL", 4) != 0 || buf[4] != SEAL_VERSION) {
		rc = OM_ETRE_SEAL;
	} else {
		*counter = om_be_get(buf + 5, 8);
		rc = tre_aead_open(t->key, buf, n, HDR_LEN, name, pt, len);
	}
	free(buf);
	return rc;
}

/* A TPM2B_NAME as len(1) | bytes. */
static size_t put_name(uint8_t *p, const TPM2B_NAME *n)
{
	p[0] = (uint8_t)n->size;
	memcpy(p + 1, n->name, n->size);
	return 1u + n->size;
}

static int get_name(const uint8_t *p, size_t len, size_t *off, TPM2B_NAME *n)
{
	if (*off + 1 > len || p[*off] > sizeof(n->name) || *off + 1 + p[*off] > len)
		return -1;
	n->size = p[*off];
	memcpy(n->name, p + *off + 1, n->size);
	*off += 1u + n->size;
	return 0;
}

/*
 * seal.manifest, sealed with counter:
 *   magic | version | NV index(4) | counter(8) | NV name | SRK name | n(1) | n x (len | name | counter(8))
 */
static int mf_write(struct tpm *t, uint64_t counter, int excl)
{
	uint8_t buf[17 + 2 * (1 + sizeof(TPMU_NAME)) + 1 + MF_MAX * (1 + TRE_AEAD_NAME_MAX + 8)];
	size_t off = 17;
	if (fault(TRE_FAULT_MANIFEST))
		return OM_ETRE_HW;
	memcpy(buf, mf_magic, 4);
	buf[4] = MF_VERSION;
	om_be_put(buf + 5, t->nv_index, 4);
	om_be_put(buf + 9, counter, 8);
	off += put_name(buf + off, &t->nv_name);
	off += put_name(buf + off, &t->srk_name);
	buf[off++] = (uint8_t)t->n;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = strlen(t->e[i].name);
		buf[off] = (uint8_t)k;
		memcpy(buf + off + 1, t->e[i].name, k);
		om_be_put(buf + off + 1 + k, t->e[i].counter, 8);
		off += 1 + k + 8;
	}
	return seal_write(t, TRE_SEAL_MANIFEST_FILE, buf, off, counter, excl);
}

/*
 * Read the manifest. The NV index's and the SRK's names in it must be
 * those open found (t->nv_name, t->srk_name): OM_ETRE_NV, OM_ETRE_SEAL.
 */
static int mf_read(struct tpm *t, uint64_t *counter)
{
	uint8_t *pt = NULL;
	size_t len = 0, off = 17;
	uint64_t hdr_counter = 0;
	TPM2B_NAME nv_name = { 0 }, srk_name = { 0 };
	int rc = seal_read(t, TRE_SEAL_MANIFEST_FILE, &pt, &len, &hdr_counter);
	if (rc)
		return rc;
	/* sealed by us: anything malformed is corruption */
	rc = OM_ETRE_SEAL;
	if (len < 17 || memcmp(pt, mf_magic, 4) != 0 || pt[4] != MF_VERSION ||
	    (uint32_t)om_be_get(pt + 5, 4) != t->nv_index || om_be_get(pt + 9, 8) != hdr_counter ||
	    get_name(pt, len, &off, &nv_name) || get_name(pt, len, &off, &srk_name) || off + 1 > len ||
	    pt[off] > MF_MAX)
		goto out;
	if (!name_eq(&srk_name, &t->srk_name))
		goto out;
	if (!name_eq(&nv_name, &t->nv_name)) {
		rc = OM_ETRE_NV; /* the index was replaced by one of other attributes or policy */
		goto out;
	}
	t->n = pt[off++];
	for (size_t i = 0; i < t->n; i++) {
		if (off + 1 > len || pt[off] == 0 || pt[off] > TRE_AEAD_NAME_MAX || off + 1 + pt[off] + 8 > len)
			goto out;
		memcpy(t->e[i].name, pt + off + 1, pt[off]);
		t->e[i].name[pt[off]] = 0;
		t->e[i].counter = om_be_get(pt + off + 1 + pt[off], 8);
		off += 1u + pt[off] + 8;
	}
	if (off != len)
		goto out;
	*counter = hdr_counter;
	rc = 0;
out:
	OPENSSL_cleanse(pt, len);
	free(pt);
	return rc;
}

static struct mf_entry *mf_find(struct tpm *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	return NULL;
}

/* ---- the ops ------------------------------------------------------------------- */

/*
 * The manifest with counter next (t->e as it is now), then the NV counter
 * to next. On failure the sealer is broken (struct tpm): no put or erase
 * runs until the TRE is opened again.
 */
static int advance(struct tpm *t, uint64_t next)
{
	int rc = mf_write(t, next, 0);
	if (!rc) {
		int connected = t->esys != NULL; /* during open: already */
		rc = connected ? 0 : tpm_attach_nv(t);
		if (!rc)
			rc = nv_increment(t);
		if (!connected)
			tpm_disconnect(t);
	}
	if (rc)
		t->broken = 1;
	else
		t->base.counter = next;
	return rc;
}

static int tpm_put(struct tre_sealer *base, const char *name, const uint8_t *pt, size_t len, int excl)
{
	struct tpm *t = (struct tpm *)base;
	uint64_t next = t->base.counter + 1;
	struct mf_entry *e = mf_find(t, name), saved = { 0 };
	size_t saved_n = t->n;
	int rc;

	if (strlen(name) > TRE_AEAD_NAME_MAX || strcmp(name, TRE_SEAL_MANIFEST_FILE) == 0)
		return OM_EINVAL;
	if (t->broken)
		return OM_ETRE_HW;
	if (!e && t->n == MF_MAX)
		return OM_ETRE_FULL;
	rc = seal_write(t, name, pt, len, next, excl);
	if (rc)
		return rc;
	if (e) {
		saved = *e;
	} else {
		e = &t->e[t->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	}
	e->counter = next;
	rc = advance(t, next);
	if (rc) {
		/* the file on disk is one ahead of its entry: a later open adopts it
		 * only while it is the newest write (tpm_get) */
		if (saved.name[0])
			*e = saved;
		t->n = saved_n;
		return rc;
	}
	return 0;
}

static int tpm_get(struct tre_sealer *base, const char *name, uint8_t **pt, size_t *len)
{
	struct tpm *t = (struct tpm *)base;
	uint64_t c = 0;
	int rc = seal_read(t, name, pt, len, &c);
	if (rc)
		return rc;
	struct mf_entry *e = mf_find(t, name);
	if (e && c == e->counter)
		return 0;
	if (c == t->base.counter + 1 && (!e || c > e->counter)) {
		/* The newest put, cut between its file and the manifest (a power
		 * loss): no other file can carry this counter yet. Adopt it. */
		uint8_t *p = *pt;
		size_t n = *len;
		*pt = NULL;
		rc = tpm_put(base, name, p, n, 0);
		if (!rc) {
			*pt = p;
			*len = n;
			return 0;
		}
		OPENSSL_cleanse(p, n);
		free(p);
		return rc;
	}
	OPENSSL_cleanse(*pt, *len);
	free(*pt);
	*pt = NULL;
	/* older than its entry, or a file the manifest no longer lists (erased): an old copy put back */
	return !e || c < e->counter ? OM_ETRE_ROLLBACK : OM_ETRE_SEAL;
}

/*
 * Out of the manifest, under the next counter, then the unlink: the copy of
 * the directory from before the erase (the file, and a manifest that lists
 * it) is then behind the NV counter (review finding 6). A crash before the
 * unlink leaves a file the manifest no longer lists, which does not open.
 */
static int tpm_erase(struct tre_sealer *base, const char *name)
{
	struct tpm *t = (struct tpm *)base;
	struct mf_entry *e = mf_find(t, name);
	if (e) {
		if (t->broken)
			return OM_ETRE_HW;
		struct mf_entry saved = *e;
		*e = t->e[t->n - 1];
		t->n--;
		int rc = advance(t, t->base.counter + 1);
		if (rc) {
			t->e[t->n++] = *e;
			*e = saved;
			return rc;
		}
	}
	return tre_file_erase_at(t->base.dir_fd, t->dir, name, tre_seal_sync(&t->base));
}

static void tpm_free(struct tpm *t)
{
	OPENSSL_cleanse(t->key, sizeof(t->key));
	tpm_disconnect(t);
	free(t);
}

static void tpm_close(struct tre_sealer *base)
{
	tpm_free((struct tpm *)base);
}

static void tpm_discard(struct tre_sealer *base)
{
	struct tpm *t = (struct tpm *)base;
	char path[TRE_PATH_MAX];
	nv_undefine(t);
	if (tre_path(path, t->dir, TRE_SEAL_TPM_FILE) == 0)
		unlink(path);
	if (tre_path(path, t->dir, TRE_SEAL_MANIFEST_FILE) == 0)
		unlink(path);
	tpm_free(t);
}

static const struct tre_seal_ops tpm_ops = {
	.name = "tpm2",
	.put = tpm_put,
	.get = tpm_get,
	.erase = tpm_erase,
	.close = tpm_close,
	.discard = tpm_discard,
};

static struct tpm *tpm_new(const char *dir, const char *tcti, unsigned flags)
{
	struct tpm *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (strlen(dir) >= sizeof(t->dir) || (tcti && strlen(tcti) > TCTI_MAX)) {
		free(t);
		return NULL;
	}
	memcpy(t->dir, dir, strlen(dir) + 1);
	if (tcti)
		memcpy(t->tcti_conf, tcti, strlen(tcti) + 1);
	t->base.ops = &tpm_ops;
	t->base.flags = flags;
	t->base.has_counter = 1;
	t->base.dir_fd = -1;
	t->nv = ESYS_TR_NONE;
	return t;
}

/* The one PCR of the sealing policy, in the SHA-256 bank: the TRE's measurements (quote_tpm.h). */
static void policy_pcrs(TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){ .count = 1, .pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 } };
	sel->pcrSelections[0].pcrSelect[TRE_PCR_TRE / 8] = (uint8_t)(1u << (TRE_PCR_TRE % 8));
}

/*
 * The authPolicy of TPM2_PolicyPCR with PCR TRE_PCR_TRE = value, computed
 * by the TPM in a trial session (Part 3, 23.7: pcrDigest is the hash of the
 * selected PCRs' values concatenated, here the one).
 */
static int pcr_policy(struct tpm *t, const uint8_t value[static 32], TPM2B_DIGEST *out)
{
	TPMT_SYM_DEF none = { .algorithm = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST want = { .size = SHA256_DIGEST_LENGTH }, *got = NULL;
	ESYS_TR trial = ESYS_TR_NONE;
	policy_pcrs(&sel);
	SHA256(value, 32, want.buffer);
	int rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				       NULL, TPM2_SE_TRIAL, &none, TPM2_ALG_SHA256, &trial) == TSS2_RC_SUCCESS &&
			 Esys_PolicyPCR(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &sel) ==
				 TSS2_RC_SUCCESS &&
			 Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &got) ==
				 TSS2_RC_SUCCESS &&
			 got->size <= sizeof(out->buffer)
		 ? 0
		 : OM_ETRE_HW;
	if (!rc)
		*out = *got;
	Esys_Free(got);
	if (trial != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, trial);
	return rc;
}

int tre_seal_tpm_create(struct tre_sealer **out, const char *dir, const char *tcti, const uint8_t *pcr,
			unsigned flags)
{
	struct tpm *t = tpm_new(dir, tcti, flags);
	ESYS_TR srk = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	int rc, wrote_ctx = 0;

	if (!t)
		return tcti && strlen(tcti) > TCTI_MAX ? OM_EINVAL : OM_ENOMEM;
	if ((rc = tpm_connect(t)) != 0 || (rc = tre_tpm_srk(t->esys, &srk, &t->srk_name)) != 0)
		goto out;
	if (RAND_priv_bytes(t->key, sizeof(t->key)) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	TPM2B_SENSITIVE_CREATE sens = { .sensitive.data.size = sizeof(t->key) };
	memcpy(sens.sensitive.data.buffer, t->key, sizeof(t->key));
	TPM2B_PUBLIC tpl = {
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA,
			.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	if (pcr) {
		/* bound to the measured TRE: the USER role only through the PCR policy */
		if ((rc = pcr_policy(t, pcr, &tpl.publicArea.authPolicy)) != 0)
			goto out;
		tpl.publicArea.objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
	}
	if ((rc = start_session(t, srk, TPM2_SE_HMAC, TPMA_SESSION_DECRYPT, &sess)) != 0)
		goto out;
	/* the key goes in as the first parameter, encrypted by the session */
	if (Esys_Create(t->esys, srk, sess, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tpl, &outside, &pcrs, &priv, &pub,
			NULL, NULL, NULL) != TSS2_RC_SUCCESS) {
		rc = OM_ETRE_HW;
		goto out;
	}
	OPENSSL_cleanse(&sens, sizeof(sens));
	if ((rc = nv_define(t)) != 0 || (rc = nv_increment(t)) != 0 || (rc = nv_read(t, &t->base.counter)) != 0 ||
	    (rc = nv_check(t)) != 0)
		goto out;
	if ((rc = ctx_write(t, pub, priv)) != 0)
		goto out;
	wrote_ctx = 1;
	rc = mf_write(t, t->base.counter, 1);
out:
	OPENSSL_cleanse(&sens, sizeof(sens));
	Esys_Free(priv);
	Esys_Free(pub);
	if (srk != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, srk);
	if (rc) {
		if (rc == OM_ETRE_EXISTS)
			wrote_ctx = 0; /* someone else's tpm.ctx: leave it */
		if (wrote_ctx) {
			tpm_discard(&t->base);
		} else {
			nv_undefine(t);
			tpm_free(t);
		}
		return rc;
	}
	tpm_disconnect(t);
	*out = &t->base;
	return 0;
}

/*
 * Load the sealed object under the SRK and unseal the key; OM_ETRE_SEAL
 * when this TPM cannot, or when its SRK is not the one recorded at
 * personalisation (checked before the SRK salts the session the key comes
 * back in).
 */
static int unseal_key(struct tpm *t, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv)
{
	ESYS_TR srk = ESYS_TR_NONE, obj = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *data = NULL;
	TPM2B_NAME name;
	int rc = tre_tpm_srk(t->esys, &srk, &name);
	if (rc)
		return rc;
	if (!name_eq(&name, &t->srk_name)) {
		rc = OM_ETRE_SEAL; /* another TPM's storage seed, or another primary presented as the SRK */
		goto out;
	}
	/* another TPM's object, or an altered one: TPM2_Load checks the
	 * integrity of the private area under this TPM's storage seed */
	if (Esys_Load(t->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &obj) !=
	    TSS2_RC_SUCCESS) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	/* with a PCR policy, the session is a policy session that asserts the PCR's current value */
	int policy = pub->publicArea.authPolicy.size > 0;
	if ((rc = start_session(t, srk, policy ? TPM2_SE_POLICY : TPM2_SE_HMAC, TPMA_SESSION_ENCRYPT, &sess)) != 0)
		goto out;
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST now = { 0 }; /* empty: the TPM takes the PCR's current value */
	policy_pcrs(&sel);
	if (policy && Esys_PolicyPCR(t->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &now, &sel) !=
			      TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, sess);
		rc = OM_ETRE_HW;
		goto out;
	}
	TSS2_RC trc = Esys_Unseal(t->esys, obj, sess, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (trc != TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, sess); /* a failed command leaves the session loaded */
		/* TPM_RC_POLICY_FAIL (format 1, Part 2 6.6.3): the PCR is not the measured TRE's */
		rc = policy && (trc & TPM2_RC_FMT1) && (trc & 0x3f) == (TPM2_RC_POLICY_FAIL & 0x3f) ? OM_ETRE_PCR
												: OM_ETRE_HW;
		goto out;
	}
	if (data->size != sizeof(t->key)) {
		rc = OM_ETRE_SEAL;
		goto out;
	}
	memcpy(t->key, data->buffer, sizeof(t->key));
out:
	if (data) {
		OPENSSL_cleanse(data, sizeof(*data));
		Esys_Free(data);
	}
	if (obj != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, obj);
	Esys_FlushContext(t->esys, srk);
	return rc;
}

int tre_seal_tpm_open(struct tre_sealer **out, const char *dir, const char *tcti, unsigned flags)
{
	struct tpm *t = tpm_new(dir, tcti, flags);
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	uint64_t mf = 0, nv = 0;
	int rc;

	if (!t)
		return tcti && strlen(tcti) > TCTI_MAX ? OM_EINVAL : OM_ENOMEM;
	/* the index's attributes first: nothing is unsealed for a counter that is not ours */
	if ((rc = ctx_read(t, &pub, &priv)) != 0 || (rc = tpm_attach_nv(t)) != 0 || (rc = nv_check(t)) != 0 ||
	    (rc = unseal_key(t, &pub, &priv)) != 0)
		goto out;
	if ((rc = mf_read(t, &mf)) != 0 || (rc = nv_read(t, &nv)) != 0)
		goto out;
	if (mf < nv) {
		rc = OM_ETRE_ROLLBACK;
		goto out;
	}
	if (mf > nv + 1) { /* counters never go back: a manifest from the future is not ours */
		rc = OM_ETRE_SEAL;
		goto out;
	}
	/* mf == nv + 1: a put cut after its manifest; finish it */
	if (mf == nv + 1 && (rc = nv_increment(t)) != 0)
		goto out;
	t->base.counter = mf;
out:
	if (rc) {
		tpm_free(t);
		return rc;
	}
	tpm_disconnect(t);
	*out = &t->base;
	return 0;
}
