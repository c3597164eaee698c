/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reference measurements of a firmware release. The TRE reports its
 * platform measurements in the TRE info of M2MMobj (B.2.3.4 II) and the
 * PVA checks them against what the manufacturer published for the model
 * and firmware version. The lab has no firmware images, so a component's
 * reference value is a SHA-256 over its name under the model and version:
 * deterministic, recomputable by anyone with docs/factory.md, and
 * different for every model, version and component.
 */
#include <string.h>

#include <openssl/evp.h>

#include "factory_impl.h"

static const char *const components[OM_FACTORY_N_COMPONENTS] = {
	"bootloader",
	"tre-kernel",
	"modem-firmware",
	"m2me-agent",
};

static const char domain[] = "openmcim reference measurement";

int om_factory_measurements(const char *model, const char *firmware,
			    struct om_measurement out[static OM_FACTORY_N_COMPONENTS])
{
	static const unsigned char zero = 0;
	EVP_MD_CTX *ctx = NULL;
	struct om_measurement m[OM_FACTORY_N_COMPONENTS];
	int rc = OM_ECRYPTO;

	if (!model || !firmware || !out)
		return OM_EINVAL;
	memset(m, 0, sizeof(m));
	if (!(ctx = EVP_MD_CTX_new()))
		goto out;
	for (size_t i = 0; i < OM_FACTORY_N_COMPONENTS; i++) {
		unsigned len = 0;
		if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
		    !EVP_DigestUpdate(ctx, domain, strlen(domain)) || !EVP_DigestUpdate(ctx, &zero, 1) ||
		    !EVP_DigestUpdate(ctx, model, strlen(model)) || !EVP_DigestUpdate(ctx, &zero, 1) ||
		    !EVP_DigestUpdate(ctx, firmware, strlen(firmware)) || !EVP_DigestUpdate(ctx, &zero, 1) ||
		    !EVP_DigestUpdate(ctx, components[i], strlen(components[i])) ||
		    !EVP_DigestFinal_ex(ctx, m[i].sha256, &len) || len != sizeof(m[i].sha256))
			goto out;
		memcpy(m[i].name, components[i], strlen(components[i]) + 1);
	}
	memcpy(out, m, sizeof(m));
	rc = OM_FACTORY_N_COMPONENTS;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
