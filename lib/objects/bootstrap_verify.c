/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's side of B.2.3.3: verify the bootstrap against Cert_SHO[i]
 * before trusting a byte of it. In order:
 *   1. refuse DTDs, entities, comments and CDATA before parsing (XXE and
 *      entity expansion), parse without network or entity substitution;
 *   2. pin the shape of the signature (signature wrapping, XSW): the
 *      enveloping ds:Signature is the root and holds one ds:Object Id="cp",
 *      its last child, whose only content is the wap-provisioningdoc; the
 *      tree has one Signature and one Id; one Reference with URI="#cp",
 *      the transform exc-c14n and nothing else, SHA-256, the signature
 *      algorithm of the trust root's key type;
 *   3. xmlsec verifies with the trust root's public key set as the signing
 *      key: no keys manager, so nothing in KeyInfo is ever looked at; the
 *      Id it resolved must be that Object's;
 *   4. parse the very tree that was verified (bootstrap_doc.c): the
 *      wap-provisioningdoc inside the signed Object, nothing outside it.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <openmcim/bootstrap.h>
#include <openmcim/pki.h>

#include "bootstrap_int.h"
#include "objects_int.h"

static int contains(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, s, n) == 0)
			return 1;
	return 0;
}

/* Markup our documents never hold, refused before libxml2 sees it. */
static int prescan(const uint8_t *xml, size_t len)
{
	if (memchr(xml, 0, len))
		return OM_EOBJ_XML; /* UTF-16/32 or binary */
	if (contains(xml, len, "<!"))
		return OM_EOBJ_DTD; /* DOCTYPE, ENTITY, comment, CDATA */
	/*
	 * The XML declaration is outside what the signature covers (exc-c14n
	 * drops it), so it has one spelling: absent, or one of these two. A
	 * flipped bit there (version="1.2", another encoding) is refused.
	 */
	static const char decl1[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	static const char decl2[] = "<?xml version=\"1.0\"?>";
	if (len >= 5 && memcmp(xml, "<?xml", 5) == 0 &&
	    !(len >= sizeof(decl1) - 1 && memcmp(xml, decl1, sizeof(decl1) - 1) == 0) &&
	    !(len >= sizeof(decl2) - 1 && memcmp(xml, decl2, sizeof(decl2) - 1) == 0))
		return OM_EOBJ_XML;
	return 0;
}

static int is_dsig(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST OMO_DSIG_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* The next element sibling from n on, refusing non-blank text, comments, PIs. */
static int next_elem(xmlNodePtr n, xmlNodePtr *out)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			break;
		if (n->type != XML_TEXT_NODE || !omo_blank(n))
			return OM_EOBJ_STRUCTURE;
	}
	*out = n;
	return 0;
}

/* Count elements named Signature anywhere (any namespace): wrapping hides copies. */
static size_t count_signatures(xmlNodePtr n)
{
	size_t k = 0;
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST "Signature"))
			k++;
		k += count_signatures(n->children);
	}
	return k;
}

/* Count attributes named Id in any case, anywhere: a second one could be the one resolved. */
static size_t count_ids(xmlNodePtr n)
{
	size_t k = 0;
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = n->properties; a; a = a->next)
			if (!xmlStrcasecmp(a->name, BAD_CAST "id"))
				k++;
		k += count_ids(n->children);
	}
	return k;
}

/*
 * Only elements and text in the whole tree: a PI, CDATA or entity
 * reference has no place in a bootstrap, signed or not.
 */
static int only_elements_and_text(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			int r = only_elements_and_text(n->children);
			if (r < 0)
				return r;
		} else if (n->type != XML_TEXT_NODE) {
			return OM_EOBJ_STRUCTURE;
		}
	}
	return 0;
}

/* An element whose only attribute is Algorithm=alg, with no children. */
static int algorithm_is(xmlNodePtr n, const char *alg)
{
	xmlAttrPtr a = n->properties;
	if (!a || a->next || a->ns || !xmlStrEqual(a->name, BAD_CAST "Algorithm") || !a->children ||
	    a->children->next || !xmlStrEqual(a->children->content, BAD_CAST alg))
		return 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type != XML_TEXT_NODE || !omo_blank(c))
			return 0;
	return 1;
}

/* Reference: URI="#cp" only; Transforms exactly exc-c14n; SHA-256. */
static int check_reference(xmlNodePtr ref)
{
	xmlAttrPtr a = ref->properties;
	xmlNodePtr n, t1, rest;
	int r;
	if (!a || a->next || a->ns || !xmlStrEqual(a->name, BAD_CAST "URI") || !a->children || a->children->next ||
	    !xmlStrEqual(a->children->content, BAD_CAST OMO_OBJECT_URI))
		return OM_EOBJ_SIG_REFERENCE;
	if ((r = next_elem(ref->children, &n)) < 0)
		return r;
	if (!n || !is_dsig(n, "Transforms") || n->properties)
		return OM_EOBJ_SIG_TRANSFORM;
	if ((r = next_elem(n->children, &t1)) < 0 || !t1 || (r = next_elem(t1->next, &rest)) < 0 || rest)
		return OM_EOBJ_SIG_TRANSFORM;
	if (!is_dsig(t1, "Transform") || !algorithm_is(t1, OMO_ALG_EXC_C14N))
		return OM_EOBJ_SIG_TRANSFORM;
	if ((r = next_elem(n->next, &n)) < 0)
		return r;
	if (!n || !is_dsig(n, "DigestMethod") || !algorithm_is(n, OMO_ALG_SHA256))
		return OM_EOBJ_SIG_ALGORITHM;
	if ((r = next_elem(n->next, &n)) < 0)
		return r;
	if (!n || !is_dsig(n, "DigestValue") || n->properties || (r = next_elem(n->next, &n)) < 0 || n)
		return OM_EOBJ_STRUCTURE;
	return 0;
}

/* SignedInfo: exc-c14n, the key type's algorithm, exactly one Reference. */
static int check_signed_info(xmlNodePtr si, const char *sig_alg)
{
	xmlNodePtr n, ref;
	int r;
	if (si->properties || (r = next_elem(si->children, &n)) < 0)
		return OM_EOBJ_STRUCTURE;
	if (!n || !is_dsig(n, "CanonicalizationMethod") || !algorithm_is(n, OMO_ALG_EXC_C14N))
		return OM_EOBJ_SIG_ALGORITHM;
	if ((r = next_elem(n->next, &n)) < 0)
		return r;
	if (!n || !is_dsig(n, "SignatureMethod") || !algorithm_is(n, sig_alg))
		return OM_EOBJ_SIG_ALGORITHM;
	if ((r = next_elem(n->next, &ref)) < 0)
		return r;
	if (!ref || !is_dsig(ref, "Reference"))
		return OM_EOBJ_SIG_REFERENCE;
	if ((r = next_elem(ref->next, &n)) < 0)
		return r;
	if (n)
		return is_dsig(n, "Reference") ? OM_EOBJ_SIG_REFERENCE : OM_EOBJ_STRUCTURE;
	return check_reference(ref);
}

/*
 * KeyInfo is never used to find the key, and it is outside the Reference.
 * So that no byte of the document goes unchecked, it may only name the
 * trust root: X509Data with exactly one X509Certificate that is Cert_SHO[i]
 * (base64 lines joined, then decoded canonically and compared).
 */
static int check_key_info(xmlNodePtr ki, const uint8_t *root_der, size_t root_der_len)
{
	xmlNodePtr xd, c, n;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int r;
	if (ki->properties || (r = next_elem(ki->children, &xd)) < 0 || !xd || !is_dsig(xd, "X509Data") ||
	    xd->properties || (r = next_elem(xd->next, &n)) < 0 || n)
		return OM_EOBJ_STRUCTURE;
	if ((r = next_elem(xd->children, &c)) < 0 || !c || !is_dsig(c, "X509Certificate") || c->properties ||
	    (r = next_elem(c->next, &n)) < 0 || n)
		return OM_EOBJ_STRUCTURE;
	if (!c->children || c->children->next || c->children->type != XML_TEXT_NODE)
		return OM_EOBJ_STRUCTURE;
	const char *text = (const char *)c->children->content;
	size_t tl = strlen(text), o = 0;
	char *joined = malloc(tl + 1);
	if (!joined)
		return OM_ENOMEM;
	for (size_t i = 0; i < tl; i++)
		if (text[i] != '\n')
			joined[o++] = text[i];
	joined[o] = '\0';
	r = omo_b64_decode(joined, OMO_CERT_MAX, &der, &der_len);
	free(joined);
	if (r == 0 && (der_len != root_der_len || memcmp(der, root_der, der_len) != 0))
		r = OM_EOBJ_SIGNATURE; /* another signer's certificate */
	free(der);
	return r;
}

/*
 * The Object: only Id="cp", and its one element the wap-provisioningdoc
 * (no namespace, only version="1.1"); *cp_out is that element.
 */
static int check_object(xmlNodePtr obj, xmlNodePtr *cp_out)
{
	xmlAttrPtr a = obj->properties;
	xmlNodePtr cp, n;
	int r;
	if (!a || a->next || a->ns || !xmlStrEqual(a->name, BAD_CAST "Id") || !a->children || a->children->next ||
	    !xmlStrEqual(a->children->content, BAD_CAST OMO_OBJECT_ID))
		return OM_EOBJ_SIG_REFERENCE;
	if ((r = next_elem(obj->children, &cp)) < 0 || !cp || (r = next_elem(cp->next, &n)) < 0 || n)
		return r < 0 ? r : OM_EOBJ_STRUCTURE;
	if (cp->ns || cp->nsDef || !xmlStrEqual(cp->name, BAD_CAST "wap-provisioningdoc") || !cp->properties ||
	    cp->properties->next || !xmlStrEqual(cp->properties->name, BAD_CAST "version"))
		return OM_EOBJ_STRUCTURE;
	xmlChar *ver = xmlGetNoNsProp(cp, BAD_CAST "version");
	int ver_ok = ver && xmlStrEqual(ver, BAD_CAST "1.1");
	xmlFree(ver);
	if (!ver_ok)
		return OM_EOBJ_STRUCTURE;
	*cp_out = cp;
	return 0;
}

/*
 * The Signature's shape: root is ds:Signature with SignedInfo,
 * SignatureValue, an optional KeyInfo, then the one Object as its last
 * child. *obj_out is the Object, *cp_out the document inside it.
 */
static int check_signature(xmlNodePtr root, const char *sig_alg, const uint8_t *root_der, size_t root_der_len,
			   xmlNodePtr *obj_out, xmlNodePtr *cp_out)
{
	xmlNodePtr n, si;
	int r;
	/* the signature envelops the document: a bare or wrapped document is unsigned content */
	if (!is_dsig(root, "Signature") || count_signatures(root) != 1)
		return OM_EOBJ_SIG_PLACEMENT;
	if (root->properties || (r = next_elem(root->children, &si)) < 0)
		return OM_EOBJ_STRUCTURE;
	if (!si || !is_dsig(si, "SignedInfo"))
		return OM_EOBJ_STRUCTURE;
	if ((r = check_signed_info(si, sig_alg)) < 0)
		return r;
	if ((r = next_elem(si->next, &n)) < 0 || !n || !is_dsig(n, "SignatureValue"))
		return OM_EOBJ_STRUCTURE;
	if ((r = next_elem(n->next, &n)) < 0)
		return r;
	if (n && is_dsig(n, "KeyInfo")) {
		if ((r = check_key_info(n, root_der, root_der_len)) < 0 || (r = next_elem(n->next, &n)) < 0)
			return r;
	}
	/* exactly one Object, the last child, and one Id in the tree: no second copy to resolve */
	if (!n || !is_dsig(n, "Object"))
		return OM_EOBJ_SIG_PLACEMENT;
	xmlNodePtr obj = n;
	if ((r = next_elem(obj->next, &n)) < 0 || n)
		return r < 0 ? r : OM_EOBJ_SIG_PLACEMENT;
	if (count_ids(root) != 1)
		return OM_EOBJ_SIG_PLACEMENT;
	if ((r = check_object(obj, cp_out)) < 0)
		return r;
	*obj_out = obj;
	return 0;
}

/* The trust root's public key as an xmlsec key; NULL on failure. */
static xmlSecKeyPtr trust_key(X509 *root)
{
	EVP_PKEY *pub = X509_get0_pubkey(root);
	xmlSecKeyPtr key = xmlSecKeyCreate();
	xmlSecKeyDataPtr data = NULL;
	if (!key || !pub || EVP_PKEY_up_ref(pub) != 1)
		goto fail;
	data = xmlSecOpenSSLEvpKeyAdopt(pub);
	if (!data) {
		EVP_PKEY_free(pub);
		goto fail;
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		goto fail;
	}
	return key;
fail:
	if (key)
		xmlSecKeyDestroy(key);
	return NULL;
}

/* xmlsec's check of the digest and the SignatureValue, with our key only. */
static int dsig_verify(xmlNodePtr sig, X509 *root, xmlSecTransformId alg)
{
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	int r = OM_ENOMEM;
	if (!ctx)
		goto out;
	r = OM_ECRYPTO;
	if (!(ctx->signKey = trust_key(root)))
		goto out;
	/* the same allow-list as check_signature(), enforced again inside xmlsec */
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	if (xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha256Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx, alg) < 0)
		goto out;
	r = OM_EOBJ_SIGNATURE;
	if (xmlSecDSigCtxVerify(ctx, sig) < 0)
		goto out;
	if (ctx->status == xmlSecDSigStatusSucceeded) {
		r = 0;
		goto out;
	}
	/* tell "the content was altered" from "another key signed it" */
	for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&ctx->signedInfoReferences); i++) {
		xmlSecDSigReferenceCtxPtr rc = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
		if (rc && rc->status != xmlSecDSigStatusSucceeded)
			r = OM_EOBJ_DIGEST;
	}
out:
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	ERR_clear_error();
	return r;
}

int om_bootstrap_verify(const uint8_t *xml, size_t len, X509 *trust_root, struct om_bootstrap *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, obj = NULL, cp = NULL;
	unsigned char *root_der = NULL;
	int root_der_len = 0;
	int r;

	if (!out)
		return OM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!xml || !trust_root)
		return OM_EINVAL;
	int type = om_key_type_of(X509_get0_pubkey(trust_root));
	if (type != OM_KEY_EC_P256 && type != OM_KEY_RSA_2048)
		return OM_EPKI_KEY_TYPE;
	const char *alg_uri = type == OM_KEY_EC_P256 ? OMO_ALG_ECDSA_SHA256 : OMO_ALG_RSA_SHA256;
	xmlSecTransformId alg = type == OM_KEY_EC_P256 ? xmlSecOpenSSLTransformEcdsaSha256Id
						       : xmlSecOpenSSLTransformRsaSha256Id;
	if (len > OMO_DOC_MAX)
		return OM_EOBJ_TOO_LONG;
	if ((r = prescan(xml, len)) < 0)
		return r;
	if ((r = omo_xmlsec_init()) < 0)
		return r;
	/* no XML_PARSE_NOENT / DTDLOAD / DTDATTR: nothing is fetched or expanded */
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	r = OM_EOBJ_XML;
	if (!doc)
		goto out;
	r = OM_EOBJ_DTD;
	if (doc->intSubset || doc->extSubset)
		goto out;
	root = xmlDocGetRootElement(doc);
	r = OM_EOBJ_STRUCTURE;
	/* anything at document level besides the root (a PI) is refused */
	if (!root || doc->children != root || root->next)
		goto out;
	r = OM_ECRYPTO;
	root_der_len = i2d_X509(trust_root, &root_der);
	if (root_der_len <= 0)
		goto out;
	if ((r = only_elements_and_text(root)) < 0 ||
	    (r = check_signature(root, alg_uri, root_der, (size_t)root_der_len, &obj, &cp)) < 0)
		goto out;
	/* the Id is registered by us, on the one Object, before xmlsec resolves the Reference */
	xmlAttrPtr id = xmlHasProp(obj, BAD_CAST "Id");
	r = OM_ENOMEM;
	if (!id || !xmlAddID(NULL, doc, BAD_CAST OMO_OBJECT_ID, id))
		goto out;
	if ((r = dsig_verify(root, trust_root, alg)) < 0)
		goto out;
	/* what xmlsec digested is this Object (XSW: never a copy elsewhere) */
	r = OM_EOBJ_SIG_REFERENCE;
	xmlAttrPtr resolved = xmlGetID(doc, BAD_CAST OMO_OBJECT_ID);
	if (!resolved || resolved->parent != obj)
		goto out;
	r = omo_bootstrap_parse(cp, out);
out:
	if (r < 0)
		om_bootstrap_free(out);
	OPENSSL_free(root_der);
	xmlFreeDoc(doc);
	return r;
}

void om_bootstrap_free(struct om_bootstrap *b)
{
	if (!b)
		return;
	free(b->sho_cert);
	free(b->creds);
	free(b->signer_status);
	free(b->signer_issuer);
	memset(b, 0, sizeof(*b));
}
