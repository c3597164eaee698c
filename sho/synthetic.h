/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connectivity provider's side of Alternative 3's synthetic credentials
 * (spec/000 5.2.4.3.1, 5.2.4.3.4, 5.2.4.6.3 steps 2-4): "the end user
 * indicating Ku to the operator ... whereby the operator will configure the
 * credentials implied by Ku into its own AuC", and the connectivity
 * activation service by which the owner tells the operator the device is
 * about to be switched on.
 *
 * accept: the owner gives {TRE_id, Ku}; Ku must match the manufacturer's
 *   public verifier for that TRE_id (docs/formats.md "The verifier"), else
 *   nothing is created (OM_ESHO_SYNTH_UNKNOWN); f(Ku) goes into this
 *   operator's HSS as a subscriber created *suspended* (spec/000 5.2.2.1
 *   requirement A: no live subscription long before the device is used).
 * activate: the owner gives {TRE_id, Ku} again; the subscriber becomes
 *   active and the device can attach (5.2.4.3.4).
 * The SHO keeps no copy: K and OPc go from f straight to the HSS's socket.
 */
#pragma once

#include <stddef.h>

#include <openmcim/mcim.h>
#include <openmcim/mobj.h>
#include <openmcim/synth.h>

struct sho_synth;

/* Where the credential goes: this operator's HSS and the subscription's profile. */
struct sho_synth_target {
	const char *hss_socket;
	const char *roaming; /* HSS roaming rule: "any" or PLMN[,PLMN] */
	unsigned ind_bits;
};

/*
 * Load a manufacturer's public files from dir (the factory's DIR/synthetic:
 * range.txt and verifiers.csv, docs/factory.md). Returns 0, or
 * OM_ESHO_CONFIG with "file:line: reason" in why.
 */
OM_NODISCARD int sho_synth_load(struct sho_synth **out, const char *dir, char *why, size_t why_len);
void sho_synth_free(struct sho_synth *s);
size_t sho_synth_devices(const struct sho_synth *s);

/*
 * Create the subscriber f(Ku) of tre_id, suspended. ku_text as typed off the
 * label. Returns 0 (imsi set), OM_EAUTH_SYNTH_KU (not a Ku),
 * OM_ESHO_SYNTH_UNKNOWN (no such TRE_id, or not its Ku: nothing created),
 * OM_ESHO_DUPLICATE (the HSS has this IMSI already), OM_ESHO_HSS; why says
 * which. Nothing secret reaches why.
 */
OM_NODISCARD int sho_synth_accept(const struct sho_synth *s, const struct sho_synth_target *t, const char *tre_id,
				  const char *ku_text, char imsi[static OM_MCIM_IMSI_MAX + 1], char *why, size_t wl);

/*
 * Make tre_id's subscriber live. Same checks as accept; then
 * OM_ESHO_NOT_FOUND if it was never accepted here, or OM_ESHO_HSS.
 */
OM_NODISCARD int sho_synth_activate(const struct sho_synth *s, const struct sho_synth_target *t,
				    const char *tre_id, const char *ku_text, char imsi[static OM_MCIM_IMSI_MAX + 1],
				    char *why, size_t wl);
