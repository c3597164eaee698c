/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of dpf_testkit.h (a test kit compiled once, in libomtest). */
#include "dpf_testkit.h"
#include "pg_cluster.h"

int tk_parts_init(struct tk_parts *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/om-%s-XXXXXX", name);
	return mkdtemp(p->dir) ? 0 : -1;
}

const char *tk_at(struct tk_parts *p, const char *rel)
{
	snprintf(p->path, sizeof(p->path), "%s/%s", p->dir, rel);
	return p->path;
}

int tk_factory(struct tk_parts *p, const char *ro_id, int n, int with_run2)
{
	char why[256] = "";
	CHECK_INT(om_factory_init_cas(tk_at(p, "cas"), "Test PVA", ro_id), 0);
	CHECK_INT(om_cert_load(&p->pva_cert, tk_at(p, "cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&p->pva_key, tk_at(p, "cas/pva-ca.key")), 0);
	CHECK_INT(om_ca_open(&p->pva_ca, p->pva_cert, p->pva_key), 0);
	CHECK_INT(om_cert_load(&p->ro_cert, tk_at(p, "cas/ro-signing.pem")), 0);
	CHECK_INT(om_key_load(&p->ro_key, tk_at(p, "cas/ro-signing.key")), 0);
	struct om_factory_config fc = { .pva_ca = p->pva_ca, .ro_cert = p->ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = (size_t)n, .jobs = 1 };
	CHECK_INT(om_factory_run(tk_at(p, "run"), &fc, NULL), 0);
	if (with_run2) {
		fc.n_devices = 1;
		fc.msin_first = "0000000100";
		fc.tre_prefix = "TRX";
		fc.firmware = "1.0.1";
		CHECK_INT(om_factory_run(tk_at(p, "run2"), &fc, NULL), 0);
	}
	p->n_note = sho_note_read(tk_at(p, "run/owner/delivery-note.csv"), &p->note, why, sizeof(why));
	if (with_run2)
		p->n_note2 = sho_note_read(tk_at(p, "run2/owner/delivery-note.csv"), &p->note2, why, sizeof(why));
	int ok = p->n_note == n && p->n_note2 == (with_run2 ? 1 : 0);
	CHECK_MSG(ok, "%d %d: %s", p->n_note, p->n_note2, why);
	return ok ? 0 : -1;
}

void tk_tampered_import_dir(struct tk_parts *p)
{
	struct om_measurement m[OM_FACTORY_N_COMPONENTS];
	char refs[4096], devices[700];
	size_t n = 0, o = 0;
	CHECK_INT(mkdir(tk_at(p, "pva2"), 0700), 0);
	snprintf(devices, sizeof(devices), "%s", tk_at(p, "pva2/devices.csv"));
	char *text = (char *)check_slurp(tk_at(p, "run2/pva/devices.csv"), &n);
	CHECK(text != NULL);
	CHECK_INT(du_write_file(devices, text ? text : ""), 0);
	free(text);
	CHECK_INT(om_factory_measurements(OM_FACTORY_DEFAULT_MODEL, "1.0.0", m), OM_FACTORY_N_COMPONENTS);
	o += (size_t)snprintf(refs + o, sizeof(refs) - o, "model,firmware,component,sha256\n");
	for (int i = 0; i < OM_FACTORY_N_COMPONENTS; i++) {
		o += (size_t)snprintf(refs + o, sizeof(refs) - o, "%s,1.0.1,%s,", OM_FACTORY_DEFAULT_MODEL, m[i].name);
		for (int j = 0; j < 32; j++)
			o += (size_t)snprintf(refs + o, sizeof(refs) - o, "%02x", m[i].sha256[j]);
		o += (size_t)snprintf(refs + o, sizeof(refs) - o, "\n");
	}
	CHECK(o < sizeof(refs));
	CHECK_INT(du_write_file(tk_at(p, "pva2/reference-measurements.csv"), refs), 0);
}

void tk_pva_start(struct tk_parts *p, int with_run2)
{
	char why[256] = "", err[256] = "", ca[700], rc[700], rk[700];
	long nd = 0, nr = 0;
	CHECK_INT(pf_issue(p->pva_ca, OM_CERT_OCSP_RESPONDER, p->dir, "responder", "PVA OCSP", NULL), 0);
	if (with_run2)
		tk_tampered_import_dir(p);
	CHECK_INT(t_store_conf(p->dir, "pva.db", p->pva_db, sizeof(p->pva_db)), 0);
	snprintf(ca, sizeof(ca), "%s/cas/pva-ca.pem", p->dir);
	snprintf(rc, sizeof(rc), "%s/responder.pem", p->dir);
	snprintf(rk, sizeof(rk), "%s/responder.key", p->dir);
	struct pva_config pc = { .db_path = p->pva_db, .ca_cert = ca, .responder_cert = rc, .responder_key = rk };
	p->pva = pva_open(&pc, err, sizeof(err));
	CHECK_MSG(p->pva != NULL, "pva_open: %s", err);
	CHECK_INT(om_cert_load(&p->pva_responder, rc), 0);
	CHECK_MSG(pva_import_dir(p->pva, tk_at(p, "run/pva"), &nd, &nr, why, sizeof(why)) == 0, "%s", why);
	if (with_run2)
		CHECK_MSG(pva_import_dir(p->pva, tk_at(p, "pva2"), &nd, &nr, why, sizeof(why)) == 0, "%s", why);
	struct om_http_opts ho = { .port = 0 };
	CHECK_INT(om_http_server_new(&p->http, &ho, err, sizeof(err)), 0);
	CHECK_INT(pva_http_routes(p->http, p->pva), 0);
	CHECK_INT(om_http_server_start(p->http), 0);
	snprintf(p->ocsp_url, sizeof(p->ocsp_url), "http://127.0.0.1:%u/", (unsigned)om_http_server_port(p->http));
	snprintf(p->pva_url, sizeof(p->pva_url), "http://127.0.0.1:%u", (unsigned)om_http_server_port(p->http));
}

void tk_pva_unplug(struct tk_parts *p)
{
	om_http_server_free(p->http);
	p->http = NULL;
}

void tk_sho_start(struct tk_parts *p, int n_register)
{
	static const uint8_t op[16] = { 0xcd, 0xc2, 0x02, 0xd5, 0x12, 0x3e, 0x20, 0xf6,
					0x2b, 0x6d, 0x67, 0x6a, 0xc7, 0x2c, 0xb3, 0x18 };
	char why[256] = "", err[256] = "";
	struct sho_row_report *rep = calloc((size_t)n_register + 1, sizeof(*rep));
	CHECK_INT(t_store_conf(p->dir, "hss.db", p->hss_db, sizeof(p->hss_db)), 0);
	snprintf(p->sock, sizeof(p->sock), "%s/hss-sock/prov.sock", p->dir);
	struct hss_config hc = { .db_path = p->hss_db };
	p->hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(p->hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(p->hss, p->sock, err, sizeof(err)) == 0, "%s", err);
	pf_sho_make(&p->sho_b, "SHO-B");
	CHECK_INT(t_store_conf(p->dir, "sho.db", p->sho_db, sizeof(p->sho_db)), 0);
	struct sho_config cfg = {
		.db_path = p->sho_db, .sho_id = "SHO-B", .mcc = "001", .mnc = "02", .msin_first = "0000000001",
		.msin_last = "0000000099", .op = op, .apn = "internet.sho-b", .roaming = "any", .amf = { 0x80, 0x00 },
		.ind_bits = 5, .pva_ca = p->pva_cert, .ocsp_url = p->ocsp_url, .hss_socket = p->sock,
		.sign_key = p->sho_b.key, .sign_cert = p->sho_b.cert, .provurl = TK_SERVER,
		.server_id = "sho-b-dpf", .dpf_apn = "prov.sho-b",
	};
	CHECK_MSG(sho_open(&p->sho, &cfg, why, sizeof(why)) == 0, "sho_open: %s", why);
	CHECK_INT(sho_owner_add(p->sho, TK_OWNER, TK_SECRET), 0);
	CHECK(rep != NULL);
	if (rep)
		CHECK_INT(sho_register(p->sho, TK_OWNER, TK_SECRET, p->note, (size_t)n_register, 0, rep), 0);
	if (rep && p->n_note2)
		CHECK_INT(sho_register(p->sho, TK_OWNER, TK_SECRET, p->note2, (size_t)p->n_note2, 0, rep), 0);
	free(rep);
	/* SHO-B as its daemon serves the DPF: its own handle on its database, its internal socket */
	CHECK_MSG(sho_open(&p->sho_srv, &cfg, why, sizeof(why)) == 0, "sho_open: %s", why);
	snprintf(p->sho_sock, sizeof(p->sho_sock), "%s/sho/internal.sock", p->dir);
	CHECK_MSG(sho_internal_start(&p->sho_internal, p->sho_srv, p->sho_sock, why, sizeof(why)) == 0,
		  "sho internal: %s", why);
	p->sho_peer.path = p->sho_sock;
	p->sho_peer.timeout_ms = 5000;
}

void tk_drf_serve(struct tk_parts *p)
{
	char why[256] = "";
	/* its removals and suspensions reach SHO-B's HSS (drf_removals_run) */
	CHECK_INT(t_store_conf(p->dir, "drf-b.db", p->drf_b_db, sizeof(p->drf_b_db)), 0);
	struct drf_config rc = { .db_path = p->drf_b_db, .hss_socket = p->sock };
	CHECK_MSG(drf_open(&p->drf, &rc, why, sizeof(why)) == 0, "drf_open: %s", why);
	snprintf(p->drf_sock, sizeof(p->drf_sock), "%s/drf/admin.sock", p->dir);
	p->drf_admin.drf = p->drf;
	CHECK_MSG(drf_admin_start(&p->drf_admin, p->drf_sock, why, sizeof(why)) == 0, "drf admin: %s", why);
	p->drf_peer.path = p->drf_sock;
	p->drf_peer.timeout_ms = 5000;
}

void tk_dpf_open(struct tk_parts *p, int with_drf)
{
	char why[256] = "";
	CHECK_INT(t_store_conf(p->dir, "dpf.db", p->dpf_db, sizeof(p->dpf_db)), 0);
	if (with_drf)
		tk_drf_serve(p);
	p->pva_http.url = p->pva_url;
	p->pva_http.pva_key = X509_get0_pubkey(p->pva_responder);
	struct dpf_config dc = { .db_path = p->dpf_db, .sho = &p->sho_peer, .sign_key = p->sho_b.key, .pva = dpf_pva_http,
				 .pva_ctx = &p->pva_http, .drf = with_drf ? &p->drf_peer : NULL };
	CHECK_MSG(dpf_open(&p->dpf, &dc, why, sizeof(why)) == 0, "dpf_open: %s", why);
}

void tk_parts_free(struct tk_parts *p, int keep_dir)
{
	dpf_close(p->dpf);
	drf_admin_stop(&p->drf_admin);
	drf_close(p->drf);
	sho_internal_stop(&p->sho_internal);
	sho_close(p->sho_srv);
	sho_close(p->sho);
	if (p->hss)
		hss_provision_stop();
	hss_close(p->hss);
	om_http_server_free(p->http);
	pva_close(p->pva);
	sho_devices_free(p->note, (size_t)(p->n_note > 0 ? p->n_note : 0));
	sho_devices_free(p->note2, (size_t)(p->n_note2 > 0 ? p->n_note2 : 0));
	pf_sho_free(&p->sho_b);
	om_ca_free(p->pva_ca);
	X509_free(p->pva_cert);
	X509_free(p->pva_responder);
	X509_free(p->ro_cert);
	EVP_PKEY_free(p->pva_key);
	EVP_PKEY_free(p->ro_key);
	if (!keep_dir)
		kit_rm_rf(p->dir);
}

const char *tk_state_of(struct tk_parts *p, const char *tre_id)
{
	static struct sho_device_status st;
	return sho_status(p->sho, tre_id, &st) < 0 ? "?" : st.state;
}

void tk_handover_request(struct tk_parts *p, const char *tre_id, const char *code,
				       struct om_handover_req *r, uint8_t **req, size_t *req_len)
{
	uint8_t *signed_req = NULL;
	size_t rl = 0;
	memset(r, 0, sizeof(*r));
	CHECK_INT(sho_handover_request(p->sho, TK_OWNER, TK_SECRET, tre_id, code, &signed_req, &rl), 0);
	CHECK_INT(om_handover_verify(signed_req, rl, X509_get0_pubkey(p->sho_b.cert), r), 0);
	if (req) {
		*req = signed_req;
		*req_len = rl;
	} else {
		free(signed_req);
	}
}

void tk_handover_accepted(struct tk_parts *p, const char *tre_id, struct om_handover_req *r)
{
	tk_handover_request(p, tre_id, "C0DE-1234-1234-1234", r, NULL, NULL);
	CHECK_INT(sho_handover_answer(p->sho, tre_id, r->request_id, 1, NULL), 0);
}

struct om_tre *tk_tre_bootstrapped(struct tk_parts *p, const char *run, const char *tre_id,
						 uint8_t *creds, size_t creds_len)
{
	struct om_bootstrap b;
	struct om_tre *tre = NULL;
	uint8_t *xml = NULL, *cert_der = NULL;
	size_t xl = 0, cert_len = 0;
	char tre_dir[800];
	memset(&b, 0, sizeof(b));
	CHECK_INT(om_cert_encode(p->sho_b.cert, OM_ENC_DER, &cert_der, &cert_len), 0);
	b.sequence = 1;
	snprintf(b.provurl, sizeof(b.provurl), TK_SERVER);
	snprintf(b.server_id, sizeof(b.server_id), "sho-b-dpf");
	snprintf(b.apn, sizeof(b.apn), "prov.sho-b");
	b.sho_cert = cert_der;
	b.sho_cert_len = cert_len;
	b.creds = creds;
	b.creds_len = creds_len;
	CHECK_INT(om_bootstrap_build_signed(&b, p->ro_key, p->ro_cert, &xml, &xl), 0);
	snprintf(tre_dir, sizeof(tre_dir), "%s/%s/devices/%s", p->dir, run, tre_id);
	CHECK_INT(om_tre_open(&tre, tre_dir, 0), 0);
	CHECK_INT(om_tre_bootstrap(tre, xml, xl, time(NULL)), 0);
	free(xml);
	om_pki_free(cert_der, cert_len);
	return tre;
}

void tk_begin(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user)
{
	om_dm_msg_init(&d->msg, sid, msg_id, TK_SERVER, TK_DEVICE);
	d->msg.hdr.source_name = user;
	d->user = user;
}

uint32_t tk_package1(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user,
				   struct om_tre *tre, int cred_kind, int outcome)
{
	uint32_t alert = 0;
	int n = 0;
	tk_begin(d, sid, msg_id, user);
	d->tre = tre;
	d->authed = 0; /* package 1 authenticates by its Cred, not an HMAC */
	if (outcome) {
		n = om_tre_outcome(tre, outcome, time(NULL), d->stmt, sizeof(d->stmt));
		CHECK_MSG(n > 0, "om_tre_outcome: %s", om_errname(n));
	}
	if (cred_kind == 1)
		CHECK_INT(om_tre_dm_digest(tre, d->nonce, d->nonce_len, d->cred), 0);
	if (cred_kind == 2)
		CHECK_INT(om_dm_md5_cred(user, "guessed-password", d->nonce, d->nonce_len, d->cred), 0);
	if (cred_kind) {
		d->msg.hdr.cred = OM_DM_AUTH_MD5;
		d->msg.hdr.cred_data = d->cred;
	}
	agent_dm_package1(&d->msg, TK_DEVICE, outcome ? d->stmt : NULL, n > 0 ? (size_t)n : 0, &alert);
	return alert;
}

void tk_package3(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user, uint32_t srv_msg,
			       uint32_t get_cmd, const uint8_t *obj, size_t len)
{
	tk_begin(d, sid, msg_id, user);
	(void)agent_dm_package3(&d->msg, srv_msg, get_cmd, obj, len);
}

void tk_install_status(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user,
				     uint32_t rep_msg, uint32_t rep_cmd, unsigned code)
{
	tk_begin(d, sid, msg_id, user);
	agent_dm_install_status(&d->msg, rep_msg, rep_cmd, code);
}

int tk_encode(struct tk_dm *d, uint8_t *wire, size_t *wire_len)
{
	int n = om_dm_encode(&d->msg, d->buf, sizeof(d->buf));
	CHECK(n > 0);
	d->hmac[0] = '\0';
	if (n > 0 && d->authed && d->tre)
		CHECK(agent_dm_hmac(d->tre, d->user, d->nonce, d->nonce_len, d->buf, (size_t)n, d->hmac,
				    sizeof(d->hmac)) > 0);
	if (n > 0 && wire) {
		memcpy(wire, d->buf, (size_t)n);
		*wire_len = (size_t)n;
	}
	return n;
}

int tk_answer(struct tk_dm *d, const uint8_t *ans, size_t len)
{
	int rc = om_dm_parse(ans, len, &d->got);
	CHECK_INT(rc, 0);
	if (rc == 0 && tk_hdr_status(&d->got) == OM_DM_STATUS_AUTH_ACCEPTED)
		d->authed = 1;
	if (rc == 0 && d->got.n_cmds > 0 && d->got.cmds[0].next_nonce_len > 0 &&
	    d->got.cmds[0].next_nonce_len <= sizeof(d->nonce)) {
		memcpy(d->nonce, d->got.cmds[0].next_nonce, d->got.cmds[0].next_nonce_len);
		d->nonce_len = d->got.cmds[0].next_nonce_len;
	}
	return rc;
}

unsigned tk_hdr_status(const struct om_dm_msg *got)
{
	const struct om_dm_cmd *c = &got->cmds[0];
	if (got->n_cmds < 1 || c->type != OM_DM_CMD_STATUS || !c->ref_cmd || strcmp(c->ref_cmd, "SyncHdr"))
		return 0;
	return c->code;
}

const struct om_dm_cmd *tk_find(const struct om_dm_msg *got, enum om_dm_cmd_type t)
{
	for (size_t i = 0; i < got->n_cmds; i++)
		if (got->cmds[i].type == t)
			return &got->cmds[i];
	return NULL;
}

unsigned tk_status_for(const struct om_dm_msg *got, uint32_t cmd_id)
{
	for (size_t i = 0; i < got->n_cmds; i++)
		if (got->cmds[i].type == OM_DM_CMD_STATUS && got->cmds[i].cmd_ref == cmd_id && got->cmds[i].ref_cmd &&
		    strcmp(got->cmds[i].ref_cmd, "SyncHdr"))
			return got->cmds[i].code;
	return 0;
}
