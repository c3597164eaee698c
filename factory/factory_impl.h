/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the factory: the checked run, one device, the output tree. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pthread.h>

#include <openmcim/claim.h>
#include <openmcim/synth.h>

#include "factory.h"

/* The Registration Operator's PCID range, checked (TS 23.003 2.2). */
struct factory_pcid_range {
	char plmn[7];      /* MCC | MNC digits */
	uint8_t mnc_len;   /* 2 or 3 */
	unsigned width;    /* MSIN digits */
	uint64_t first;    /* first MSIN */
};

/* Everything a worker needs, checked once before any work. Read-only. */
struct factory_run {
	const struct om_ca *ca;
	uint8_t *ro_der; /* Cert_SHO[0], DER */
	size_t ro_der_len;
	char ro_id[OM_NAME_MAX_LEN + 1];
	char owner_sho[OM_NAME_MAX_LEN + 1];
	struct factory_pcid_range pcid;
	char apn[OM_MCIM_APN_MAX + 1];
	int have_op;
	uint8_t op[16]; /* secret */
	uint8_t claim_key[OM_CLAIM_KEY_LEN]; /* secret: the manufacturer's owner claim key */
	int claim_key_fresh;                 /* drawn for this run: written to DIR/manufacturer/claim.key */
	char prefix[OM_FACTORY_PREFIX_MAX + 1];
	uint64_t first_serial;
	char model[OM_FACTORY_MODEL_MAX + 1];
	char firmware[OM_FACTORY_FIRMWARE_MAX + 1];
	struct om_measurement meas[OM_FACTORY_N_COMPONENTS];
	enum om_key_type enc_key;
	size_t n_devices;
	unsigned tre_flags; /* for om_tre_personalise() */
	struct om_tre_backend tre; /* the caller's strings, valid for the run */
	const char *devices_dir;
	int synthetic;                /* Alternative 3: f(Ku) instead of a PCID */
	struct om_synth_range synth;  /* the public range of f */
	struct factory_imsi_set *imsis; /* the run's synthetic IMSIs, for redraws on a collision */
};

/* The IMSIs a synthetic run has given out (ids.c), shared by the workers. */
struct factory_imsi_set {
	pthread_mutex_t lock;
	size_t cap, used;
	char (*slot)[OM_MCIM_IMSI_MAX + 1]; /* open addressing; "" is free */
};

/* A set for n IMSIs. Returns 0 or OM_ENOMEM. */
OM_NODISCARD int factory_imsi_set_init(struct factory_imsi_set *s, size_t n);
void factory_imsi_set_free(struct factory_imsi_set *s);
/* 1 if imsi was new (now taken), 0 if another device has it. */
int factory_imsi_take(struct factory_imsi_set *s, const char *imsi);

/* One device's outputs for the import files. Secret (pcid): clear it. */
struct factory_device {
	char tre_id[OM_TRE_ID_MAX + 1];
	struct om_mcim pcid;
	uint8_t *sign_der, *enc_der;
	size_t sign_len, enc_len;
	uint8_t claim[OM_CLAIM_LEN]; /* the first owner's claim secret (generation 1): secret */
	uint8_t ku[OM_SYNTH_KU_LEN];              /* synthetic mode: Ku, for the label: secret */
	uint8_t verifier[OM_SYNTH_VERIFIER_LEN];  /* synthetic mode: the public commitment to Ku */
	/* --tre tpm: the attestation key's TPM blob and its TRE_ATTESTATION certificate (DER) */
	uint8_t *ak_blob, *ak_der;
	size_t ak_blob_len, ak_len;
};

/* ---- config.c ---- */

/*
 * Check cfg and fill run (devices_dir is left for the caller). Returns 0 or
 * the code of om_factory_run() for the argument at fault; run is cleared on
 * failure. Pair with factory_run_clear().
 */
OM_NODISCARD int factory_run_setup(struct factory_run *run, const struct om_factory_config *cfg);

/* Free and cleanse run. */
void factory_run_clear(struct factory_run *run);

/* ---- ids.c ---- */

/*
 * Check an identifier that reaches a certificate CN, a file name or a CSV
 * field: 1..max characters of [A-Za-z0-9._-] (and ' ', ':' when spaces is
 * set). Returns 0 or OM_EFACTORY_NAME.
 */
OM_NODISCARD int factory_check_name(const char *s, size_t max, int spaces);

/*
 * Check mcc (3 digits), mnc (2-3 digits), msin_first (digits, the IMSI
 * 6..15 digits in all) and that n MSINs from msin_first fit the width.
 * Returns 0, OM_EFACTORY_PCID or OM_EFACTORY_PCID_RANGE; *r set on 0.
 */
OM_NODISCARD int factory_pcid_range(struct factory_pcid_range *r, const char *mcc, const char *mnc,
				    const char *msin_first, size_t n);

/* The IMSI of device index i of the range (i < the n checked). */
void factory_pcid_imsi(const struct factory_pcid_range *r, uint64_t i, char out[static OM_MCIM_IMSI_MAX + 1]);

/* 0 if n serials from first fit OM_FACTORY_SERIAL_DIGITS, else OM_EFACTORY_SERIAL_RANGE. */
OM_NODISCARD int factory_serial_range(uint64_t first, size_t n);

/* "<prefix>-<serial, 8 digits>" for device index i. */
void factory_tre_id(const struct factory_run *run, uint64_t i, char out[static OM_TRE_ID_MAX + 1]);

/* ---- device.c ---- */

/*
 * Make device index i: keys, CSR, certificates, PCID credential, and its
 * TRE state in run->devices_dir/<TRE_id>. On success d holds what the
 * import files need; on failure d is cleared. Returns 0 or a negative code.
 */
OM_NODISCARD int factory_device_make(const struct factory_run *run, uint64_t i, struct factory_device *d);

/* Cleanse the PCID and free the certificates. */
void factory_device_clear(struct factory_device *d);

/* ---- personalise.c ---- */

/* The run's backend for device tre_id: its TCTI's "{tre_id}" replaced (into tcti). 0 or OM_EINVAL. */
OM_NODISCARD int factory_device_backend(const struct factory_run *run, const char *tre_id, struct om_tre_backend *be,
					char tcti[static 256]);

/* Write the device's TRE state through the TRE's own API. */
OM_NODISCARD int factory_personalise(const struct factory_run *run, const struct factory_device *d,
				     EVP_PKEY *sign_key, EVP_PKEY *enc_key);

/* ---- outdir.c ---- */

/*
 * Check that path does not exist or is an empty directory, then create a
 * temporary sibling directory (mode 0755) for the run in tmp (cap bytes).
 * Returns 0, OM_EFACTORY_OUT_NOT_EMPTY, OM_EINVAL (path too long) or OM_EIO.
 */
OM_NODISCARD int factory_outdir_begin(const char *path, char *tmp, size_t cap);

/* Sync the file system holding tmp, rename tmp to path, sync path's parent. */
OM_NODISCARD int factory_outdir_commit(const char *tmp, const char *path);

/* Remove tmp and everything below it (a failed run). */
void factory_outdir_abort(const char *tmp);

/* out = dir "/" name; OM_EINVAL if it does not fit in cap. */
OM_NODISCARD int factory_path(char *out, size_t cap, const char *dir, const char *name);

/* Create path/sub (mode) and return 0 or OM_EIO. */
OM_NODISCARD int factory_mkdir(const char *path, const char *sub, unsigned mode, char *out, size_t cap);

/* ---- csv.c ---- */

/* The longest RO row: a 15-digit IMSI, K, OPc, AMF, separators, newline. */
#define FACTORY_RO_ROW_MAX (OM_MCIM_IMSI_MAX + 1 + 32 + 1 + 32 + 1 + 4 + 1)

/* Bytes of the fixed-length RO row for this range ("imsi,k,opc,amf\n"). */
size_t factory_ro_row_len(const struct factory_pcid_range *r);

/* Format d's RO row into out (FACTORY_RO_ROW_MAX + 1 bytes), NUL-terminated. Secret. */
void factory_ro_row(const struct factory_device *d, char *out);

/* Append d's rows of the PVA's devices.csv and the owner's delivery note. */
OM_NODISCARD int factory_pva_row(FILE *f, const struct factory_run *run, const struct factory_device *d);
/* --tre tpm: a row of pva/attestation-keys.csv (FACTORY_AK_HEADER). */
OM_NODISCARD int factory_ak_row(FILE *f, const struct factory_device *d);
OM_NODISCARD int factory_owner_row(FILE *f, const struct factory_run *run, const struct factory_device *d);

/* Write the reference-measurements.csv rows of the run. */
OM_NODISCARD int factory_measurement_rows(FILE *f, const struct factory_run *run);

/* Synthetic mode: the device's label file (0600) and its row of synthetic/verifiers.csv. */
OM_NODISCARD int factory_label_write(const char *labels_dir, const struct factory_device *d);
OM_NODISCARD int factory_verifier_row(FILE *f, const struct factory_device *d);
/* synthetic/range.txt: the public parameters of f an operator needs. */
OM_NODISCARD int factory_range_write(FILE *f, const struct factory_run *run);

#define FACTORY_VERIFIER_HEADER "tre_id,verifier\n"
#define FACTORY_RO_HEADER "imsi,k,opc,amf\n"
#define FACTORY_PVA_HEADER "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\n"
#define FACTORY_AK_HEADER "tre_id,ak_cert_der_b64\n"
#define FACTORY_MEAS_HEADER "model,firmware,component,sha256\n"
/* the last column, model, is the owner's filter at the SHO (sho/note.c, docs/owner.md "Model") */
#define FACTORY_OWNER_HEADER "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret,model\n"
