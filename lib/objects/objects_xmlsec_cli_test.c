/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interop with the independent XML-DSig implementation, the xmlsec1 CLI
 * (Debian package xmlsec1): it accepts our signed bootstrap and refuses one
 * altered after signing; our verifier accepts a bootstrap that
 * `xmlsec1 --sign` made from a template following docs/formats.md, with EC
 * P-256 and RSA-2048 roots. And libwbxml2's tools (Debian libwbxml2-utils):
 * the wap-provisioningdoc inside a bootstrap the DRF's code signed is a
 * document `xml2wbxml -n` encodes as OMA CP (PROV) and `wbxml2xml` decodes
 * back to the same canonical XML.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <openmcim/bootstrap.h>

#include "objects_testkit.h"

extern char **environ;

static char dir[] = "/tmp/om-objects-XXXXXX";

/* Run argv quietly; its exit status, or -1 if it could not run. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *path(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(data, 1, len, f) == len);
		fclose(f);
	}
}

static void write_cert_and_key(struct tk_sho *sho)
{
	CHECK_INT(om_cert_save(path("sho.pem"), sho->cert), 0);
	CHECK_INT(om_key_save(path("sho.key"), sho->key), 0);
}

static struct om_bootstrap sample(X509 *next_root, uint8_t **der, size_t *der_len)
{
	static uint8_t creds[] = "OMPD\x01 PuK_TRE(credentials)";
	struct om_bootstrap b;
	memset(&b, 0, sizeof(b));
	strcpy(b.provurl, "https://dpf.sho2.example/dm");
	strcpy(b.server_id, "dpf.sho2.example");
	strcpy(b.apn, "m2m.sho2.example");
	b.sequence = 3;
	CHECK_INT(om_cert_encode(next_root, OM_ENC_DER, der, der_len), 0);
	b.sho_cert = *der;
	b.sho_cert_len = *der_len;
	b.creds = creds;
	b.creds_len = sizeof(creds) - 1;
	return b;
}

/*
 * The recipes of docs/formats.md ("Interop"), argument for argument, on a
 * bootstrap signed as the DRF signs it: by a SHO_SIGNING certificate that
 * the operator's root issued, so not self-signed.
 */
static void xmlsec1_accepts_ours_and_refuses_it_altered(enum om_key_type type)
{
	struct tk_sho sho;
	EVP_PKEY *key = NULL;
	uint8_t *der = NULL, *xml = NULL;
	size_t der_len = 0, len = 0;
	tk_sho_make(&sho, type, "SHO-1");
	X509 *signer = tk_sho_signer(&sho, type, &key);
	CHECK(signer != NULL);
	CHECK_INT(om_cert_save(path("sho-root.pem"), sho.cert), 0);
	CHECK_INT(om_cert_save(path("sho-signing.pem"), signer), 0);
	struct om_bootstrap b = sample(sho.cert, &der, &der_len);
	CHECK_INT(om_bootstrap_build_signed(&b, key, signer, &xml, &len), 0);
	write_file("bootstrap.xml", xml, len);
	CHECK(chdir(dir) == 0);
	/* the key alone, as a TRE holds it: nothing taken from KeyInfo */
	char *pinned[] = { "xmlsec1", "--verify", "--pubkey-cert-pem", "sho-signing.pem", "--enabled-key-data",
			   "rsa,ecdsa", "--enabled-reference-uris", "same-doc", "bootstrap.xml", NULL };
	CHECK_INT(run(pinned), 0);
	/* the certificate in KeyInfo, checked up to the operator's root */
	char *chain[] = { "xmlsec1", "--verify", "--trusted-pem", "sho-root.pem", "bootstrap.xml", NULL };
	CHECK_INT(run(chain), 0);
	/* what the old recipe said: the signing certificate is no trust anchor */
	char *old[] = { "xmlsec1", "--verify", "--trusted-pem", "sho-signing.pem", "bootstrap.xml", NULL };
	CHECK_INT(run(old), 1);
	char *at = strstr((char *)xml, "value=\"m2m.");
	CHECK(at != NULL);
	if (at) {
		at[7] = 'n';
		write_file("bootstrap.xml", xml, len);
		CHECK_INT(run(pinned), 1);
		CHECK_INT(run(chain), 1);
	}
	CHECK(chdir("/") == 0);
	unlink(path("bootstrap.xml"));
	unlink(path("sho-root.pem"));
	unlink(path("sho-signing.pem"));
	free(xml);
	om_pki_free(der, der_len);
	X509_free(signer);
	EVP_PKEY_free(key);
	tk_sho_free(&sho);
}

/* Our layout, unsigned, in the enveloping Signature template of docs/formats.md. */
static const char tmpl[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
	"  <ds:SignedInfo>\n"
	"    <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
	"    <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#%s\"/>\n"
	"    <ds:Reference URI=\"#cp\">\n"
	"      <ds:Transforms>\n"
	"        <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
	"      </ds:Transforms>\n"
	"      <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
	"      <ds:DigestValue/>\n"
	"    </ds:Reference>\n"
	"  </ds:SignedInfo>\n"
	"  <ds:SignatureValue/>\n"
	"  <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>\n"
	"  <ds:Object Id=\"cp\">\n"
	"    <wap-provisioningdoc version=\"1.1\">\n"
	"      <characteristic type=\"BOOTSTRAP\">\n"
	"        <parm name=\"NAME\" value=\"SHO-2 DPF\"/>\n"
	"        <parm name=\"PROVURL\" value=\"https://dpf.sho2.example/dm\"/>\n"
	"      </characteristic>\n"
	"      <characteristic type=\"NAPDEF\">\n"
	"        <parm name=\"NAPID\" value=\"openmcim-dpf\"/>\n"
	"        <parm name=\"BEARER\" value=\"GSM-GPRS\"/>\n"
	"        <parm name=\"NAME\" value=\"SHO-2 APN\"/>\n"
	"        <parm name=\"NAP-ADDRESS\" value=\"m2m.sho2.example\"/>\n"
	"        <parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>\n"
	"      </characteristic>\n"
	"      <characteristic type=\"APPLICATION\">\n"
	"        <parm name=\"APPID\" value=\"w7\"/>\n"
	"        <parm name=\"PROVIDER-ID\" value=\"dpf.sho2.example\"/>\n"
	"        <parm name=\"NAME\" value=\"SHO-2 DPF\"/>\n"
	"        <parm name=\"ADDR\" value=\"https://dpf.sho2.example/dm\"/>\n"
	"        <parm name=\"TO-NAPID\" value=\"openmcim-dpf\"/>\n"
	"        <characteristic type=\"APPAUTH\">\n"
	"          <parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>\n"
	"          <parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>\n"
	"        </characteristic>\n"
	"      </characteristic>\n"
	"      <characteristic type=\"VENDORCONFIG\">\n"
	"        <parm name=\"NAME\" value=\"openmcim-tr33812\"/>\n"
	"        <parm name=\"SHO-CERT\" value=\"MIIB\"/>\n"
	"        <parm name=\"DM-CREDENTIALS\" value=\"T01QRAE=\"/>\n"
	"        <parm name=\"SEQUENCE\" value=\"42\"/>\n"
	"      </characteristic>\n"
	"    </wap-provisioningdoc>\n"
	"  </ds:Object>\n"
	"</ds:Signature>\n";

static void ours_accepts_what_xmlsec1_signed(enum om_key_type type)
{
	struct tk_sho sho, other;
	char t[sizeof(tmpl) + 32], keycert[600];
	size_t len = 0;
	tk_sho_make(&sho, type, "SHO-1");
	tk_sho_make(&other, type, "SHO-9");
	write_cert_and_key(&sho);
	int n = snprintf(t, sizeof(t), tmpl, type == OM_KEY_EC_P256 ? "ecdsa-sha256" : "rsa-sha256");
	write_file("tmpl.xml", t, (size_t)n);
	snprintf(keycert, sizeof(keycert), "%s,%s", path("sho.key"), path("sho.pem"));
	char *sign[] = { "xmlsec1", "--sign", "--privkey-pem", keycert, "--output", path("theirs.xml"), path("tmpl.xml"),
			 NULL };
	CHECK_INT(run(sign), 0);
	uint8_t *xml = check_slurp(path("theirs.xml"), &len);
	CHECK(xml != NULL);
	if (xml) {
		struct om_bootstrap out;
		CHECK_INT(om_bootstrap_verify(xml, len, sho.cert, &out), 0);
		CHECK(strcmp(out.provurl, "https://dpf.sho2.example/dm") == 0 &&
		      strcmp(out.server_id, "dpf.sho2.example") == 0 && strcmp(out.apn, "m2m.sho2.example") == 0);
		CHECK_INT(out.sequence, 42);
		CHECK(out.sho_cert_len == 3 && out.creds_len == 5 && memcmp(out.creds, "OMPD\x01", 5) == 0);
		om_bootstrap_free(&out);
		CHECK_INT(om_bootstrap_verify(xml, len, other.cert, &out), OM_EOBJ_SIGNATURE);
		CHECK(out.sho_cert == NULL && out.provurl[0] == '\0');
		free(xml);
	}
	unlink(path("tmpl.xml"));
	unlink(path("theirs.xml"));
	unlink(path("sho.pem"));
	unlink(path("sho.key"));
	tk_sho_free(&sho);
	tk_sho_free(&other);
}

/* The exclusive canonical form of the XML file at p, blanks dropped; NULL if it does not parse. */
static char *canonical(const char *p)
{
	xmlChar *out = NULL;
	xmlDocPtr doc = xmlReadFile(p, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR);
	if (doc && xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &out) < 0)
		out = NULL;
	xmlFreeDoc(doc);
	char *r = out ? strdup((char *)out) : NULL;
	xmlFree(out);
	return r;
}

/*
 * The wap-provisioningdoc inside a bootstrap signed by the code, taken out
 * of the signed ds:Object with plain libxml2 (as a CP client unwraps it),
 * through xml2wbxml -n and back through wbxml2xml.
 */
static void libwbxml2_encodes_the_signed_document(void)
{
	struct tk_sho sho, next;
	EVP_PKEY *key = NULL;
	uint8_t *der = NULL, *xml = NULL;
	size_t der_len = 0, len = 0;
	tk_sho_make(&sho, OM_KEY_EC_P256, "SHO-1");
	tk_sho_make(&next, OM_KEY_EC_P256, "SHO-2");
	X509 *signer = tk_sho_signer(&sho, OM_KEY_EC_P256, &key);
	struct om_bootstrap b = sample(next.cert, &der, &der_len);
	CHECK_INT(om_bootstrap_build_signed(&b, key, signer, &xml, &len), 0);
	write_file("bootstrap.xml", xml, len);

	xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)len, NULL, "UTF-8", XML_PARSE_NONET);
	xmlXPathContextPtr x = doc ? xmlXPathNewContext(doc) : NULL;
	CHECK(x != NULL && xmlXPathRegisterNs(x, BAD_CAST "ds", BAD_CAST "http://www.w3.org/2000/09/xmldsig#") == 0);
	xmlXPathObjectPtr r = x ? xmlXPathEvalExpression(BAD_CAST "/ds:Signature/ds:Object/wap-provisioningdoc", x)
				: NULL;
	CHECK(r && r->nodesetval && r->nodesetval->nodeNr == 1);
	if (r && r->nodesetval && r->nodesetval->nodeNr == 1) {
		xmlDocPtr cp = xmlNewDoc(BAD_CAST "1.0");
		xmlDocSetRootElement(cp, xmlDocCopyNode(r->nodesetval->nodeTab[0], cp, 1));
		CHECK(xmlSaveFormatFileEnc(path("cp.xml"), cp, "UTF-8", 1) > 0);
		xmlFreeDoc(cp);
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(x);
	xmlFreeDoc(doc);

	char *enc[] = { "xml2wbxml", "-n", "-o", path("cp.wbxml"), path("cp.xml"), NULL };
	CHECK_INT(run(enc), 0);
	size_t wl = 0;
	uint8_t *w = check_slurp(path("cp.wbxml"), &wl);
	/* WBXML header: version 1.3, public id 0x0B (-//WAPFORUM//DTD PROV 1.0//EN), UTF-8, no string table */
	CHECK(w && wl > 8 && w[0] == 0x03 && w[1] == 0x0b && w[2] == 0x6a && w[3] == 0x00);
	free(w);
	char *dec[] = { "wbxml2xml", "-o", path("back.xml"), path("cp.wbxml"), NULL };
	CHECK_INT(run(dec), 0);
	char *c0 = canonical(path("cp.xml")), *c1 = canonical(path("back.xml"));
	CHECK(c0 && c1 && strstr(c0, "<characteristic type=\"APPAUTH\">") && strstr(c0, "name=\"BEARER\""));
	CHECK_MSG(c0 && c1 && strcmp(c0, c1) == 0, "round trip differs:\n%s\n%s", c0 ? c0 : "", c1 ? c1 : "");
	free(c0);
	free(c1);
	/* the tool refuses what CP has no place for: the envelope itself, a Signature inside the document */
	char *whole[] = { "xml2wbxml", "-n", "-o", path("cp.wbxml"), path("bootstrap.xml"), NULL };
	CHECK(run(whole) > 0);
	size_t cl = 0;
	char *cpx = (char *)check_slurp(path("cp.xml"), &cl), *at = cpx ? strstr(cpx, "<characteristic") : NULL;
	CHECK(at != NULL);
	if (at) {
		char bad[8192];
		snprintf(bad, sizeof(bad), "%.*s<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>%s",
			 (int)(at - cpx), cpx, at);
		write_file("bad.xml", bad, strlen(bad));
		char *e2[] = { "xml2wbxml", "-n", "-o", path("bad.wbxml"), path("bad.xml"), NULL };
		CHECK(run(e2) > 0);
	}
	free(cpx);
	const char *files[] = { "bootstrap.xml", "cp.xml", "cp.wbxml", "back.xml", "bad.xml", "bad.wbxml" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(path(files[i]));
	free(xml);
	om_pki_free(der, der_len);
	X509_free(signer);
	EVP_PKEY_free(key);
	tk_sho_free(&sho);
	tk_sho_free(&next);
}

int main(void)
{
	char *version[] = { "xmlsec1", "--version", NULL };
	if (run(version) != 0) {
		fprintf(stderr, "xmlsec1 not found: install the Debian package xmlsec1\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	xmlsec1_accepts_ours_and_refuses_it_altered(OM_KEY_EC_P256);
	xmlsec1_accepts_ours_and_refuses_it_altered(OM_KEY_RSA_2048);
	ours_accepts_what_xmlsec1_signed(OM_KEY_EC_P256);
	ours_accepts_what_xmlsec1_signed(OM_KEY_RSA_2048);
	char *wbxml[] = { "sh", "-c", "command -v xml2wbxml && command -v wbxml2xml", NULL };
	CHECK_MSG(run(wbxml) == 0, "xml2wbxml/wbxml2xml not found: install the Debian package libwbxml2-utils");
	libwbxml2_encodes_the_signed_document();
	CHECK_MSG(rmdir(dir) == 0, "temp dir left non-empty");
	return check_done();
}
