/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic credentials of Alternative 3 (spec/000 5.2.4.3.1): "a publicly
 * known, mathematical (one-way) function f, i.e. f(Ku) = {IMSI, Ki, (OPc)},
 * where Ku would be set in the terminal at manufacturing, but also indicated
 * on the M2M terminal". The manufacturer personalises the TRE with f(Ku) and
 * prints Ku on the label; the owner gives Ku to the operator of his choice,
 * which computes the same f and configures the result into its AuC.
 *
 * f is HKDF-SHA-256 (RFC 5869) with Ku as the input keying material, one
 * fixed salt and one info label per output; the MSIN is drawn without bias
 * into a public range by rejection sampling. Every byte is in
 * docs/formats.md "Synthetic credentials"; the choices in docs/decisions.md.
 * Pure: no I/O, no allocation beyond OpenSSL's KDF context.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/mcim.h>

#define OM_SYNTH_KU_LEN 16       /* Ku: 128 bits from the CSPRNG */
#define OM_SYNTH_KU_CHARS 26     /* Ku on the label: Crockford base32, 26 characters (130 bits, 2 zero) */
#define OM_SYNTH_KU_TEXT_MAX (OM_SYNTH_KU_CHARS + 6 + 1) /* with '-' every 4 characters, and the NUL */
#define OM_SYNTH_VERIFIER_LEN 16 /* the manufacturer's public commitment to one Ku */
#define OM_SYNTH_MSIN_TRIES 16   /* 8-byte words drawn before giving up (docs/formats.md) */

/* The public range the MSIN is drawn into: MCC | MNC | (msin_first .. msin_first + count - 1). */
struct om_synth_range {
	char mcc[4];        /* 3 digits */
	char mnc[4];        /* 2 or 3 digits */
	unsigned width;     /* MSIN digits: 15 - 3 - MNC digits at most, at least 1 */
	uint64_t first;     /* first MSIN */
	uint64_t count;     /* MSINs in the range, at least 1; first + count - 1 has at most width digits */
};

/*
 * Check and fill a range from its text: mcc (3 digits), mnc (2 or 3),
 * msin_first (digits; its digit count is the MSIN width, the IMSI 15
 * digits at most) and count. Returns 0 or OM_EAUTH_SYNTH_RANGE.
 */
OM_NODISCARD int om_synth_range_set(struct om_synth_range *r, const char *mcc, const char *mnc,
				    const char *msin_first, uint64_t count);

/*
 * f(Ku) = {IMSI, K, OPc}: fills m's imsi, mnc_len, algorithm (MILENAGE), k,
 * opc and amf (80 00, present); the APN and the rest are the caller's
 * (m's other fields are zeroed). verifier, when not NULL, receives the
 * manufacturer's public commitment to Ku (docs/formats.md). Returns 0,
 * OM_EINVAL, OM_EAUTH_SYNTH_RANGE or OM_ECRYPTO; m and verifier are
 * cleansed on failure. m is secret: om_mcim_clear() it.
 */
OM_NODISCARD int om_synth_derive(const uint8_t ku[static OM_SYNTH_KU_LEN], const struct om_synth_range *r,
				 struct om_mcim *m, uint8_t *verifier);

/*
 * The MSIN draw alone: the offset into a range of count MSINs (count >= 1),
 * from the first accepted word (docs/formats.md). Returns 0, OM_EINVAL or
 * OM_ECRYPTO (no word accepted in OM_SYNTH_MSIN_TRIES).
 */
OM_NODISCARD int om_synth_msin_offset(const uint8_t ku[static OM_SYNTH_KU_LEN], uint64_t count, uint64_t *offset);

/* Ku as printed on the label: "XXXX-XXXX-...-XX" (out holds OM_SYNTH_KU_TEXT_MAX). Secret. */
void om_synth_ku_format(const uint8_t ku[static OM_SYNTH_KU_LEN], char out[static OM_SYNTH_KU_TEXT_MAX]);

/*
 * Ku from what a person typed off the label (case, '-', O/I/L folded as
 * base32.h says). Returns 0, or OM_EAUTH_SYNTH_KU: not 26 characters of
 * the alphabet, or the 2 padding bits not zero (a typing error).
 */
OM_NODISCARD int om_synth_ku_parse(const char *typed, uint8_t ku[static OM_SYNTH_KU_LEN]);
