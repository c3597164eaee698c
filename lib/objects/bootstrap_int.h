/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two halves of the bootstrap codec that share the document's rules:
 * the field checks (the builder refuses what the verifier would refuse) and
 * the strict parse of a verified tree. Not a public API.
 */
#pragma once

#include <libxml/tree.h>

#include <openmcim/bootstrap.h>

/* 0 if b's fields follow the rules of docs/formats.md, else a negative code. */
OM_NODISCARD int omo_bootstrap_check(const struct om_bootstrap *b);

/*
 * Parse the characteristics of a verified document (cp: the
 * wap-provisioningdoc inside the signed ds:Object) into out, which the
 * caller zeroed. Returns 0, OM_EOBJ_STRUCTURE, OM_EOBJ_MISSING,
 * OM_EOBJ_DUPLICATE, OM_EOBJ_TOO_LONG, OM_EOBJ_VALUE, OM_EOBJ_BASE64 or
 * OM_ENOMEM; on failure out may hold buffers (om_bootstrap_free() them).
 */
OM_NODISCARD int omo_bootstrap_parse(xmlNodePtr cp, struct om_bootstrap *out);

/*
 * Wrap doc's root (a wap-provisioningdoc) in the enveloping Signature of
 * docs/formats.md: the root becomes the content of ds:Object Id="cp", the
 * ds:Signature the new root, signed with key (EC P-256 or RSA-2048) and
 * cert in X509Data. The builder uses it; the tests use it to sign documents
 * the builder would refuse to make. Returns 0 or OM_ECRYPTO.
 */
OM_NODISCARD int omo_bootstrap_sign(xmlDocPtr doc, EVP_PKEY *key, X509 *cert);

/* Whitespace-only text (what serialisers put between elements). */
int omo_blank(xmlNodePtr n);
