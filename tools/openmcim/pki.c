/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim pki: an operator's own certificates in the profiles the daemons
 * check (docs/pki.md "Profiles"), for the deployment of docs/operate.md
 * "One operator from scratch". Two verbs:
 *
 *   ca    a self-signed ROOT_CA (an operator's TLS CA, a Diameter CA);
 *   issue a leaf of one profile under a CA, on a fresh P-256 key or on an
 *         existing key (the DPF's DM certificate sits on the SHO_SIGNING key,
 *         which the device pins: docs/pki.md "Key pins").
 *
 * Everything is lib/pki's (om_ca_create, om_ca_issue): the same code the
 * factory and the lab use, so a certificate made here fits exactly the
 * checks the daemons make at start. Keys are PKCS#8 PEM, mode 0600.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openmcim/err.h>
#include <openmcim/pki.h>

#include "commands.h"

#define PKI_PATH_MAX 4096

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim pki ca --out STEM --cn NAME\n"
		   "       openmcim pki issue --ca STEM --profile PROFILE --cn NAME --out STEM\n"
		   "                          [--dns NAME] [--key FILE]\n"
		   "\n"
		   "ca writes a self-signed ROOT_CA: STEM.pem and STEM.key (EC P-256, 0600).\n"
		   "issue writes STEM.pem (and STEM.key unless --key) under the CA STEM.pem/STEM.key:\n"
		   "  --profile  sho-signing | operator-tls | ocsp-responder (docs/pki.md \"Profiles\")\n"
		   "  --cn       the subject's identity (an SHO_id, a Diameter identity, a host name)\n"
		   "  --dns      operator-tls only: the one DNS subjectAltName\n"
		   "  --key      certify this existing PKCS#8 key instead of a new one\n"
		   "A file that exists already is never overwritten.\n");
}

static const struct {
	const char *name;
	enum om_cert_profile profile;
} profiles[] = {
	{ "sho-signing", OM_CERT_SHO_SIGNING },
	{ "operator-tls", OM_CERT_OPERATOR_TLS },
	{ "ocsp-responder", OM_CERT_OCSP_RESPONDER },
};

struct args {
	const char *out, *cn, *ca, *profile, *dns, *key;
};

/* --name VALUE pairs into a; CLI_EUSAGE with a message for anything else. */
static int parse(int argc, char **argv, struct args *a)
{
	static const char *const names[] = { "--out", "--cn", "--ca", "--profile", "--dns", "--key" };
	const char **slots[] = { &a->out, &a->cn, &a->ca, &a->profile, &a->dns, &a->key };
	for (int i = 2; i < argc; i += 2) {
		size_t k = 0;
		while (k < 6 && strcmp(argv[i], names[k]))
			k++;
		if (k == 6 || i + 1 >= argc || *slots[k]) {
			fprintf(stderr, "openmcim pki: %s: %s\n", argv[i],
				k == 6 ? "unknown option" : i + 1 >= argc ? "needs a value" : "given twice");
			return CLI_EUSAGE;
		}
		*slots[k] = argv[i + 1];
	}
	return 0;
}

/* 0 if neither STEM.pem nor (with key) STEM.key exists, else a message and 1. */
static int fresh(const char *stem, int key)
{
	char p[PKI_PATH_MAX];
	struct stat st;
	for (int i = 0; i < 1 + key; i++) {
		snprintf(p, sizeof(p), "%s.%s", stem, i ? "key" : "pem");
		if (stat(p, &st) == 0) {
			fprintf(stderr, "openmcim pki: %s exists: not overwritten\n", p);
			return 1;
		}
	}
	return 0;
}

static int save(const char *stem, const X509 *cert, const EVP_PKEY *key)
{
	char p[PKI_PATH_MAX];
	snprintf(p, sizeof(p), "%s.pem", stem);
	int rc = om_cert_save(p, cert);
	if (rc == 0 && key) {
		snprintf(p, sizeof(p), "%s.key", stem);
		rc = om_key_save(p, key);
	}
	if (rc < 0)
		fprintf(stderr, "openmcim pki: %s: %s\n", p, om_strerror(rc));
	return rc;
}

static int make_ca(const struct args *a)
{
	if (!a->out || !a->cn || a->ca || a->profile || a->dns || a->key) {
		fprintf(stderr, "openmcim pki ca: --out and --cn, nothing else\n");
		return CLI_EUSAGE;
	}
	if (fresh(a->out, 1))
		return 1;
	EVP_PKEY *k = NULL;
	struct om_ca *ca = NULL;
	int rc = om_key_generate(&k, OM_KEY_EC_P256);
	if (rc == 0)
		rc = om_ca_create(&ca, k, a->cn, 0, 0);
	if (rc == 0)
		rc = save(a->out, om_ca_cert(ca), k);
	else
		fprintf(stderr, "openmcim pki ca: %s: %s\n", a->cn, om_strerror(rc));
	om_ca_free(ca);
	EVP_PKEY_free(k);
	return rc < 0;
}

static int issue(const struct args *a)
{
	size_t p = 0;
	while (a->profile && p < sizeof(profiles) / sizeof(profiles[0]) && strcmp(a->profile, profiles[p].name))
		p++;
	if (!a->out || !a->cn || !a->ca || !a->profile || p == sizeof(profiles) / sizeof(profiles[0]) ||
	    (a->dns && profiles[p].profile != OM_CERT_OPERATOR_TLS)) {
		fprintf(stderr, "openmcim pki issue: --ca, --profile (sho-signing, operator-tls, ocsp-responder), "
				"--cn and --out; --dns only for operator-tls\n");
		return CLI_EUSAGE;
	}
	if (fresh(a->out, !a->key))
		return 1;
	char cp[PKI_PATH_MAX], kp[PKI_PATH_MAX];
	const char *step = cp;
	X509 *ca_cert = NULL, *c = NULL;
	EVP_PKEY *ca_key = NULL, *k = NULL;
	X509_REQ *csr = NULL;
	struct om_ca *ca = NULL;
	snprintf(cp, sizeof(cp), "%s.pem", a->ca);
	snprintf(kp, sizeof(kp), "%s.key", a->ca);
	int rc = om_cert_load(&ca_cert, cp);
	if (rc == 0 && (step = kp))
		rc = om_key_load(&ca_key, kp);
	if (rc == 0 && (step = a->ca))
		rc = om_ca_open(&ca, ca_cert, ca_key);
	if (rc == 0 && (step = a->key ? a->key : "new key"))
		rc = a->key ? om_key_load(&k, a->key) : om_key_generate(&k, OM_KEY_EC_P256);
	struct om_issue req = { .profile = profiles[p].profile, .cn = a->cn, .dns_name = a->dns };
	if (rc == 0 && (step = a->cn))
		rc = om_csr_create(&csr, k, a->cn, NULL);
	if (rc == 0)
		rc = om_ca_issue(ca, csr, &req, &c);
	if (rc < 0)
		fprintf(stderr, "openmcim pki issue: %s: %s\n", step, om_strerror(rc));
	else
		rc = save(a->out, c, a->key ? NULL : k);
	X509_free(c);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	om_ca_free(ca);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return rc < 0;
}

int cmd_pki(int argc, char **argv)
{
	struct args a = { 0 };
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "ca") && strcmp(argv[1], "issue"))) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	int rc = parse(argc, argv, &a);
	if (rc)
		return rc;
	return !strcmp(argv[1], "ca") ? make_ca(&a) : issue(&a);
}
