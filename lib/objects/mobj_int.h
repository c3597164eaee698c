/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The framing shared by M2MMobj and M2MMCIMMobj (docs/formats.md,
 * "M2MMobj and M2MMCIMMobj (B.2.3.4)"). Not a public API.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openmcim/err.h>

#define MOBJ_MAGIC "OMMO"
#define MOBJ_VERSION 0x01
#define MOBJ_VERSION_M2MMOBJ 0x04 /* M2MMobj version 2 adds the TRE's state counter, 3 its blocked MIDs, 4 the TPM quote */
#define MOBJ_TYPE_M2MMOBJ 0x01
#define MOBJ_TYPE_M2MMCIMMOBJ 0x02
#define MOBJ_TYPE_OUTCOME 0x04     /* the TRE's outcome statement (outcome.h); 03 is the handover request */
#define MOBJ_VERSION_OUTCOME 0x02  /* outcome statement version 2 adds the TRE's blocked MIDs */
#define MOBJ_TYPE_PVA_VERDICT 0x05  /* the PVA's signed verdict (verdict.h) */
#define MOBJ_SCHEME_ECDSA_P256 0x01 /* r | s, 32 bytes each */
#define MOBJ_SCHEME_RSA_PSS 0x02    /* RSASSA-PSS-SHA256, 256 bytes */
#define MOBJ_HDR 9                  /* magic 4, version, type, scheme, body length 2 */

/* The version a new object of type is written in; an older one of that type is still read. */
uint8_t omo_mobj_version(uint8_t type);

/*
 * The body is already at out[MOBJ_HDR .. + body_len). Write the header (the
 * version of omo_mobj_version(type)) and
 * append the signature over header and body. Returns the object length,
 * OM_EOBJ_TOO_LONG (over OM_MOBJ_MAX), OM_ENOSPC, OM_EPKI_KEY_TYPE or
 * OM_ECRYPTO.
 */
OM_NODISCARD int omo_mobj_sign(uint8_t type, EVP_PKEY *key, uint8_t *out, size_t cap, size_t body_len);

/*
 * Check the framing, then the signature with pub; only then point *body at
 * the signed body. The version may be any from 01 to omo_mobj_version(type)
 * (obj[4] tells the caller which). Returns 0, OM_EOBJ_TOO_LONG, OM_EOBJ_MAGIC,
 * OM_EOBJ_VERSION, OM_EOBJ_TYPE, OM_EOBJ_SIG_ALGORITHM (scheme is not pub's),
 * OM_EOBJ_TRUNCATED, OM_EOBJ_TRAILING, OM_EOBJ_SIGNATURE, OM_EPKI_KEY_TYPE.
 */
OM_NODISCARD int omo_mobj_open(const uint8_t *obj, size_t len, uint8_t type, EVP_PKEY *pub,
			       const uint8_t **body, size_t *body_len);

/* The body without any signature check (for om_m2mmobj_peek_tre_id()). */
OM_NODISCARD int omo_mobj_peek(const uint8_t *obj, size_t len, uint8_t type, const uint8_t **body,
			       size_t *body_len);

/*
 * The fields of the signed bodies (M2MMobj, M2MMCIMMobj, the handover
 * request): text is a length byte and 1..max characters from lo to '~'.
 */
#define MOBJ_ID_LO '!'  /* identifiers: printable, no space (TRE_id, like a certificate CN we look up by) */
#define MOBJ_TEXT_LO ' ' /* names: printable ASCII */

/* Whether s[0..len) is 1..max characters from lo to '~'. */
int omo_text_ok(const char *s, size_t len, size_t max, char lo);

/* A reader over a body; every take checks what is left. */
struct omo_rd {
	const uint8_t *p;
	size_t len, pos;
};

/* A text field into dst (NUL-terminated, max+1 bytes). Returns 0, OM_EOBJ_TRUNCATED or OM_EOBJ_FIELD. */
OM_NODISCARD int omo_take_text(struct omo_rd *d, char *dst, size_t max, char lo);

/* A signed 64-bit big-endian integer. Returns 0 or OM_EOBJ_TRUNCATED. */
OM_NODISCARD int omo_take_i64(struct omo_rd *d, int64_t *v);

/* A writer of a body into p[pos .. cap). */
struct omo_wr {
	uint8_t *p;
	size_t cap, pos;
};

/* s (of the size bytes of its array) as a text field. 0, OM_EINVAL (not 1..max from lo), OM_EOBJ_TOO_LONG. */
OM_NODISCARD int omo_put_text(struct omo_wr *w, const char *s, size_t size, size_t max, char lo);

/* n bytes as they are. 0 or OM_EOBJ_TOO_LONG. */
OM_NODISCARD int omo_put_raw(struct omo_wr *w, const void *b, size_t n);

/* v as 8 bytes, signed, big-endian. 0 or OM_EOBJ_TOO_LONG. */
OM_NODISCARD int omo_put_i64(struct omo_wr *w, int64_t v);

/* n bytes into dst. Returns 0 or OM_EOBJ_TRUNCATED. */
OM_NODISCARD int omo_take_raw(struct omo_rd *d, void *dst, size_t n);
