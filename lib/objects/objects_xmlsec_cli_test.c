/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interop with the independent XML-DSig implementation, the xmlsec1 CLI
 * (Debian package xmlsec1): it accepts our signed bootstrap and refuses one
 * altered after signing; our verifier accepts a bootstrap that
 * `xmlsec1 --sign` made from a template following docs/formats.md, with EC
 * P-256 and RSA-2048 roots.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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
			   "rsa,ecdsa", "--enabled-reference-uris", "empty", "bootstrap.xml", NULL };
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

/* Our layout, unsigned, with the Signature template of docs/formats.md. */
static const char tmpl[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<wap-provisioningdoc version=\"1.1\">\n"
	"  <characteristic type=\"BOOTSTRAP\">\n"
	"    <parm name=\"NAME\" value=\"SHO-2 DPF\"/>\n"
	"    <parm name=\"PROVURL\" value=\"https://dpf.sho2.example/dm\"/>\n"
	"  </characteristic>\n"
	"  <characteristic type=\"NAPDEF\">\n"
	"    <parm name=\"NAPID\" value=\"openmcim-dpf\"/>\n"
	"    <parm name=\"NAME\" value=\"SHO-2 APN\"/>\n"
	"    <parm name=\"NAP-ADDRESS\" value=\"m2m.sho2.example\"/>\n"
	"    <parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>\n"
	"  </characteristic>\n"
	"  <characteristic type=\"APPLICATION\">\n"
	"    <parm name=\"APPID\" value=\"w7\"/>\n"
	"    <parm name=\"PROVIDER-ID\" value=\"dpf.sho2.example\"/>\n"
	"    <parm name=\"NAME\" value=\"SHO-2 DPF\"/>\n"
	"    <parm name=\"ADDR\" value=\"https://dpf.sho2.example/dm\"/>\n"
	"    <parm name=\"TO-NAPID\" value=\"openmcim-dpf\"/>\n"
	"  </characteristic>\n"
	"  <characteristic type=\"VENDORCONFIG\">\n"
	"    <parm name=\"NAME\" value=\"openmcim-tr33812\"/>\n"
	"    <parm name=\"SHO-CERT\" value=\"MIIB\"/>\n"
	"    <parm name=\"DM-CREDENTIALS\" value=\"T01QRAE=\"/>\n"
	"    <parm name=\"SEQUENCE\" value=\"42\"/>\n"
	"  </characteristic>\n"
	"  <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">\n"
	"    <SignedInfo>\n"
	"      <CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
	"      <SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#%s\"/>\n"
	"      <Reference URI=\"\">\n"
	"        <Transforms>\n"
	"          <Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n"
	"          <Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
	"        </Transforms>\n"
	"        <DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
	"        <DigestValue/>\n"
	"      </Reference>\n"
	"    </SignedInfo>\n"
	"    <SignatureValue/>\n"
	"    <KeyInfo><X509Data/></KeyInfo>\n"
	"  </Signature>\n"
	"</wap-provisioningdoc>\n";

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
	CHECK_MSG(rmdir(dir) == 0, "temp dir left non-empty");
	return check_done();
}
