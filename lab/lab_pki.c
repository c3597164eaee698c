/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's keys and certificates (docs/lab.md "Topology", "PKI"). Three
 * kinds of trust meet here and are kept apart on purpose:
 *
 *   - the factory's CAs (om_factory_init_cas): the PVA's ROOT_CA issues
 *     every Cert_TRE, and the RO's SHO_SIGNING certificate is the Cert_SHO[0]
 *     every device pins;
 *   - each SHO's own SHO_SIGNING identity under its own root, as a real
 *     operator's would be: a device trusts it only through a bootstrap;
 *   - one lab TLS CA for every HTTPS server and client certificate of the
 *     operators (DRFs, owner APIs, operator identities, DPFs, the VNO's push
 *     endpoint), host "localhost": in the field each operator has its own,
 *     in the lab one CA keeps the agents' and owners' trust store one file;
 *   - one lab Diameter CA (pki/diameter/ca.pem) for S6a over TLS: each
 *     HSS and the VNO's MME get a certificate whose CN and DNS SAN are their
 *     Diameter identity, which the peers check (docs/s6a.md). Apart from the
 *     HTTPS CA, so that no web server's certificate opens S6a.
 */
#include <stdio.h>
#include <string.h>

#include <openmcim/pki.h>

#include "factory.h"
#include "lab_proc.h"

/*
 * A certificate of profile (CN cn, DNS SAN dns unless NULL) under ca: <stem>.pem and .key, on the
 * key in the file key_file, or on a fresh P-256 key when key_file is NULL.
 */
static int issue_on(struct om_ca *ca, enum om_cert_profile profile, const char *stem, const char *cn, const char *dns,
		    const char *key_file)
{
	EVP_PKEY *k = NULL;
	X509_REQ *csr = NULL;
	X509 *c = NULL;
	char p[LAB_PATH_MAX + 8];
	struct om_issue req = { .profile = profile, .cn = cn, .dns_name = dns };
	int rc = key_file ? om_key_load(&k, key_file) : om_key_generate(&k, OM_KEY_EC_P256);
	if (rc == 0)
		rc = om_csr_create(&csr, k, cn, NULL);
	if (rc == 0)
		rc = om_ca_issue(ca, csr, &req, &c);
	snprintf(p, sizeof(p), "%s.pem", stem);
	if (rc == 0)
		rc = om_cert_save(p, c);
	snprintf(p, sizeof(p), "%s.key", stem);
	if (rc == 0)
		rc = om_key_save(p, k);
	X509_free(c);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	return rc;
}

static int issue(struct om_ca *ca, enum om_cert_profile profile, const char *stem, const char *cn, const char *dns)
{
	return issue_on(ca, profile, stem, cn, dns, NULL);
}

/* A self-signed CA named cn: <stem>.pem and .key; the handle in *out. */
static int make_ca(const char *stem, const char *cn, struct om_ca **out)
{
	EVP_PKEY *k = NULL;
	char p[LAB_PATH_MAX + 8];
	int rc = om_key_generate(&k, OM_KEY_EC_P256);
	if (rc == 0)
		rc = om_ca_create(out, k, cn, 0, 0);
	snprintf(p, sizeof(p), "%s.pem", stem);
	if (rc == 0)
		rc = om_cert_save(p, om_ca_cert(*out));
	snprintf(p, sizeof(p), "%s.key", stem);
	if (rc == 0)
		rc = om_key_save(p, k);
	EVP_PKEY_free(k); /* the CA handle holds its own reference */
	return rc;
}

/* A leaf of profile (CN cn, DNS SAN dns) under the CA whose files are <ca_stem>.pem and .key: <stem>.pem/.key. */
static int issue_under(const char *ca_stem, enum om_cert_profile profile, const char *stem, const char *cn,
		       const char *dns)
{
	char p[LAB_PATH_MAX + 48];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	struct om_ca *ca = NULL;
	snprintf(p, sizeof(p), "%s.pem", ca_stem);
	int rc = om_cert_load(&cert, p);
	snprintf(p, sizeof(p), "%s.key", ca_stem);
	if (rc == 0)
		rc = om_key_load(&key, p);
	if (rc == 0)
		rc = om_ca_open(&ca, cert, key);
	if (rc == 0)
		rc = issue(ca, profile, stem, cn, dns);
	om_ca_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int lab_pki_tls_leaf(const char *ca_stem, const char *stem, const char *cn, const char *dns)
{
	return issue_under(ca_stem, OM_CERT_OPERATOR_TLS, stem, cn, dns);
}

/* The PVA's delegated OCSP signer (RFC 6960 4.2.2.2), issued by the factory's PVA CA. */
static int pva_responder(const struct lab *l)
{
	char ca[LAB_PATH_MAX + 40], stem[LAB_PATH_MAX + 40];
	snprintf(ca, sizeof(ca), "%s/pki/cas/pva-ca", l->dir);
	snprintf(stem, sizeof(stem), "%s/pki/pva-responder", l->dir);
	return issue_under(ca, OM_CERT_OCSP_RESPONDER, stem, "PVA-1 OCSP", NULL);
}

/* An SHO's signing identity: root "<id> root" (<stem>-root.pem) and SHO_SIGNING CN=id (<stem>-signing.pem/.key). */
static int sho_identity(const char *dir, const char *file_stem, const char *id)
{
	char stem[LAB_PATH_MAX + 40], cn[64];
	struct om_ca *root = NULL;
	snprintf(stem, sizeof(stem), "%s/pki/%s-root", dir, file_stem);
	snprintf(cn, sizeof(cn), "%s root", id);
	int rc = make_ca(stem, cn, &root);
	snprintf(stem, sizeof(stem), "%s/pki/%s-signing", dir, file_stem);
	if (rc == 0)
		rc = issue(root, OM_CERT_SHO_SIGNING, stem, id, NULL);
	om_ca_free(root);
	return rc;
}

/* Every OPERATOR_TLS leaf of the lab: the file stem under pki/tls/ is its CN. */
static const char *const tls_leaves[] = {
	"drf.ro.lab",	 "drf.sho-a.lab", "drf.sho-b.lab", "drf.sho-c.lab", /* DRF servers; their client identity to the VNO's push */
	"owners.sho-a.lab", "owners.sho-b.lab", "owners.sho-c.lab",       /* the registration services' owner APIs */
	"ro.lab",	 "sho-a.lab",	  "sho-b.lab", "sho-c.lab",       /* each operator towards other DRFs (SHO daemon and DPF) */
	"push.vno.lab",                                    /* the VNO's push endpoint */
};

/*
 * The DPFs' DM servers: each on its operator's SHO_SIGNING key, the key of the Cert_SHO[i+1]
 * a bootstrap gives the device, which authenticates the DPF by it (B.2.3.3; docs/agent.md
 * "Whom the device talks DM to"). The certificate itself is the lab TLS CA's, like every
 * other server's, so the owners' and operators' tools still check it the usual way.
 */
static const struct {
	const char *cn, *key; /* key: under <dir>/pki/ */
} dpf_leaves[] = {
	{ "dpf.ro.lab", "cas/ro-signing.key" },
	{ "dpf.sho-a.lab", "sho-a-signing.key" },
	{ "dpf.sho-b.lab", "sho-b-signing.key" },
	{ "dpf.sho-c.lab", "sho-c-signing.key" },
};

/* Every Diameter peer of the lab: its certificate's CN and DNS SAN are its Diameter identity. */
static const char *const diameter_peers[] = { "hss.ro.lab", "hss.sho-a.lab", "hss.sho-b.lab", "hss.sho-c.lab",
					       "mme.vno.lab" };

int lab_pki_diameter(const char *dir, const char *const *peers, size_t n, const char **step)
{
	char p[LAB_PATH_MAX + 40];
	struct om_ca *ca = NULL;
	snprintf(p, sizeof(p), "%s/pki/diameter", dir);
	*step = "Diameter directory";
	int rc = lab_mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/pki/diameter/ca", dir);
	if (rc == 0 && (*step = "lab Diameter CA"))
		rc = make_ca(p, "openmcim lab Diameter CA", &ca);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		*step = peers[i];
		snprintf(p, sizeof(p), "%s/pki/diameter/%s", dir, peers[i]);
		rc = issue(ca, OM_CERT_OPERATOR_TLS, p, peers[i], peers[i]);
	}
	om_ca_free(ca);
	return rc;
}

/* The lab Diameter CA and one certificate per peer: pki/diameter/<identity>.pem and .key. */
static int diameter_pki(const struct lab *l, const char **step)
{
	return lab_pki_diameter(l->dir, diameter_peers, sizeof(diameter_peers) / sizeof(diameter_peers[0]), step);
}

int lab_pki_make(struct lab *l, char *why, size_t why_len)
{
	char p[LAB_PATH_MAX + 40];
	struct om_ca *tls = NULL;
	const char *step = "factory CAs";
	snprintf(p, sizeof(p), "%s/pki", l->dir);
	int rc = lab_mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/pki/cas", l->dir);
	/* the RO's SHO_SIGNING certificate is Cert_SHO[0] of every device (B.2.2.1) */
	if (rc == 0)
		rc = om_factory_init_cas(p, "PVA-1", "RO");
	if (rc == 0 && (step = "PVA OCSP responder"))
		rc = pva_responder(l);
	if (rc == 0 && (step = "SHO-A signing identity"))
		rc = sho_identity(l->dir, "sho-a", "SHO-A");
	if (rc == 0 && (step = "SHO-B signing identity"))
		rc = sho_identity(l->dir, "sho-b", "SHO-B");
	if (rc == 0 && (step = "SHO-C signing identity"))
		rc = sho_identity(l->dir, "sho-c", "SHO-C");
	snprintf(p, sizeof(p), "%s/pki/tls", l->dir);
	if (rc == 0 && (step = "TLS directory"))
		rc = lab_mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/pki/tls/ca", l->dir);
	if (rc == 0 && (step = "lab TLS CA"))
		rc = make_ca(p, "openmcim lab TLS CA", &tls);
	for (size_t i = 0; rc == 0 && i < sizeof(tls_leaves) / sizeof(tls_leaves[0]); i++) {
		step = tls_leaves[i];
		snprintf(p, sizeof(p), "%s/pki/tls/%s", l->dir, tls_leaves[i]);
		rc = issue(tls, OM_CERT_OPERATOR_TLS, p, tls_leaves[i], "localhost");
	}
	for (size_t i = 0; rc == 0 && i < sizeof(dpf_leaves) / sizeof(dpf_leaves[0]); i++) {
		char key[LAB_PATH_MAX + 40];
		step = dpf_leaves[i].cn;
		snprintf(p, sizeof(p), "%s/pki/tls/%s", l->dir, dpf_leaves[i].cn);
		snprintf(key, sizeof(key), "%s/pki/%s", l->dir, dpf_leaves[i].key);
		rc = issue_on(tls, OM_CERT_OPERATOR_TLS, p, dpf_leaves[i].cn, "localhost", key);
	}
	om_ca_free(tls);
	if (rc == 0)
		rc = diameter_pki(l, &step);
	if (rc < 0) {
		snprintf(why, why_len, "PKI: %s: %s", step, om_strerror(rc));
		return OM_ELAB_SETUP;
	}
	snprintf(p, sizeof(p), "%s/pki/tls/ca.pem", l->dir);
	if (strlen(p) >= sizeof(l->tls_ca))
		return snprintf(why, why_len, "PKI: %s: path too long", p), OM_ELAB_SETUP;
	memcpy(l->tls_ca, p, strlen(p) + 1);
	return 0;
}

int lab_pki_operator(const char *dir, const char *stem, const char *id, const char **step)
{
	char ca[LAB_PATH_MAX + 40], leaf[LAB_PATH_MAX + 80], name[64];
	*step = "signing identity";
	int rc = sho_identity(dir, stem, id);
	snprintf(name, sizeof(name), "drf.%s.lab", stem);
	snprintf(ca, sizeof(ca), "%s/pki/tls/ca", dir);
	snprintf(leaf, sizeof(leaf), "%s/pki/tls/%s", dir, name);
	if (rc == 0 && (*step = "DRF TLS certificate"))
		rc = issue_under(ca, OM_CERT_OPERATOR_TLS, leaf, name, "localhost");
	snprintf(name, sizeof(name), "hss.%s.lab", stem);
	snprintf(ca, sizeof(ca), "%s/pki/diameter/ca", dir);
	snprintf(leaf, sizeof(leaf), "%s/pki/diameter/%s", dir, name);
	if (rc == 0 && (*step = "ICF Diameter certificate"))
		rc = issue_under(ca, OM_CERT_OPERATOR_TLS, leaf, name, name);
	return rc;
}
