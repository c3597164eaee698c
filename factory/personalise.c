/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last step on the line: the device's TRE state, written by the TRE's
 * own personalisation call so that the factory never knows the TRE's file
 * formats. {PrK_TRE, Cert_TRE, Cert_SHO[0], TRE_id} and the PCID
 * credential are in the TRE after this (B.2.2.1).
 */
#include <stdio.h>
#include <string.h>

#include <openmcim/tre.h>

#include "factory_impl.h"

/* The TCTI of this device's TPM: "{tre_id}" in the run's replaced by its TRE_id. */
static int device_tcti(char out[static 256], const char *tmpl, const char *tre_id)
{
	const char *at = strstr(tmpl, "{tre_id}");
	int n = at ? snprintf(out, 256, "%.*s%s%s", (int)(at - tmpl), tmpl, tre_id, at + 8)
		   : snprintf(out, 256, "%s", tmpl);
	return n < 0 || n >= 256 ? OM_EINVAL : 0;
}

int factory_device_backend(const struct factory_run *run, const char *tre_id, struct om_tre_backend *be,
			   char tcti[static 256])
{
	*be = run->tre;
	if (be->kind == OM_TRE_BACKEND_TPM && be->tpm_tcti) {
		if (device_tcti(tcti, be->tpm_tcti, tre_id) < 0)
			return OM_EINVAL;
		be->tpm_tcti = tcti;
	}
	return 0;
}

int factory_personalise(const struct factory_run *run, const struct factory_device *d,
			EVP_PKEY *sign_key, EVP_PKEY *enc_key)
{
	char dir[4096], tcti[256];
	struct om_tre_backend be;
	int n = snprintf(dir, sizeof(dir), "%s/%s", run->devices_dir, d->tre_id);
	if (n < 0 || (size_t)n >= sizeof(dir) || factory_device_backend(run, d->tre_id, &be, tcti) < 0)
		return OM_EINVAL;
	struct om_tre_personalisation p = {
		.tre_id = d->tre_id,
		.tre_type = run->model,
		.firmware_version = run->firmware,
		.sign_key = sign_key,
		.enc_key = enc_key,
		.sign_cert = d->sign_der,
		.sign_cert_len = d->sign_len,
		.enc_cert = d->enc_der,
		.enc_cert_len = d->enc_len,
		.trust_root = run->ro_der,
		.trust_root_len = run->ro_der_len,
		.ro_id = run->ro_id,
		.pcid = &d->pcid,
		.measurements = run->meas,
		.n_measurements = OM_FACTORY_N_COMPONENTS,
		.backend = &be,
		.ak_blob = d->ak_blob,
		.ak_blob_len = d->ak_blob_len,
		.ak_cert = d->ak_der,
		.ak_cert_len = d->ak_len,
	};
	return om_tre_personalise(dir, &p, run->tre_flags);
}
