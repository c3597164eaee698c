/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner as a user acts (lab_topology.h): HTTPS calls to the
 * registration services with libcurl, HTTP Basic inside TLS verified against
 * the lab TLS CA with host "localhost" (docs/sho.md "Daemon"); the transfer
 * code the current operator hands out of band; and the devices' agent
 * configurations. Every function here may run from several threads: each
 * call takes a curl handle of its own from the owner's kept ones.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <openmcim/buf.h>

#include "admin_call.h"
#include "curl_call.h"
#include "drf.h"
#include "lab_proc.h"

#define OWNER_TIMEOUT_S 30
#define REGISTER_TIMEOUT_S 600 /* a chunk of LAB_REGISTER_CHUNK devices: an OCSP check and an HSS write each */

static const struct lab_priv *pv(const struct lab *l)
{
	return l->priv;
}

/* A buffer's text ("" while nothing came). */
static const char *text_of(const struct om_buf *b)
{
	return b->p ? (const char *)b->p : "";
}

/*
 * The owner's kept connections (issue 14): a handle returned after a call
 * keeps its connection to the registration service for the next call, as
 * any HTTP client of an owner's would, instead of a TLS handshake per call.
 */
#define OWNER_LINKS_MAX 32
struct lab_owner_links {
	CURL *idle[OWNER_LINKS_MAX];
	unsigned n;
};
static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;

static CURL *link_take(struct lab *l)
{
	struct lab_priv *p = l->priv;
	CURL *c = NULL;
	pthread_mutex_lock(&links_lock);
	if (p->owner_links && p->owner_links->n)
		c = p->owner_links->idle[--p->owner_links->n];
	pthread_mutex_unlock(&links_lock);
	if (!c)
		return curl_easy_init();
	curl_easy_reset(c); /* every option back to its default; the connection stays */
	return c;
}

static void link_give(struct lab *l, CURL *c)
{
	struct lab_priv *p = l->priv;
	pthread_mutex_lock(&links_lock);
	if (!p->owner_links)
		p->owner_links = calloc(1, sizeof(*p->owner_links));
	if (p->owner_links && p->owner_links->n < OWNER_LINKS_MAX) {
		/* the secret is set again on each call: none stays in a handle that waits */
		curl_easy_setopt(c, CURLOPT_PASSWORD, "");
		p->owner_links->idle[p->owner_links->n++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&links_lock);
	curl_easy_cleanup(c);
}

void lab_owner_links_free(struct lab *l)
{
	struct lab_priv *p = l->priv;
	if (!p || !p->owner_links)
		return;
	for (unsigned i = 0; i < p->owner_links->n; i++)
		curl_easy_cleanup(p->owner_links->idle[i]);
	free(p->owner_links);
	p->owner_links = NULL;
}

/*
 * One owner call to op's registration service: method and path, body (may
 * be NULL). The answer into *ans (om_buf_free it). Returns the HTTP status, or
 * OM_ELAB_OWNER with curl's reason in ans.
 */
static int owner_call(struct lab *l, enum lab_op op, const char *method, const char *path, const char *body,
		      size_t body_len, long timeout_s, struct om_buf *ans)
{
	char url[128], resolve[64];
	uint16_t port = lab_sho_port(l, op);
	struct curl_slist *res = NULL;
	*ans = (struct om_buf)OM_BUF_INIT(0);
	if (op == LAB_RO || (unsigned)op >= LAB_N_OPS) {
		om_buf_put(ans, "the RO runs no registration service", 35);
		return OM_ELAB_OWNER;
	}
	CURL *c = link_take(l);
	if (!c) {
		om_buf_put(ans, "curl_easy_init failed", 21);
		return OM_ELAB_OWNER;
	}
	snprintf(url, sizeof(url), "https://localhost:%u%s", port, path);
	/* the certificate names "localhost"; the service listens on 127.0.0.1 only, never ::1 */
	snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", port);
	res = curl_slist_append(NULL, resolve);
	/* a change carries a type no form can send (docs/sho.md): the note as text/csv, a code as bytes */
	struct curl_slist *hdr = curl_slist_append(
		NULL, !strncmp(path, "/handover/", 10) ? "Content-Type: application/octet-stream" : "Content-Type: text/csv");
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_CAINFO, l->tls_ca);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, LAB_OWNER);
	curl_easy_setopt(c, CURLOPT_PASSWORD, pv(l)->owner_secret);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	struct om_curl_call k = { .url = url, .method = method, .headers = hdr, .body = body, .len = body ? body_len : 0,
				  .timeout_ms = timeout_s * 1000, .answer = ans };
	char why[256];
	int rc = om_curl_call(c, &k, why, sizeof(why));
	curl_easy_setopt(c, CURLOPT_RESOLVE, NULL);
	link_give(l, c);
	curl_slist_free_all(res);
	curl_slist_free_all(hdr);
	if (rc < 0) {
		om_buf_free(ans);
		om_buf_puts(ans, why);
		return OM_ELAB_OWNER;
	}
	om_buf_put(ans, "", 0); /* a text even when no body came */
	return ans->err ? OM_ELAB_OWNER : (int)k.status;
}

/* ---- registration --------------------------------------------------------- */

static int cmp_id(const void *key, const void *elem)
{
	return strcmp(key, elem);
}

/* Index of tre_id among the lab's devices, or -1. */
static long device_index(const struct lab *l, const char *tre_id)
{
	size_t total = (size_t)l->n_devices + l->n_tampered;
	if (pv(l)->ids_sorted) {
		const char(*hit)[OM_TRE_ID_MAX + 1] = bsearch(tre_id, l->tre_ids, total, sizeof(l->tre_ids[0]), cmp_id);
		return hit ? (long)(hit - l->tre_ids) : -1;
	}
	for (size_t i = 0; i < total; i++)
		if (!strcmp(l->tre_ids[i], tre_id))
			return (long)i;
	return -1;
}

/* The count of rows registered or unchanged in a register answer (tre_id,result,imsi_or_reason). */
static int count_ok(const char *csv, char *first_bad, size_t cap)
{
	int n = 0;
	for (const char *s = csv; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		const char *c = strchr(s, ',');
		const char *nl = strchr(s, '\n');
		if (!c || (nl && c > nl))
			continue;
		if (!strncmp(c, ",registered,", 12) || !strncmp(c, ",unchanged,", 11))
			n++;
		else if (!strncmp(c, ",refused,", 9) && first_bad && !*first_bad)
			snprintf(first_bad, cap, "%.*s", (int)(nl ? nl - s : (long)strlen(s)), s);
	}
	return n;
}

int lab_register_csv(struct lab *l, enum lab_op op, const char *csv, size_t len, char *why, size_t why_len)
{
	struct om_buf ans;
	int st = owner_call(l, op, "POST", "/register", csv, len, REGISTER_TIMEOUT_S, &ans);
	char bad[200] = "";
	int ok = st == 200 || st == 422 ? count_ok(text_of(&ans), bad, sizeof(bad)) : 0;
	if (st != 200) {
		snprintf(why, why_len, "register at %s: %s%d: %.160s", lab_op_id(op), st < 0 ? "no answer " : "HTTP ",
			 st < 0 ? 0 : st, *bad ? bad : text_of(&ans));
		om_buf_free(&ans);
		return OM_ELAB_OWNER;
	}
	om_buf_free(&ans);
	return ok;
}

int lab_register(struct lab *l, enum lab_op op, enum lab_op from_op, const char *const *tre_ids, size_t n, char *why,
		 size_t why_len)
{
	size_t total = tre_ids ? n : (size_t)l->n_devices + l->n_tampered;
	const char *from = lab_op_id(from_op);
	int registered = 0;
	for (size_t start = 0; start < total; start += LAB_REGISTER_CHUNK) {
		size_t end = start + LAB_REGISTER_CHUNK < total ? start + LAB_REGISTER_CHUNK : total;
		struct om_buf note = OM_BUF_INIT(0);
		static const char header[] = "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret,model\n";
		om_buf_put(&note, header, sizeof(header) - 1);
		for (size_t i = start; i < end; i++) {
			long k = tre_ids ? device_index(l, tre_ids[i]) : (long)i;
			if (k < 0) {
				om_buf_free(&note); /* wiped: the owner claims */
				snprintf(why, why_len, "register: %s is not a device of the lab", tre_ids[i]);
				return OM_ELAB_OWNER;
			}
			const char *head = pv(l)->note[k].head;
			om_buf_put(&note, head, strlen(head));
			om_buf_put(&note, ",", 1);
			om_buf_put(&note, from, strlen(from));
			om_buf_put(&note, ",", 1);
			om_buf_put(&note, pv(l)->note[k].claim, strlen(pv(l)->note[k].claim));
			om_buf_put(&note, ",", 1); /* the factory's model: the owner's filter (docs/owner.md) */
			om_buf_put(&note, pv(l)->note[k].model, strlen(pv(l)->note[k].model));
			om_buf_put(&note, "\n", 1);
		}
		if (note.err) {
			om_buf_free(&note);
			snprintf(why, why_len, "register: out of memory");
			return OM_ELAB_OWNER;
		}
		int ok = lab_register_csv(l, op, text_of(&note), note.len, why, why_len);
		om_buf_free(&note); /* wiped: the owner claims */
		if (ok < 0)
			return ok;
		registered += ok;
	}
	return registered;
}

/* ---- handover and status -------------------------------------------------- */

/* The data line of an admin answer (one line: the code), cleansed by the caller. */
static void keep_line(void *ctx, const char *line)
{
	snprintf(ctx, DRF_CODE_TEXT_LEN + 1, "%s", line);
}

int lab_transfer_code(struct lab *l, enum lab_op from_op, const char *tre_id, char code[32])
{
	char sock[LAB_PATH_MAX + 40];
	if ((unsigned)from_op >= LAB_N_OPS)
		return OM_ELAB_OWNER;
	snprintf(sock, sizeof(sock), "%s/%s/admin.sock", l->dir, lab_daemon_name(lab_op_drf(from_op)));
	return lab_transfer_code_at(sock, tre_id, code);
}

int lab_transfer_code_at(const char *sock, const char *tre_id, char code[32])
{
	char line[OM_TRE_ID_MAX + 64], why[OM_ADMIN_REASON_MAX + 1];
	/* what `openmcim drf-admin transfer-code` does: the running DRF's admin socket, never its register's file */
	snprintf(line, sizeof(line), "transfer-code %s %d\n", tre_id, DRF_CODE_VALID_DEFAULT);
	struct om_admin_peer p = { .path = sock, .timeout_ms = 10000 };
	char text[DRF_CODE_TEXT_LEN + 1] = "";
	int rc = om_admin_peer_call(&p, line, keep_line, text, why, sizeof(why));
	/* "too many connections: retry later" (this process's calls at once over the socket's per-peer bound) */
	for (int again = 0; rc == OM_EUNAVAILABLE && again < 20; again++) {
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		rc = om_admin_peer_call(&p, line, keep_line, text, why, sizeof(why));
	}
	if (rc == 0 && strlen(text) != DRF_CODE_TEXT_LEN)
		rc = OM_EPROTO;
	if (rc == 0)
		snprintf(code, 32, "%s", text);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int lab_handover(struct lab *l, enum lab_op op, const char *tre_id, const char *code, char *answer, size_t cap)
{
	char path[OM_TRE_ID_MAX + 16];
	struct om_buf ans;
	snprintf(path, sizeof(path), "/handover/%s", tre_id);
	int st = owner_call(l, op, "POST", path, code, strlen(code), OWNER_TIMEOUT_S, &ans);
	/*
	 * 503 OM_ESHO_BUSY: every place for a secret check was taken (docs/sho.md),
	 * nothing done; the answer's Retry-After is 1 s. A client that waits and
	 * asks again, as an owner's would, a few times.
	 */
	for (int again = 0; st == 503 && strstr(text_of(&ans), "OM_ESHO_BUSY") && again < 5; again++) {
		om_buf_free(&ans);
		nanosleep(&(struct timespec){ 1, 0 }, NULL);
		st = owner_call(l, op, "POST", path, code, strlen(code), OWNER_TIMEOUT_S, &ans);
	}
	if (answer && cap)
		snprintf(answer, cap, "%s", text_of(&ans));
	om_buf_free(&ans);
	return st;
}

int lab_status(struct lab *l, enum lab_op op, const char *tre_id, char *state, size_t cap)
{
	return lab_status_field(l, op, tre_id, "state", state, cap);
}

int lab_status_field(struct lab *l, enum lab_op op, const char *tre_id, const char *key, char *out, size_t cap)
{
	char path[OM_TRE_ID_MAX + 16], needle[32];
	char *state = out;
	struct om_buf ans;
	snprintf(path, sizeof(path), "/status/%s", tre_id);
	snprintf(needle, sizeof(needle), "%s=", key);
	int st = owner_call(l, op, "GET", path, NULL, 0, OWNER_TIMEOUT_S, &ans);
	int rc = OM_ELAB_OWNER;
	const char *txt = text_of(&ans), *s = strstr(txt, needle);
	while (s && s != txt && s[-1] != '\n')
		s = strstr(s + 1, needle);
	if (st == 200 && s) {
		s += strlen(needle);
		snprintf(state, cap, "%.*s", (int)strcspn(s, "\n"), s);
		rc = 0;
	} else if (cap) {
		snprintf(state, cap, "%s", st == 404 ? "unknown" : "");
	}
	om_buf_free(&ans);
	return rc;
}

/* ---- devices and inspection ------------------------------------------------ */

void lab_tre_backend(const struct lab *l, unsigned i, struct om_tre_backend *be, char *tcti, size_t cap)
{
	char p[LAB_PATH_MAX + 40];
	memset(be, 0, sizeof(*be));
	be->kind = l->opt.tre_backend;
	if (be->kind == OM_TRE_BACKEND_PKCS11) {
		/* lab_p11.c: the lab's token, its PIN the lab's (SOFTHSM2_CONF set for this process) */
		be->p11_module = LAB_P11_MODULE;
		be->p11_token = LAB_P11_TOKEN;
		be->p11_pin = ((const struct lab_priv *)l->priv)->p11_pin;
		return;
	}
	if (be->kind != OM_TRE_BACKEND_TPM || !cap)
		return;
	/* lab_tpm.c: one swtpm per device at <workdir>/tpm/<TRE_id>/sock */
	snprintf(tcti, cap, "swtpm:path=%s/%s/sock", lab_path(l, "tpm", p, sizeof(p)),
		 i < l->n_devices + l->n_tampered ? l->tre_ids[i] : "?");
	be->tpm_tcti = tcti;
}

int lab_tre_open(const struct lab *l, unsigned i, struct om_tre **out)
{
	char dir[LAB_PATH_MAX], tcti[LAB_PATH_MAX + 64];
	struct om_tre_backend be;
	lab_tre_backend(l, i, &be, tcti, sizeof(tcti));
	return om_tre_open_backend(out, lab_device_dir(l, i, dir, sizeof(dir)), &be, 0);
}

void lab_agent_config(const struct lab *l, unsigned i, struct om_agent_config *cfg, char *buf, size_t cap)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tre_dir = lab_device_dir(l, i, buf, cap);
	size_t used = strlen(buf) + 1;
	lab_tre_backend(l, i, &cfg->tre, buf + used, used < cap ? cap - used : 0);
	cfg->vno_host = "127.0.0.1";
	cfg->vno_port = l->radio_port;
	cfg->dm_ca_file = l->tls_ca;
	/* on loopback an answer comes in milliseconds; the margins are for a loaded machine with 10,000 devices */
	cfg->net_timeout_ms = 15000;
	cfg->retry_min_ms = 200;
	cfg->retry_max_ms = 3000;
	cfg->retries = 10;
	/* the DRFs retry a push every few seconds (push_retry_max): a bootstrap reaches an attached device well within */
	cfg->wait_push_ms = 30000;
	cfg->fallback_s = l->opt.fallback_s;
}

int lab_hss_has(struct lab *l, enum lab_op op, const char *imsi)
{
	char sock[LAB_PATH_MAX + 40], line[64];
	struct om_admin_result res;
	if ((unsigned)op >= LAB_N_OPS || strlen(imsi) > 15)
		return OM_EINVAL;
	/* the operator's question to its HSS, on its provisioning socket (docs/hss.md "Provisioning") */
	snprintf(line, sizeof(line), "show %s\n", imsi);
	int rc = om_admin_call(lab_socket(l, lab_op_hss(op), "prov.sock", sock, sizeof(sock)), line, 10000, NULL, NULL,
			       &res);
	if (rc < 0)
		return rc;
	return res.code == 0 ? 1 : res.code == OM_EHSS_NOT_FOUND ? 0 : res.code;
}

int lab_hss_change(struct lab *l, enum lab_op op, const char *imsi, const char *words)
{
	char sock[LAB_PATH_MAX + 40], line[256];
	struct om_admin_result res;
	if ((unsigned)op >= LAB_N_OPS || strlen(imsi) > 15 || strlen(words) > 200)
		return OM_EINVAL;
	snprintf(line, sizeof(line), "change %s %s\n", imsi, words);
	int rc = om_admin_call(lab_socket(l, lab_op_hss(op), "prov.sock", sock, sizeof(sock)), line, 10000, NULL, NULL,
			       &res);
	return rc < 0 ? rc : res.code;
}
