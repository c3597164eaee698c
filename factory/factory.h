/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The M2MES / TRE manufacturer's personalisation line (spec/002 B.2.2.1):
 * for each TRE of a production run, a TRE_id, two key pairs (signing and
 * encryption, the note on two key pairs), one CSR made with them, the
 * TRE_SIGNING and TRE_ENCRYPTION certificates issued by the PVA's CA,
 * a PCID with K and OPc from the Registration Operator's range, the trust
 * root Cert_SHO[0] and the firmware's reference measurements; all written
 * into the TRE with om_tre_personalise(). Around the devices it writes the
 * RO's import file of PCID credentials, the PVA's import files, and the
 * owner's delivery note {TRE_id, Cert_TRE, SHO_id} with each device's owner
 * claim secret, whose verifier Cert_TRE carries (claim.h). The layout and
 * every column are in docs/factory.md.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <openmcim/err.h>
#include <openmcim/mcim.h>
#include <openmcim/mobj.h>
#include <openmcim/pki.h>
#include <openmcim/tre.h>

#include "factory_err.h"

#define OM_FACTORY_SERIAL_DIGITS 8 /* TRE_id = <prefix>-<8 digits> */
#define OM_FACTORY_N_COMPONENTS 4  /* firmware components measured */
#define OM_FACTORY_PREFIX_MAX 32
#define OM_FACTORY_MODEL_MAX 63    /* struct om_tre_info.tre_type */
#define OM_FACTORY_FIRMWARE_MAX 31 /* struct om_tre_info.firmware_version */
#define OM_FACTORY_DEFAULT_PREFIX "TRE"
#define OM_FACTORY_DEFAULT_MODEL "M2ME-1"
#define OM_FACTORY_DEFAULT_FIRMWARE "1.0.0"
#define OM_FACTORY_DEFAULT_APN "ro.m2m"

/* om_factory_config.flags */
#define OM_FACTORY_PROGRESS 1u /* progress line on stderr when it is a terminal */
#define OM_FACTORY_FSYNC 2u    /* let the TRE fsync each device (default: one sync at the end) */

struct om_factory_config {
	const struct om_ca *pva_ca; /* the PVA's CA (B.2.2.1 Cert_PVA): issues Cert_TRE */
	X509 *ro_cert;              /* Cert_SHO[0]: SHO_SIGNING (or ROOT_CA) of the RO */
	const char *ro_id;          /* SHO_id of the RO; NULL: the CN of ro_cert */
	const char *owner_sho;      /* sho_id of the delivery note; NULL: the RO */
	const char *mcc;            /* 3 digits */
	const char *mnc;            /* 2 or 3 digits */
	const char *msin_first;     /* first MSIN; its digit count is the MSIN width */
	uint64_t synth_count;       /* nonzero: synthetic mode (Alternative 3, spec/000 5.2.4.6.3 step 1):
				       each TRE gets f(Ku) (synth.h) drawn into mcc/mnc/msin_first and this
				       many MSINs instead of a PCID, Ku goes on its label (docs/factory.md) */
	const char *apn;            /* the PCID's APN; NULL: OM_FACTORY_DEFAULT_APN */
	const uint8_t *op;          /* 16 bytes: OPc = MILENAGE(K, OP); NULL: random OPc */
	const uint8_t *claim_key;   /* OM_CLAIM_KEY_LEN bytes: the manufacturer's owner claim key (claim.h);
				       NULL: a fresh one, written to DIR/manufacturer/claim.key */
	const char *tre_prefix;     /* NULL: OM_FACTORY_DEFAULT_PREFIX */
	uint64_t first_serial;      /* first TRE serial; 0 means 1 */
	const char *model;          /* TRE type; NULL: OM_FACTORY_DEFAULT_MODEL */
	const char *firmware;       /* NULL: OM_FACTORY_DEFAULT_FIRMWARE */
	enum om_key_type enc_key;   /* 0: OM_KEY_X25519 */
	size_t n_devices;           /* at least 1 */
	unsigned jobs;              /* worker threads; 0: one per online CPU */
	unsigned flags;             /* OM_FACTORY_* */
	/* The TRE's backend (docs/tre.md "Backends"): kind OM_TRE_BACKEND_SOFT (0)
	 * by default. For the TPM, tpm_tcti may hold "{tre_id}", replaced by each
	 * device's TRE_id (one TPM per device on the line); the PKCS#11 fields
	 * are used as they are. */
	struct om_tre_backend tre;
};

/* What a run produced, for the summary line. */
struct om_factory_summary {
	size_t devices;
	unsigned jobs;
	double seconds;
	char first_tre_id[OM_TRE_ID_MAX + 1], last_tre_id[OM_TRE_ID_MAX + 1];
	char first_imsi[OM_MCIM_IMSI_MAX + 1], last_imsi[OM_MCIM_IMSI_MAX + 1];
};

/*
 * Run a production of cfg->n_devices TREs into out_dir, which must not
 * exist or be an empty directory. Everything is written into a temporary
 * sibling directory, synced once, and renamed to out_dir at the end, so a
 * failed or refused run leaves no out_dir behind (and an empty one as it
 * was). Every argument is checked before any work. sum may be NULL.
 * In synthetic mode (synth_count) there is no RO file: DIR/labels/<TRE_id>.txt
 * (0600) holds each Ku and DIR/synthetic/ the public range and verifiers.
 * Returns 0, OM_EINVAL, OM_EFACTORY_PCID (MCC, MNC or MSIN malformed),
 * OM_EFACTORY_PCID_RANGE, OM_EFACTORY_SERIAL_RANGE, OM_EFACTORY_NAME,
 * OM_EFACTORY_RO_CERT, OM_EFACTORY_OUT_NOT_EMPTY, OM_EIO, OM_ENOMEM, or a
 * code from key generation, issuance or om_tre_personalise().
 */
OM_NODISCARD int om_factory_run(const char *out_dir, const struct om_factory_config *cfg,
				struct om_factory_summary *sum);

/*
 * The reference measurements of a model and firmware version: for each
 * component name c of the fixed list (docs/factory.md),
 * SHA-256("openmcim reference measurement" 0x00 model 0x00 firmware 0x00 c).
 * Deterministic, so the PVA can recompute what a genuine TRE reports.
 * Returns OM_FACTORY_N_COMPONENTS, OM_EINVAL or OM_ECRYPTO.
 */
OM_NODISCARD int om_factory_measurements(const char *model, const char *firmware,
					 struct om_measurement out[static OM_FACTORY_N_COMPONENTS]);

/*
 * A lab's CAs, written into out_dir (must not exist or be empty; same
 * all-or-nothing rule as om_factory_run): pva-ca.pem / pva-ca.key (the
 * PVA's ROOT_CA, CN=pva_name), ro-root.pem / ro-root.key (the RO's
 * ROOT_CA, CN=ro_id " root"), ro-signing.pem / ro-signing.key (the RO's
 * SHO_SIGNING certificate, CN=ro_id: the Cert_SHO[0] a TRE pins). Keys
 * are EC P-256, mode 0600. Returns 0, OM_EINVAL, OM_EFACTORY_NAME,
 * OM_EFACTORY_OUT_NOT_EMPTY, OM_EIO or a pki.h code.
 */
OM_NODISCARD int om_factory_init_cas(const char *out_dir, const char *pva_name, const char *ro_id);
