/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's side of B.2.3.3: the OMA CP bootstrap (wap-provisioningdoc 1.1)
 * carrying {PROVURL, Cert_SHO[i+1], PuK_TRE(DM credentials, nonceA)}, signed
 * by SHO[i] with an enveloping XML-DSig: the document is the content of the
 * signature's one ds:Object, so it stays a valid wap-provisioningdoc (OMA
 * CP's DTD has no place for a Signature element) that a CP parser or
 * libwbxml2 takes as it is once unwrapped. The layout is in
 * docs/formats.md, "Bootstrap document (B.2.3.3)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <openmcim/base64.h>
#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "objects_int.h"
#include "bootstrap_int.h"

static xmlNodePtr characteristic(xmlNodePtr parent, const char *type)
{
	xmlNodePtr c = xmlNewChild(parent, NULL, BAD_CAST "characteristic", NULL);
	if (c && !xmlNewProp(c, BAD_CAST "type", BAD_CAST type))
		return NULL;
	return c;
}

/* parm values are attributes: libxml2 escapes them when it serialises */
static int parm(xmlNodePtr c, const char *name, const char *value)
{
	xmlNodePtr p = c ? xmlNewChild(c, NULL, BAD_CAST "parm", NULL) : NULL;
	return p && xmlNewProp(p, BAD_CAST "name", BAD_CAST name) && xmlNewProp(p, BAD_CAST "value", BAD_CAST value);
}

static char *b64_dup(const uint8_t *in, size_t len)
{
	char *s = malloc(om_base64_len(len) + 1);
	if (s)
		om_base64_encode(in, len, s);
	return s;
}

/* The unsigned document for b (the field rules are checked by the caller). */
static xmlDocPtr build_doc(const struct om_bootstrap *b, const char *cert_b64, const char *creds_b64,
			   const char *status_b64, const char *issuer_b64)
{
	char seq[16];
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "wap-provisioningdoc", NULL) : NULL;
	if (!root)
		goto fail;
	xmlDocSetRootElement(doc, root);
	snprintf(seq, sizeof(seq), "%lu", (unsigned long)b->sequence);
	xmlNodePtr c;
	int ok = xmlNewProp(root, BAD_CAST "version", BAD_CAST "1.1") != NULL;
	c = characteristic(root, "BOOTSTRAP");
	ok = ok && parm(c, "NAME", b->server_id) && parm(c, "PROVURL", b->provurl);
	c = characteristic(root, "NAPDEF");
	ok = ok && parm(c, "NAPID", OMO_NAPID) && parm(c, "BEARER", OMO_BEARER) && parm(c, "NAME", b->server_id) &&
	     parm(c, "NAP-ADDRESS", b->apn) && parm(c, "NAP-ADDRTYPE", "APN");
	c = characteristic(root, "APPLICATION");
	ok = ok && parm(c, "APPID", "w7") && parm(c, "PROVIDER-ID", b->server_id) && parm(c, "NAME", b->server_id) &&
	     parm(c, "ADDR", b->provurl) && parm(c, "TO-NAPID", OMO_NAPID);
	/*
	 * The DM account's client credentials (OMA DM Bootstrap: APPAUTH with
	 * AAUTHLEVEL APPSRV): the scheme only. Their name and secret travel
	 * sealed to the TRE in VENDORCONFIG, never in clear (B.2.3.2).
	 */
	c = ok ? characteristic(c, "APPAUTH") : NULL;
	ok = ok && parm(c, "AAUTHLEVEL", "APPSRV") && parm(c, "AAUTHTYPE", OMO_AAUTHTYPE);
	c = characteristic(root, "VENDORCONFIG");
	ok = ok && parm(c, "NAME", OMO_VENDOR_NAME) && parm(c, "SHO-CERT", cert_b64) &&
	     parm(c, "DM-CREDENTIALS", creds_b64) && parm(c, "SEQUENCE", seq);
	if (status_b64)
		ok = ok && parm(c, "SIGNER-STATUS", status_b64) && parm(c, "SIGNER-ISSUER", issuer_b64);
	if (ok)
		return doc;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

int omo_bootstrap_sign(xmlDocPtr doc, EVP_PKEY *pkey, X509 *cert)
{
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecKeyPtr key = NULL;
	xmlSecKeyDataPtr data = NULL;
	X509 *dup = NULL;
	int r = OM_ECRYPTO;
	int key_type = om_key_type_of(pkey);

	xmlSecTransformId alg = key_type == OM_KEY_EC_P256 ? xmlSecOpenSSLTransformEcdsaSha256Id
							    : xmlSecOpenSSLTransformRsaSha256Id;
	xmlNodePtr cp = xmlDocGetRootElement(doc);
	xmlNodePtr sig = cp ? xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId, alg, NULL,
							     BAD_CAST "ds")
			    : NULL;
	if (!sig)
		goto out;
	/* enveloping: the Signature is the root, the document its one Object's content */
	xmlUnlinkNode(cp);
	xmlDocSetRootElement(doc, sig);
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, xmlSecOpenSSLTransformSha256Id, NULL,
							 BAD_CAST OMO_OBJECT_URI, NULL);
	xmlNodePtr ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	xmlNodePtr xd = ki ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	xmlNodePtr obj = xmlSecTmplSignatureAddObject(sig, BAD_CAST OMO_OBJECT_ID, NULL, NULL);
	if (!obj || !xmlAddChild(obj, cp)) {
		xmlFreeNode(cp);
		goto out;
	}
	if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) || !xd ||
	    !xmlSecTmplX509DataAddCertificate(xd))
		goto out;
	/* the Reference finds the Object by its Id (XML-DSig 4.3.3.3) */
	xmlAttrPtr id = xmlHasProp(obj, BAD_CAST "Id");
	if (!id || !xmlAddID(NULL, doc, BAD_CAST OMO_OBJECT_ID, id))
		goto out;

	key = xmlSecKeyCreate();
	if (!key || EVP_PKEY_up_ref(pkey) != 1)
		goto out;
	data = xmlSecOpenSSLEvpKeyAdopt(pkey);
	if (!data) {
		EVP_PKEY_free(pkey);
		goto out;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		goto out;
	}
	xmlSecKeyDataPtr x509 = xmlSecKeyEnsureData(key, xmlSecOpenSSLKeyDataX509Id);
	/* a reference, not a copy: xmlsec only writes it out, and X509_dup decoded it again (issue 14: 7 % of the DRF) */
	dup = X509_up_ref(cert) == 1 ? cert : NULL;
	if (!x509 || !dup || xmlSecOpenSSLKeyDataX509AdoptCert(x509, dup) < 0)
		goto out;
	dup = NULL;
	ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx)
		goto out;
	ctx->signKey = key;
	key = NULL;
	if (xmlSecDSigCtxSign(ctx, sig) < 0)
		goto out;
	r = 0;
out:
	X509_free(dup);
	if (key)
		xmlSecKeyDestroy(key);
	if (ctx)
		xmlSecDSigCtxDestroy(ctx); /* destroys signKey, the private key's copy */
	ERR_clear_error();
	return r;
}

int om_bootstrap_build_signed(const struct om_bootstrap *b, EVP_PKEY *sho_key, X509 *sho_cert, uint8_t **out,
			      size_t *out_len)
{
	char *cert_b64 = NULL, *creds_b64 = NULL, *status_b64 = NULL, *issuer_b64 = NULL;
	xmlDocPtr doc = NULL;
	xmlChar *xml = NULL;
	int xml_len = 0;
	int r = OM_EINVAL;

	if (!b || !sho_key || !sho_cert || !out || !out_len)
		return OM_EINVAL;
	int type = om_key_type_of(sho_key);
	if (type != OM_KEY_EC_P256 && type != OM_KEY_RSA_2048)
		return OM_EPKI_KEY_TYPE;
	if (omo_bootstrap_check(b) < 0)
		return OM_EINVAL;
	if ((r = omo_xmlsec_init()) < 0)
		return r;
	r = OM_ENOMEM;
	cert_b64 = b64_dup(b->sho_cert, b->sho_cert_len);
	creds_b64 = b64_dup(b->creds, b->creds_len);
	if (b->signer_status) {
		status_b64 = b64_dup(b->signer_status, b->signer_status_len);
		issuer_b64 = b64_dup(b->signer_issuer, b->signer_issuer_len);
		if (!status_b64 || !issuer_b64)
			goto out;
	}
	if (!cert_b64 || !creds_b64 || !(doc = build_doc(b, cert_b64, creds_b64, status_b64, issuer_b64)))
		goto out;
	if ((r = omo_bootstrap_sign(doc, sho_key, sho_cert)) < 0)
		goto out;
	r = OM_ENOMEM;
	xmlDocDumpMemoryEnc(doc, &xml, &xml_len, "UTF-8");
	if (!xml || xml_len <= 0)
		goto out;
	r = OM_EOBJ_TOO_LONG;
	if ((size_t)xml_len > OMO_DOC_MAX)
		goto out;
	r = OM_ENOMEM;
	*out = malloc((size_t)xml_len);
	if (!*out)
		goto out;
	memcpy(*out, xml, (size_t)xml_len);
	*out_len = (size_t)xml_len;
	r = 0;
out:
	xmlFree(xml);
	xmlFreeDoc(doc);
	free(cert_b64);
	free(creds_b64);
	free(status_b64);
	free(issuer_b64);
	return r;
}
