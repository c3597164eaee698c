/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's client of its own operator's DRF admin socket (drf/drf_admin.h,
 * svc/admin_call.h): the DRF is another daemon with its own register, so
 * what the owner API needs of it is asked, never read (ARCHITECTURE.md
 * "Boundaries"). Each call has DRF_LINK_MS as its deadline; no answer in
 * time is OM_ESHO_DRF. The DRF's own refusals come back as its codes
 * (OM_EDRF_DEVICE, OM_EDRF_OWNER, ...).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define SHO_DRF_LINK_MS 5000
#define SHO_DRF_CODE_MAX 32 /* the longest code text we accept from the DRF */

/*
 * A transfer code for tre_id, valid valid_s seconds, issued only while the
 * DRF's register names owner_id as the owner (else OM_EDRF_OWNER, and no
 * code): the check and the issue are one transaction at the DRF, so a
 * resale between the SHO's own check and this call cannot give the seller
 * a code. The code into code (cleanse it after use).
 */
OM_NODISCARD int sho_drf_code(const char *socket_path, const char *tre_id, const char *owner_id, int64_t valid_s,
			      char code[static SHO_DRF_CODE_MAX + 1], char *why, size_t wl);

/*
 * Tell the DRF that tre_id's owner is now owner_id (a resale, docs/decisions.md
 * "Resale"): its register names the new owner and revokes the device's
 * unused codes. The same owner again changes nothing. 0, OM_EDRF_DEVICE (the
 * DRF does not serve it: nothing to revoke), another DRF code, or OM_ESHO_DRF.
 */
OM_NODISCARD int sho_drf_owner(const char *socket_path, const char *tre_id, const char *owner_id, char *why,
			       size_t wl);
