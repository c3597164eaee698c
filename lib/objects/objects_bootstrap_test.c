/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The B.2.3.3 bootstrap: it round-trips with EC P-256 and RSA-2048 roots;
 * a key other than the trust root, content altered after signing, signature
 * wrapping, DTDs and entities, bad base64 and oversize values are each
 * refused with their own code, and a refusal leaves the output empty.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include <openmcim/bootstrap.h>

#include "objects/bootstrap_int.h"
#include "objects/objects_int.h"
#include "objects_testkit.h"

static const enum om_key_type types[] = { OM_KEY_EC_P256, OM_KEY_RSA_2048 };
static const uint8_t creds[] = "OMPD\x01 PuK_TRE(username/password, nonceA)";

struct doc {
	uint8_t *xml;
	size_t len;
};

static struct om_bootstrap sample(X509 *next_root, uint8_t **der, size_t *der_len)
{
	struct om_bootstrap b;
	memset(&b, 0, sizeof(b));
	strcpy(b.provurl, "https://dpf.sho2.example:8443/dm");
	strcpy(b.server_id, "dpf.sho2.example");
	strcpy(b.apn, "m2m.sho2.example");
	b.sequence = 7;
	CHECK_INT(om_cert_encode(next_root, OM_ENC_DER, der, der_len), 0);
	b.sho_cert = *der;
	b.sho_cert_len = *der_len;
	b.creds = (uint8_t *)creds;
	b.creds_len = sizeof(creds);
	return b;
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Verify and expect code; a refusal leaves out empty. */
static void verify_expect(const uint8_t *xml, size_t len, X509 *root, int want, int line)
{
	struct om_bootstrap out;
	memset(&out, 0x5a, sizeof(out));
	int r = om_bootstrap_verify(xml, len, root, &out);
	check_record(r == want, __FILE__, line, "om_bootstrap_verify", "got %d (%s), want %d (%s)", r,
		     om_errname(r), want, om_errname(want));
	if (want < 0)
		check_record(all_zero(&out, sizeof(out)), __FILE__, line, "output empty", NULL);
	om_bootstrap_free(&out);
}
#define VERIFY(xml, len, root, want) verify_expect((xml), (len), (root), (want), __LINE__)

/* Replace the first occurrence of from with to; returns a new NUL-terminated text. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	CHECK_MSG(at != NULL, "missing '%s'", from);
	if (!at)
		return strdup(s);
	size_t a = (size_t)(at - s), fl = strlen(from), tl = strlen(to), n = strlen(s);
	char *r = malloc(n - fl + tl + 1);
	memcpy(r, s, a);
	memcpy(r + a, to, tl);
	memcpy(r + a + tl, at + fl, n - a - fl + 1);
	return r;
}

static void expect_text(const char *xml, X509 *root, int want, int line)
{
	verify_expect((const uint8_t *)xml, strlen(xml), root, want, line);
}
#define VERIFY_TEXT(xml, root, want) expect_text((xml), (root), (want), __LINE__)

static char *signed_text(struct tk_sho *sho, const struct om_bootstrap *b)
{
	uint8_t *xml = NULL;
	size_t len = 0;
	CHECK_INT(om_bootstrap_build_signed(b, sho->key, sho->cert, &xml, &len), 0);
	char *s = malloc(len + 1);
	memcpy(s, xml, len);
	s[len] = '\0';
	free(xml);
	return s;
}

/* Sign an arbitrary document text with our template (what a DRF could be made to sign). */
static char *sign_text(const char *unsigned_xml, EVP_PKEY *key, X509 *cert)
{
	xmlDocPtr doc = xmlReadMemory(unsigned_xml, (int)strlen(unsigned_xml), NULL, "UTF-8", XML_PARSE_NONET);
	xmlChar *out = NULL;
	int n = 0;
	CHECK(doc != NULL);
	CHECK_INT(omo_bootstrap_sign(doc, key, cert), 0);
	xmlDocDumpMemoryEnc(doc, &out, &n, "UTF-8");
	char *s = strdup((const char *)out);
	xmlFree(out);
	xmlFreeDoc(doc);
	return s;
}

static void round_trips_with_ec_and_rsa_roots(void)
{
	for (size_t k = 0; k < 2; k++) {
		struct tk_sho sho, next;
		uint8_t *der = NULL, *xml = NULL;
		size_t der_len = 0, len = 0;
		tk_sho_make(&sho, types[k], "SHO-1");
		tk_sho_make(&next, types[1 - k], "SHO-2");
		struct om_bootstrap b = sample(next.cert, &der, &der_len), out;
		CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &xml, &len), 0);
		CHECK_INT(om_bootstrap_verify(xml, len, sho.cert, &out), 0);
		CHECK(strcmp(out.provurl, b.provurl) == 0 && strcmp(out.server_id, b.server_id) == 0 &&
		      strcmp(out.apn, b.apn) == 0);
		CHECK_INT(out.sequence, 7);
		CHECK(out.sho_cert_len == der_len && memcmp(out.sho_cert, der, der_len) == 0);
		CHECK(out.creds_len == sizeof(creds) && memcmp(out.creds, creds, sizeof(creds)) == 0);
		/* the new root the TRE installs is what SHO[i+1] made */
		X509 *c = NULL;
		CHECK_INT(om_cert_decode(&c, OM_ENC_DER, out.sho_cert, out.sho_cert_len), 0);
		CHECK_INT(om_cert_check_profile(c, OM_CERT_ROOT_CA), 0);
		CHECK(X509_cmp(c, next.cert) == 0);
		X509_free(c);
		om_bootstrap_free(&out);
		CHECK(out.sho_cert == NULL && out.creds == NULL);
		/* a stapled status and its issuer travel as they are */
		static const uint8_t status[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
		b.signer_status = (uint8_t *)status;
		b.signer_status_len = sizeof(status);
		b.signer_issuer = der;
		b.signer_issuer_len = der_len;
		free(xml);
		CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &xml, &len), 0);
		CHECK_INT(om_bootstrap_verify(xml, len, sho.cert, &out), 0);
		CHECK(out.signer_status_len == sizeof(status) && !memcmp(out.signer_status, status, sizeof(status)) &&
		      out.signer_issuer_len == der_len && !memcmp(out.signer_issuer, der, der_len));
		om_bootstrap_free(&out);
		b.signer_issuer = NULL;
		uint8_t *none = (uint8_t *)"untouched";
		size_t none_len = 99;
		CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &none, &none_len), OM_EINVAL);
		CHECK(none_len == 99);
		b.signer_status = NULL;
		b.signer_status_len = 0;
		/* the largest sequence has one spelling too */
		b.sequence = UINT32_MAX;
		free(xml);
		CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &xml, &len), 0);
		CHECK_INT(om_bootstrap_verify(xml, len, sho.cert, &out), 0);
		CHECK(out.sequence == UINT32_MAX);
		om_bootstrap_free(&out);
		free(xml);
		om_pki_free(der, der_len);
		tk_sho_free(&sho);
		tk_sho_free(&next);
	}
}

static void refuses_a_key_other_than_the_trust_root(void)
{
	for (size_t k = 0; k < 2; k++) {
		struct tk_sho sho, other;
		uint8_t *der = NULL, *xml = NULL;
		size_t der_len = 0, len = 0;
		EVP_PKEY *skey = NULL;
		tk_sho_make(&sho, types[k], "SHO-1");
		tk_sho_make(&other, types[k], "SHO-1");
		struct om_bootstrap b = sample(other.cert, &der, &der_len);
		/* another operator's root with the same name */
		CHECK_INT(om_bootstrap_build_signed(&b, other.key, other.cert, &xml, &len), 0);
		VERIFY(xml, len, sho.cert, OM_EOBJ_SIGNATURE);
		/* without KeyInfo (it is optional) the signature check itself refuses it */
		char *text = strndup((char *)xml, len), *k0 = strstr(text, "<ds:KeyInfo>"), *k1 = strstr(text, "</ds:KeyInfo>");
		CHECK(k0 && k1);
		if (k0 && k1) {
			memmove(k0, k1 + 13, strlen(k1 + 13) + 1);
			VERIFY_TEXT(text, sho.cert, OM_EOBJ_SIGNATURE);
			VERIFY_TEXT(text, other.cert, 0);
		}
		free(text);
		free(xml);
		/* KeyInfo naming the trust root on a document the other key signed: still refused */
		char *ours = signed_text(&sho, &b), *theirs = NULL;
		CHECK_INT(om_bootstrap_build_signed(&b, other.key, other.cert, &xml, &len), 0);
		theirs = strndup((char *)xml, len);
		free(xml);
		char *o0 = strstr(ours, "<ds:KeyInfo>"), *t0 = strstr(theirs, "<ds:KeyInfo>");
		CHECK(o0 && t0);
		if (o0 && t0) {
			char *mixed = malloc(strlen(theirs) + strlen(o0) + 1);
			memcpy(mixed, theirs, (size_t)(t0 - theirs));
			strcpy(mixed + (t0 - theirs), o0);
			VERIFY_TEXT(mixed, sho.cert, OM_EOBJ_SIGNATURE);
			free(mixed);
			/* a key value instead of the certificate: KeyInfo only ever names the root */
			char *kv = replace(ours, "<ds:X509Data>", "<ds:KeyName>SHO-1</ds:KeyName><ds:X509Data>");
			VERIFY_TEXT(kv, sho.cert, OM_EOBJ_STRUCTURE);
			free(kv);
		}
		free(ours);
		free(theirs);
		/* a SHO_SIGNING certificate the trust root issued: the key is pinned, no chain is built */
		X509 *scert = tk_sho_signer(&sho, types[k], &skey);
		CHECK_INT(om_bootstrap_build_signed(&b, skey, scert, &xml, &len), 0);
		VERIFY(xml, len, sho.cert, OM_EOBJ_SIGNATURE);
		free(xml);
		/* a root of the other key type: the algorithm does not fit it */
		struct tk_sho mismatched;
		tk_sho_make(&mismatched, types[1 - k], "SHO-1");
		CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &xml, &len), 0);
		VERIFY(xml, len, mismatched.cert, OM_EOBJ_SIG_ALGORITHM);
		free(xml);
		X509_free(scert);
		EVP_PKEY_free(skey);
		om_pki_free(der, der_len);
		tk_sho_free(&sho);
		tk_sho_free(&other);
		tk_sho_free(&mismatched);
	}
}

static void refuses_what_was_altered_after_signing(void)
{
	struct tk_sho sho;
	uint8_t *der = NULL;
	size_t der_len = 0;
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len);
	char *xml = signed_text(&sho, &b);
	VERIFY_TEXT(xml, sho.cert, 0);
	/* every parm value: its first character changed to another valid one */
	size_t n_values = 0;
	for (char *p = strstr(xml, " value=\""); p; p = strstr(p + 1, " value=\"")) {
		char *v = p + 8, was = *v;
		*v = was == 'A' ? 'B' : (was == 'w' ? 'x' : (was >= '0' && was <= '8' ? was + 1 : 'A'));
		VERIFY_TEXT(xml, sho.cert, OM_EOBJ_DIGEST);
		*v = was;
		n_values++;
	}
	CHECK_INT(n_values, 18);
	/* an added characteristic, a removed one, an added parm */
	char *t = replace(xml, "<characteristic type=\"NAPDEF\">",
			  "<characteristic type=\"PXLOGICAL\"><parm name=\"PROXY-ID\" value=\"evil\"/></characteristic>"
			  "<characteristic type=\"NAPDEF\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_DIGEST);
	free(t);
	char *start = strstr(xml, "<characteristic type=\"NAPDEF\">");
	char *end = start ? strstr(start, "</characteristic>") : NULL;
	CHECK(end != NULL);
	if (end) {
		char *cut = strdup(xml);
		memmove(cut + (start - xml), cut + (end - xml) + 17, strlen(end + 17) + 1);
		VERIFY_TEXT(cut, sho.cert, OM_EOBJ_DIGEST);
		free(cut);
	}
	t = replace(xml, "<parm name=\"APPID\" value=\"w7\"/>",
		    "<parm name=\"APPID\" value=\"w7\"/><parm name=\"INIT\" value=\"\"/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_DIGEST);
	free(t);
	/* the signature value itself */
	char *sv = strstr(xml, "<ds:SignatureValue>");
	CHECK(sv != NULL);
	if (sv) {
		char was = sv[20];
		sv[20] = was == 'A' ? 'B' : 'A';
		VERIFY_TEXT(xml, sho.cert, OM_EOBJ_SIGNATURE);
		sv[20] = was;
	}
	free(xml);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
}

/* The text from the first 'from' to the end of the first 'to' after it. */
static char *span(const char *s, const char *from, const char *to)
{
	const char *a = strstr(s, from), *b = a ? strstr(a, to) : NULL;
	CHECK_MSG(b != NULL, "missing '%s'...'%s'", from, to);
	return b ? strndup(a, (size_t)(b + strlen(to) - a)) : strdup("");
}

static void refuses_signature_wrapping(void)
{
	struct tk_sho sho;
	uint8_t *der = NULL;
	size_t der_len = 0;
	tk_sho_make(&sho, OM_KEY_RSA_2048, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len);
	char *xml = signed_text(&sho, &b), *t, *u;
	VERIFY_TEXT(xml, sho.cert, 0);
	char *sig = span(xml, "<ds:Signature", "</ds:Signature>");
	char *cp = span(xml, "<wap-provisioningdoc", "</wap-provisioningdoc>");
	char *obj = span(xml, "<ds:Object", "</ds:Object>");
	const char *forged_cp = "<wap-provisioningdoc version=\"1.1\"><characteristic type=\"BOOTSTRAP\">"
				"<parm name=\"NAME\" value=\"evil\"/><parm name=\"PROVURL\" value=\"https://evil/dm\"/>"
				"</characteristic></wap-provisioningdoc>";
	char forged_obj[512];
	snprintf(forged_obj, sizeof(forged_obj), "<ds:Object Id=\"cp\">%s</ds:Object>", forged_cp);

	/* the bare document, unsigned; a second document element after the signed one */
	VERIFY_TEXT(cp, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	size_t n = strlen(xml);
	t = malloc(n + 64);
	snprintf(t, n + 64, "%s<wap-provisioningdoc version=\"1.1\"/>", xml);
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_XML);
	free(t);
	/* the genuine Signature wrapped in a forged document, at its end or inside a characteristic */
	t = malloc(strlen(forged_cp) + strlen(sig) + 1);
	strcpy(t, forged_cp);
	strcpy(strstr(t, "</wap-provisioningdoc>"), sig);
	strcat(t, "</wap-provisioningdoc>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = check_insert_after(forged_cp, "<characteristic type=\"BOOTSTRAP\">", sig);
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	/* XSW: a forged Object takes the Id, the genuine one moved before it (no Id, or another) */
	char *moved = replace(obj, "Id=\"cp\"", "Id=\"orig\"");
	t = replace(xml, obj, forged_obj);
	u = check_insert_after(t, "</ds:KeyInfo>", moved);
	VERIFY_TEXT(u, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(u);
	free(moved);
	moved = replace(obj, " Id=\"cp\"", "");
	u = check_insert_after(t, "</ds:KeyInfo>", moved);
	VERIFY_TEXT(u, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(u);
	/* ... or hidden in KeyInfo, where xmlsec would still find it by its Id: KeyInfo is pinned */
	u = check_insert_after(t, "<ds:KeyInfo>", obj);
	VERIFY_TEXT(u, sho.cert, OM_EOBJ_STRUCTURE);
	free(u);
	free(moved);
	free(t);
	/* the forged Object after the genuine one, or before it */
	t = check_insert_after(xml, "</ds:Object>", forged_obj);
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = check_insert_after(xml, "</ds:KeyInfo>", "<ds:Object><wap-provisioningdoc version=\"1.1\"/></ds:Object>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	/* content outside the signed Object: beside it, in the Signature, after it */
	t = check_insert_after(xml, "</ds:Object>", "<characteristic type=\"PXLOGICAL\"/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = check_insert_after(xml, "</ds:SignatureValue>", "<characteristic type=\"PXLOGICAL\"/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = check_insert_after(xml, "</ds:Object>", "unsigned?");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_STRUCTURE);
	free(t);
	t = check_insert_after(xml, "</ds:X509Data>", "<ds:KeyName>evil</ds:KeyName>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_STRUCTURE);
	free(t);
	/* a second Id anywhere (any case), or attributes on the Object beyond its Id */
	t = replace(xml, "<ds:SignatureValue>", "<ds:SignatureValue ID=\"cp\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = replace(xml, "<characteristic type=\"NAPDEF\">", "<characteristic type=\"NAPDEF\" id=\"x\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	t = replace(xml, "<ds:Object Id=\"cp\">", "<ds:Object Id=\"cp\" MimeType=\"text/plain\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(t);
	t = replace(xml, "<ds:Signature ", "<ds:Signature Id=\"s\" ");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_STRUCTURE);
	free(t);
	/* a second Signature inside the signed document is refused before anything is resolved */
	t = check_insert_after(xml, "<characteristic type=\"BOOTSTRAP\">", "<ds:Signature/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_PLACEMENT);
	free(t);
	/* the Reference pointing elsewhere, nowhere, at the whole document */
	t = replace(xml, "<ds:Reference URI=\"#cp\">", "<ds:Reference URI=\"#evil\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(t);
	t = replace(xml, "<ds:Reference URI=\"#cp\">", "<ds:Reference URI=\"\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(t);
	t = replace(xml, "<ds:Reference URI=\"#cp\">", "<ds:Reference>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(t);
	/* both renamed consistently: the Object is named by the one Id the format has */
	t = replace(xml, "<ds:Reference URI=\"#cp\">", "<ds:Reference URI=\"#x\">");
	u = replace(t, "<ds:Object Id=\"cp\">", "<ds:Object Id=\"x\">");
	VERIFY_TEXT(u, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(u);
	free(t);
	/* an extra Reference */
	char *ref = span(xml, "<ds:Reference", "</ds:Reference>");
	t = check_insert_after(xml, "</ds:Reference>", ref);
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_REFERENCE);
	free(t);
	free(ref);
	/* an XPath or enveloped transform added, the transform removed */
	t = check_insert_after(xml, "<ds:Transforms>",
			 "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">"
			 "<ds:XPath>not(ancestor-or-self::characteristic)</ds:XPath></ds:Transform>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_TRANSFORM);
	free(t);
	t = check_insert_after(xml, "<ds:Transforms>",
			 "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_TRANSFORM);
	free(t);
	t = replace(xml, "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>", "");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_TRANSFORM);
	free(t);
	/* other algorithms */
	t = replace(xml, "xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_ALGORITHM);
	free(t);
	t = replace(xml, "xmlenc#sha256", "xmldsig#sha1");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_ALGORITHM);
	free(t);
	t = replace(xml, "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
		    "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_SIG_ALGORITHM);
	free(t);
	free(sig);
	free(cp);
	free(obj);
	free(xml);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
}

static void refuses_dtds_entities_and_comments(void)
{
	struct tk_sho sho;
	uint8_t *der = NULL;
	size_t der_len = 0;
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len);
	char *xml = signed_text(&sho, &b), *t;
	t = replace(xml, "<ds:Signature",
		    "<!DOCTYPE ds:Signature [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><ds:Signature");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_DTD);
	free(t);
	t = replace(xml, "<ds:Signature",
		    "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><ds:Signature");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_DTD);
	free(t);
	t = replace(xml, "<characteristic type=\"NAPDEF\">", "<!-- c --><characteristic type=\"NAPDEF\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_DTD);
	free(t);
	/* an undeclared entity is not well-formed; a PI is not ours */
	t = replace(xml, "value=\"w7\"", "value=\"&xxe;\"");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_XML);
	free(t);
	t = replace(xml, "<characteristic type=\"NAPDEF\">", "<?pi x?><characteristic type=\"NAPDEF\">");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_STRUCTURE);
	free(t);
	/* the XML declaration is not signed: one spelling only */
	t = replace(xml, "version=\"1.0\"", "version=\"1.2\"");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_XML);
	free(t);
	t = replace(xml, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_XML);
	free(t);
	t = replace(xml, "encoding=\"UTF-8\"", "encoding=\"UTF-8\" standalone=\"yes\"");
	VERIFY_TEXT(t, sho.cert, OM_EOBJ_XML);
	free(t);
	t = replace(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
	VERIFY_TEXT(t, sho.cert, 0);
	free(t);
	/* a flipped bit anywhere in the document is refused */
	size_t n = strlen(xml), accepted = 0;
	for (size_t i = 0; i < n; i++) {
		struct om_bootstrap out;
		xml[i] ^= (char)(1u << (i % 8));
		if (om_bootstrap_verify((const uint8_t *)xml, n, sho.cert, &out) == 0)
			accepted++;
		om_bootstrap_free(&out);
		xml[i] ^= (char)(1u << (i % 8));
	}
	CHECK_INT(accepted, 0);
	VERIFY((const uint8_t *)"<a", 2, sho.cert, OM_EOBJ_XML);
	VERIFY((const uint8_t *)"<\0a", 3, sho.cert, OM_EOBJ_XML);
	uint8_t *big = calloc(1, OMO_DOC_MAX + 1);
	VERIFY(big, OMO_DOC_MAX + 1, sho.cert, OM_EOBJ_TOO_LONG);
	free(big);
	free(xml);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
}

/* The unsigned document of the builder, as text, to alter and then sign. */
static char *unsigned_text(void)
{
	const char *sig_start;
	struct tk_sho sho;
	uint8_t *der = NULL;
	size_t der_len = 0;
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len);
	b.sho_cert = (uint8_t *)"ABCD";
	b.sho_cert_len = 4;
	char *xml = signed_text(&sho, &b);
	sig_start = strstr(xml, "<wap-provisioningdoc");
	const char *end = sig_start ? strstr(sig_start, "</wap-provisioningdoc>") : NULL;
	CHECK(end != NULL);
	char *t = strndup(sig_start, (size_t)(end + strlen("</wap-provisioningdoc>") - sig_start));
	free(xml);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
	return t;
}

/* Alter the unsigned document (from -> to), sign it properly, expect want. */
static void signed_variant(struct tk_sho *sho, const char *base, const char *from, const char *to, int want, int line)
{
	char *t = replace(base, from, to);
	char *s = sign_text(t, sho->key, sho->cert);
	expect_text(s, sho->cert, want, line);
	free(t);
	free(s);
}
#define VARIANT(from, to, want) signed_variant(&sho, base, (from), (to), (want), __LINE__)

static void refuses_signed_documents_that_break_the_rules(void)
{
	struct tk_sho sho;
	char longv[300];
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	char *base = unsigned_text();
	VARIANT("version=\"1.1\"", "version=\"1.1\"", 0);
	/* base64: bad character, bad padding, non-zero unused bits, empty */
	VARIANT("value=\"QUJDRA==\"", "value=\"QUJD*A==\"", OM_EOBJ_BASE64);
	VARIANT("value=\"QUJDRA==\"", "value=\"QUJDRA=\"", OM_EOBJ_BASE64);
	VARIANT("value=\"QUJDRA==\"", "value=\"QUJDRB==\"", OM_EOBJ_BASE64);
	VARIANT("value=\"QUJDRA==\"", "value=\"QUJD RA=\"", OM_EOBJ_BASE64);
	VARIANT("value=\"QUJDRA==\"", "value=\"\"", OM_EOBJ_VALUE);
	/* oversize values */
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "value=\"https://", 15);
	strcpy(longv + 15 + 248, "\""); /* 256 characters */
	VARIANT("value=\"https://dpf.sho2.example:8443/dm\"", longv, OM_EOBJ_TOO_LONG);
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "value=\"", 7);
	strcpy(longv + 7 + 64, "\"");
	VARIANT("name=\"PROVIDER-ID\" value=\"dpf.sho2.example\"", longv, OM_EOBJ_STRUCTURE);
	char pid[sizeof(longv) + 32];
	snprintf(pid, sizeof(pid), "name=\"PROVIDER-ID\" %s", longv);
	VARIANT("name=\"PROVIDER-ID\" value=\"dpf.sho2.example\"", pid, OM_EOBJ_TOO_LONG);
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "value=\"", 7);
	strcpy(longv + 7 + 101, "\"");
	VARIANT("value=\"m2m.sho2.example\"", longv, OM_EOBJ_TOO_LONG);
	VARIANT("value=\"7\"", "value=\"12345678901\"", OM_EOBJ_TOO_LONG);
	/* values out of their rules */
	VARIANT("value=\"7\"", "value=\"07\"", OM_EOBJ_VALUE);
	VARIANT("value=\"7\"", "value=\"4294967296\"", OM_EOBJ_VALUE);
	VARIANT("value=\"w7\"", "value=\"w8\"", OM_EOBJ_VALUE);
	VARIANT("value=\"m2m.sho2.example\"", "value=\"m2m..example\"", OM_EOBJ_VALUE);
	VARIANT("name=\"ADDR\" value=\"https://", "name=\"ADDR\" value=\"http://", OM_EOBJ_VALUE);
	VARIANT("name=\"PROVURL\" value=\"https://", "name=\"PROVURL\" value=\"ftp://", OM_EOBJ_VALUE);
	VARIANT("value=\"openmcim-tr33812\"", "value=\"other-vendor\"", OM_EOBJ_VALUE);
	/* missing, duplicate, unknown */
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>", "", OM_EOBJ_MISSING);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>", "<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"SEQUENCE\" value=\"8\"/>",
		OM_EOBJ_DUPLICATE);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>", "<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"BEARER\" value=\"GSM-GPRS\"/>",
		OM_EOBJ_STRUCTURE);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>", "<parm name=\"SEQUENCE\"/>", OM_EOBJ_STRUCTURE);
	/* the signer's status and its issuer: both or neither, each once, canonical base64 */
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>",
		"<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"SIGNER-STATUS\" value=\"MAMKAQA=\"/>", OM_EOBJ_MISSING);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>",
		"<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"SIGNER-ISSUER\" value=\"QUJD\"/>", OM_EOBJ_MISSING);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>",
		"<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"SIGNER-STATUS\" value=\"MAMKAQA=\"/>"
		"<parm name=\"SIGNER-ISSUER\" value=\"QUJD\"/><parm name=\"SIGNER-STATUS\" value=\"MAMKAQA=\"/>",
		OM_EOBJ_DUPLICATE);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>",
		"<parm name=\"SEQUENCE\" value=\"7\"/><parm name=\"SIGNER-STATUS\" value=\"MAMKAQA\"/>"
		"<parm name=\"SIGNER-ISSUER\" value=\"QUJD\"/>",
		OM_EOBJ_BASE64);
	VARIANT("<parm name=\"SEQUENCE\" value=\"7\"/>", "<parm name=\"SEQUENCE\" value=\"7\" x=\"1\"/>",
		OM_EOBJ_STRUCTURE);
	VARIANT("<characteristic type=\"BOOTSTRAP\">", "<characteristic type=\"BOOTSTRAP\"><characteristic type=\"PORT\"/>",
		OM_EOBJ_STRUCTURE);
	VARIANT("<characteristic type=\"BOOTSTRAP\">",
		"<characteristic type=\"BOOTSTRAP\"><parm name=\"NAME\" value=\"x\"/>"
		"<parm name=\"PROVURL\" value=\"https://x\"/></characteristic>"
		"<characteristic type=\"BOOTSTRAP\">",
		OM_EOBJ_DUPLICATE);
	VARIANT("type=\"BOOTSTRAP\"", "type=\"PXLOGICAL\"", OM_EOBJ_STRUCTURE);
	VARIANT("version=\"1.1\"", "version=\"1.0\"", OM_EOBJ_STRUCTURE);
	VARIANT("<wap-provisioningdoc", "<wap-provisioningdoc xmlns=\"urn:x\"", OM_EOBJ_STRUCTURE);
	VARIANT("<characteristic type=\"NAPDEF\">", "text<characteristic type=\"NAPDEF\">", OM_EOBJ_STRUCTURE);
	char *v = strstr(base, "<characteristic type=\"VENDORCONFIG\">");
	CHECK(v != NULL);
	if (v) {
		char *only = strdup(base);
		strcpy(only + (v - base), "</wap-provisioningdoc>\n");
		char *s = sign_text(only, sho.key, sho.cert);
		VERIFY_TEXT(s, sho.cert, OM_EOBJ_MISSING);
		free(s);
		free(only);
	}
	free(base);
	tk_sho_free(&sho);
}

static void builder_refuses_what_a_tre_would_refuse(void)
{
	struct tk_sho sho;
	uint8_t *der = NULL, *xml = (uint8_t *)"untouched";
	size_t der_len = 0, len = 99;
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len), t;
	t = b;
	strcpy(t.provurl, "dpf.example");
	CHECK_INT(om_bootstrap_build_signed(&t, sho.key, sho.cert, &xml, &len), OM_EINVAL);
	t = b;
	strcpy(t.apn, "m2m example");
	CHECK_INT(om_bootstrap_build_signed(&t, sho.key, sho.cert, &xml, &len), OM_EINVAL);
	t = b;
	t.creds_len = 0;
	CHECK_INT(om_bootstrap_build_signed(&t, sho.key, sho.cert, &xml, &len), OM_EINVAL);
	t = b;
	memset(t.server_id, 'a', sizeof(t.server_id));
	CHECK_INT(om_bootstrap_build_signed(&t, sho.key, sho.cert, &xml, &len), OM_EINVAL);
	EVP_PKEY *x = tk_key(OM_KEY_X25519);
	CHECK_INT(om_bootstrap_build_signed(&b, x, sho.cert, &xml, &len), OM_EPKI_KEY_TYPE);
	CHECK(len == 99 && strcmp((char *)xml, "untouched") == 0);
	EVP_PKEY_free(x);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
}

static void values_with_markup_characters_survive(void)
{
	struct tk_sho sho;
	uint8_t *der = NULL, *xml = NULL;
	size_t der_len = 0, len = 0;
	tk_sho_make(&sho, OM_KEY_RSA_2048, "SHO-1");
	struct om_bootstrap b = sample(sho.cert, &der, &der_len), out;
	strcpy(b.provurl, "https://dpf.example/dm?a=1&b=\"<2>\"");
	strcpy(b.server_id, "DPF <&> 'quoted'");
	CHECK_INT(om_bootstrap_build_signed(&b, sho.key, sho.cert, &xml, &len), 0);
	CHECK_INT(om_bootstrap_verify(xml, len, sho.cert, &out), 0);
	CHECK(strcmp(out.provurl, b.provurl) == 0 && strcmp(out.server_id, b.server_id) == 0);
	om_bootstrap_free(&out);
	free(xml);
	om_pki_free(der, der_len);
	tk_sho_free(&sho);
}

int main(void)
{
	round_trips_with_ec_and_rsa_roots();
	refuses_a_key_other_than_the_trust_root();
	refuses_what_was_altered_after_signing();
	refuses_signature_wrapping();
	refuses_dtds_entities_and_comments();
	refuses_signed_documents_that_break_the_rules();
	builder_refuses_what_a_tre_would_refuse();
	values_with_markup_characters_survive();
	return check_done();
}
