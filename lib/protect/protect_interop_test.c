/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protected format against implementations that are not ours:
 *  - objects built by hand from docs/formats.md with raw EVP calls (other
 *    OpenSSL APIs than the codec uses) open with the codec;
 *  - the `openssl` command decrypts C, recomputes the MAC, unwraps the RSA
 *    block and derives the ECIES KEK of objects the codec sealed;
 *  - the worked example in docs/formats.md is what both the hand builder and
 *    the codec produce, byte for byte, and its X25519 secret is RFC 7748's.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <openmcim/hex.h>
#include <openmcim/mcim.h>
#include <openmcim/protect.h>

#include "check.h"
#include "protect/protect_int.h"

#define MAX 1024

/* ------------------------------------------------------------------ */
/* The hand builder: docs/formats.md, read as a spec, with raw EVP.   */

struct hand {
	/* inputs */
	int wrap, suite;
	EVP_PKEY *tre;       /* PuK_TRE */
	EVP_PKEY *eph;       /* ECIES ephemeral key, or NULL */
	uint8_t pik[32], pck[32], iv[16];
	uint8_t payload[MAX];
	size_t payload_len;
	/* everything the doc names, in order */
	uint8_t header[13], tre_pk[65], eph_pk[65], z[32], info[13 + 130], kek[32], key_block[64];
	uint8_t wrapped[MAX], data[MAX], c[MAX], mac[32], object[4 * MAX];
	size_t pk_len, info_len, key_block_len, wrapped_len, data_len, mac_len, object_len;
};

static void be(uint8_t *p, size_t v, size_t n)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static size_t pub_bytes(EVP_PKEY *k, uint8_t *out)
{
	size_t n = 0;
	CHECK(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, 65, &n));
	return n;
}

/* HKDF through the EVP_PKEY interface (the codec uses EVP_KDF). */
static void hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
			uint8_t *out, size_t out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	CHECK(ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
	      EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) > 0 &&
	      EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) > 0 &&
	      EVP_PKEY_derive(ctx, out, &out_len) > 0);
	EVP_PKEY_CTX_free(ctx);
}

/* AES-256 key wrap with padding through the legacy cipher object (the codec fetches). */
static size_t kwp(int enc, const uint8_t kek[32], const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	int ok = EVP_CipherInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL, kek, NULL, enc) &&
		 EVP_CipherUpdate(ctx, out, &n, in, (int)len) && EVP_CipherFinal_ex(ctx, out + n, &f);
	EVP_CIPHER_CTX_free(ctx);
	CHECK(ok);
	return ok ? (size_t)(n + f) : 0;
}

static void hand_build(struct hand *h)
{
	int modern = h->suite == OM_PROTECT_AES256CBC_HMACSHA256;
	size_t pik_len = modern ? 32 : 20, pck_len = modern ? 32 : 16;
	h->mac_len = modern ? 32 : 20;

	/* data = tag | payload_length (BE16) | payload | version | p bytes of p */
	size_t p = 16 - (4 + h->payload_len) % 16;
	h->data[0] = OM_PROTECT_TAG_MCIM;
	be(h->data + 1, h->payload_len, 2);
	memcpy(h->data + 3, h->payload, h->payload_len);
	h->data[3 + h->payload_len] = 0x01;
	memset(h->data + 4 + h->payload_len, (int)p, p);
	h->data_len = 4 + h->payload_len + p;

	memcpy(h->key_block, h->pik, pik_len);
	memcpy(h->key_block + pik_len, h->pck, pck_len);
	h->key_block_len = pik_len + pck_len;
	if (h->wrap == OM_PROTECT_WRAP_RSA_OAEP)
		h->wrapped_len = (size_t)EVP_PKEY_get_size(h->tre);
	else
		h->wrapped_len = (h->wrap == OM_PROTECT_WRAP_ECIES_P256 ? 65 : 32) +
				 (h->key_block_len + 7) / 8 * 8 + 8;

	memcpy(h->header, "OMPD", 4);
	h->header[4] = 0x01;
	h->header[5] = (uint8_t)h->wrap;
	h->header[6] = (uint8_t)h->suite;
	be(h->header + 7, h->wrapped_len, 2);
	be(h->header + 9, h->data_len, 4);

	if (h->wrap == OM_PROTECT_WRAP_RSA_OAEP) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(h->tre, NULL);
		size_t n = h->wrapped_len;
		CHECK(ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
		      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
		      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
		      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
		      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup(h->header, 13), 13) > 0 &&
		      EVP_PKEY_encrypt(ctx, h->wrapped, &n, h->key_block, h->key_block_len) > 0 &&
		      n == h->wrapped_len);
		EVP_PKEY_CTX_free(ctx);
	} else {
		h->pk_len = pub_bytes(h->tre, h->tre_pk);
		CHECK_INT(pub_bytes(h->eph, h->eph_pk), h->pk_len);
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(h->eph, NULL);
		size_t zl = sizeof(h->z);
		CHECK(ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, h->tre) > 0 &&
		      EVP_PKEY_derive(ctx, h->z, &zl) > 0 && zl == 32);
		EVP_PKEY_CTX_free(ctx);
		memcpy(h->info, h->header, 13);
		memcpy(h->info + 13, h->eph_pk, h->pk_len);
		memcpy(h->info + 13 + h->pk_len, h->tre_pk, h->pk_len);
		h->info_len = 13 + 2 * h->pk_len;
		hkdf_sha256(h->z, 32, h->info, h->info_len, h->kek, 32);
		memcpy(h->wrapped, h->eph_pk, h->pk_len);
		CHECK_INT(h->pk_len + kwp(1, h->kek, h->key_block, h->key_block_len, h->wrapped + h->pk_len),
			  h->wrapped_len);
	}

	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;
	CHECK(EVP_EncryptInit_ex(c, modern ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL, h->pck, h->iv) &&
	      EVP_CIPHER_CTX_set_padding(c, 0) && EVP_EncryptUpdate(c, h->c, &n, h->data, (int)h->data_len) &&
	      EVP_EncryptFinal_ex(c, h->c + n, &f) && (size_t)(n + f) == h->data_len);
	EVP_CIPHER_CTX_free(c);

	uint8_t ivc[16 + MAX];
	unsigned ml = 0;
	memcpy(ivc, h->iv, 16);
	memcpy(ivc + 16, h->c, h->data_len);
	CHECK(HMAC(modern ? EVP_sha256() : EVP_sha1(), h->pik, (int)pik_len, ivc, 16 + h->data_len, h->mac,
		   &ml) && ml == h->mac_len);

	uint8_t *o = h->object;
	memcpy(o, h->header, 13);
	memcpy(o += 13, h->wrapped, h->wrapped_len);
	memcpy(o += h->wrapped_len, h->iv, 16);
	memcpy(o += 16, h->c, h->data_len);
	memcpy(o += h->data_len, h->mac, h->mac_len);
	h->object_len = (size_t)(o + h->mac_len - h->object);
}

/* A small valid MCIM payload. */
static size_t mcim_payload(uint8_t *out)
{
	struct om_mcim m = { .imsi = "001010000000042", .mnc_len = 2, .algorithm = OM_MCIM_ALG_MILENAGE,
			     .apn = "m2m.example" };
	check_random(m.k, sizeof(m.k));
	check_random(m.opc, sizeof(m.opc));
	int n = om_mcim_encode(&m, out, OM_MCIM_ENCODED_MAX);
	om_mcim_clear(&m);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static void hand_built_objects_open_with_the_codec(void)
{
	static const struct { int wrap, suite; const char *alg; const char *param; } cases[] = {
		{ OM_PROTECT_WRAP_ECIES_X25519, OM_PROTECT_AES256CBC_HMACSHA256, "X25519", NULL },
		{ OM_PROTECT_WRAP_ECIES_P256, OM_PROTECT_AES256CBC_HMACSHA256, "EC", "P-256" },
		{ OM_PROTECT_WRAP_ECIES_P256, OM_PROTECT_AES128CBC_HMACSHA1, "EC", "P-256" },
		{ OM_PROTECT_WRAP_RSA_OAEP, OM_PROTECT_AES128CBC_HMACSHA1, "RSA", NULL },
		{ OM_PROTECT_WRAP_RSA_OAEP, OM_PROTECT_AES256CBC_HMACSHA256, "RSA", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct hand h;
		memset(&h, 0, sizeof(h));
		h.wrap = cases[i].wrap;
		h.suite = cases[i].suite;
		EVP_PKEY *tre = !strcmp(cases[i].alg, "RSA") ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
				: cases[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", cases[i].param)
						 : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		h.tre = tre;
		if (h.wrap != OM_PROTECT_WRAP_RSA_OAEP)
			h.eph = cases[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", cases[i].param)
					       : EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		check_random(h.pik, sizeof(h.pik));
		check_random(h.pck, sizeof(h.pck));
		check_random(h.iv, sizeof(h.iv));
		h.payload_len = mcim_payload(h.payload);
		hand_build(&h);

		uint8_t out[MAX];
		struct om_mcim m;
		int n = om_protect_open(tre, OM_PROTECT_TAG_MCIM, h.object, h.object_len, out, sizeof(out));
		CHECK_MSG(n == (int)h.payload_len, "case %zu: %s", i, om_errname(n));
		CHECK_MEM(out, h.payload, h.payload_len);
		CHECK_INT(om_mcim_decode(&m, out, h.payload_len), 0);
		CHECK(strcmp(m.imsi, "001010000000042") == 0);
		om_mcim_clear(&m);
		EVP_PKEY_free(tre);
		EVP_PKEY_free(h.eph);
	}
}

/* ------------------------------------------------------------------ */
/* The openssl command as the independent peer.                        */

static char dir[64];

static const char *path(const char *name)
{
	static char buf[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void put(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path(name), "wb");
	CHECK(f && fwrite(p, 1, n, f) == n);
	if (f)
		fclose(f);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	/* the command line holds (test) keys: name only the subcommand */
	CHECK_MSG(r == 0, "%.20s... exited with %d", cmd, r);
	return r;
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[4][2 * MAX + 1];
	static int i;
	i = (i + 1) % 4;
	om_hex_encode(buf[i], p, n);
	return buf[i];
}

/* Hex digits at the start of a file's first line (colons skipped) into out. */
static size_t read_hex(const char *name, uint8_t *out, size_t cap)
{
	size_t len = 0, n = 0;
	unsigned char *text = check_slurp(path(name), &len);
	char digits[2 * MAX + 1];
	for (size_t i = 0; text && i < len && text[i] != '\n' && text[i] != ' ' && n < 2 * MAX; i++)
		if (text[i] != ':')
			digits[n++] = (char)text[i];
	digits[n] = 0;
	free(text);
	int r = om_hex_decode_any(out, cap, digits);
	CHECK(r > 0);
	return r > 0 ? (size_t)r : 0;
}

static void openssl_decrypts_and_macs_protected_data(void)
{
	static const int suites[] = { OM_PROTECT_AES256CBC_HMACSHA256, OM_PROTECT_AES128CBC_HMACSHA1 };
	for (size_t s = 0; s < 2; s++) {
		int modern = suites[s] == OM_PROTECT_AES256CBC_HMACSHA256;
		uint8_t pik[32], pck[32], payload[45], pd[256], want[64], got[MAX];
		struct om_protect_keys k;
		size_t pik_len = modern ? 32 : 20, pck_len = modern ? 32 : 16, mac_len = modern ? 32 : 20;
		check_random(pik, sizeof(pik));
		check_random(pck, sizeof(pck));
		check_random(payload, sizeof(payload));
		CHECK_INT(om_protect_keys_set(&k, suites[s], pik, pik_len, pck, pck_len), 0);
		int n = om_protect_data_seal(&k, OM_PROTECT_TAG_DM_CREDENTIALS, payload, sizeof(payload), pd,
					     sizeof(pd));
		om_protect_keys_clear(&k);
		/* tag, payload_length, 45 bytes and version make 49: 15 bytes of padding reach 64 */
		CHECK_INT(n, 16 + 64 + (int)mac_len);
		want[0] = OM_PROTECT_TAG_DM_CREDENTIALS;
		want[1] = 0;
		want[2] = sizeof(payload);
		memcpy(want + 3, payload, sizeof(payload));
		want[48] = 0x01;
		memset(want + 49, 15, 15);

		put("c.bin", pd + 16, 64);
		run("openssl enc -d %s -nopad -K %s -iv %s -in '%s' -out '%s'",
		    modern ? "-aes-256-cbc" : "-aes-128-cbc", hex(pck, pck_len), hex(pd, 16), path("c.bin"),
		    path("data.bin"));
		size_t len = 0;
		unsigned char *data = check_slurp(path("data.bin"), &len);
		CHECK(data && len == 64 && memcmp(data, want, 64) == 0);
		free(data);

		put("ivc.bin", pd, 16 + 64);
		run("openssl dgst %s -mac HMAC -macopt hexkey:%s -r '%s' > '%s'", modern ? "-sha256" : "-sha1",
		    hex(pik, pik_len), path("ivc.bin"), path("mac.txt"));
		CHECK_INT(read_hex("mac.txt", got, sizeof(got)), mac_len);
		CHECK_MEM(got, pd + 16 + 64, mac_len);
	}
}

static void write_private_pem(EVP_PKEY *k, const char *name)
{
	BIO *b = BIO_new_file(path(name), "w");
	CHECK(b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	BIO_free(b);
}

static void openssl_unwraps_the_rsa_block(void)
{
	EVP_PKEY *tre = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	uint8_t pik[32], pck[32], payload[10] = { 0 }, obj[MAX];
	struct om_protect_keys k;
	check_random(pik, sizeof(pik));
	check_random(pck, sizeof(pck));
	CHECK_INT(om_protect_keys_set(&k, OM_PROTECT_AES256CBC_HMACSHA256, pik, 32, pck, 32), 0);
	int n = om_protect_seal_with_keys(tre, &k, OM_PROTECT_TAG_MCIM, payload, sizeof(payload), obj,
					  sizeof(obj));
	om_protect_keys_clear(&k);
	CHECK(n > 13 + 256);
	write_private_pem(tre, "tre.pem");
	put("w.bin", obj + 13, 256);
	run("openssl pkeyutl -decrypt -inkey '%s' -in '%s' -out '%s' -pkeyopt rsa_padding_mode:oaep "
	    "-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -pkeyopt rsa_oaep_label:%s",
	    path("tre.pem"), path("w.bin"), path("kb.bin"), hex(obj, 13));
	size_t len = 0;
	unsigned char *kb = check_slurp(path("kb.bin"), &len);
	CHECK(kb && len == 64 && memcmp(kb, pik, 32) == 0 && memcmp(kb + 32, pck, 32) == 0);
	free(kb);
	EVP_PKEY_free(tre);
}

static void openssl_derives_the_x25519_kek(void)
{
	EVP_PKEY *tre = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	uint8_t pik[20], pck[16], payload[10] = { 0 }, obj[MAX], z[64], kek[64], kb[80], trepk[32];
	struct om_protect_keys k;
	check_random(pik, sizeof(pik));
	check_random(pck, sizeof(pck));
	CHECK_INT(om_protect_keys_set(&k, OM_PROTECT_AES128CBC_HMACSHA1, pik, 20, pck, 16), 0);
	int n = om_protect_seal_with_keys(tre, &k, OM_PROTECT_TAG_MCIM, payload, sizeof(payload), obj,
					  sizeof(obj));
	om_protect_keys_clear(&k);
	CHECK(n > 13 + 32 + 48);
	CHECK_INT(obj[5], OM_PROTECT_WRAP_ECIES_X25519);
	CHECK_INT(omp_get16(obj + 7), 32 + 48);

	EVP_PKEY *eph = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, obj + 13, 32);
	BIO *b = BIO_new_file(path("eph.pem"), "w");
	CHECK(eph && b && PEM_write_bio_PUBKEY(b, eph));
	BIO_free(b);
	write_private_pem(tre, "tre.pem");
	run("openssl pkeyutl -derive -inkey '%s' -peerkey '%s' -out '%s'", path("tre.pem"), path("eph.pem"),
	    path("z.bin"));
	size_t zl = 0;
	unsigned char *zf = check_slurp(path("z.bin"), &zl);
	CHECK(zf && zl == 32);
	if (zf)
		memcpy(z, zf, 32);
	free(zf);

	size_t pl = 32;
	CHECK(EVP_PKEY_get_raw_public_key(tre, trepk, &pl));
	uint8_t info[13 + 64];
	memcpy(info, obj, 13);
	memcpy(info + 13, obj + 13, 32);
	memcpy(info + 45, trepk, 32);
	run("openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:%s -kdfopt hexinfo:%s HKDF > '%s'",
	    hex(z, 32), hex(info, sizeof(info)), path("kek.txt"));
	CHECK_INT(read_hex("kek.txt", kek, sizeof(kek)), 32);
	CHECK_INT(kwp(0, kek, obj + 13 + 32, 48, kb), 36);
	CHECK_MEM(kb, pik, 20);
	CHECK_MEM(kb + 20, pck, 16);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(tre);
}

/* ------------------------------------------------------------------ */
/* The worked example of docs/formats.md.                              */

/* RFC 7748 6.1: Alice's key is our ephemeral key, Bob's the TRE's; K is their shared secret. */
static const char rfc7748_k[] = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

struct doc_value {
	char name[32];
	uint8_t v[MAX];
	size_t len;
};
static struct doc_value doc[40];
static size_t ndoc;

/* Read the "name hex..." lines of the fenced block after the worked-example marker. */
static int read_doc(void)
{
	const char *src = getenv("OM_SOURCE_DIR");
	char file[1024];
	snprintf(file, sizeof(file), "%s/docs/formats.md", src ? src : ".");
	unsigned char *text = check_slurp(file, NULL);
	CHECK_MSG(text != NULL, "cannot read %s", file);
	if (!text)
		return 0;
	char *p = strstr((char *)text, "<!-- worked-example -->");
	p = p ? strstr(p, "```text\n") : NULL;
	char *end = p ? strstr(p + 8, "```") : NULL;
	CHECK(p && end);
	char hexbuf[2 * MAX + 1];
	size_t hn = 0;
	for (char *line = p ? p + 8 : end; line && line < end;) {
		char *nl = strchr(line, '\n');
		if (line[0] != ' ' && line[0] != '\n') {
			if (ndoc > 0) {
				hexbuf[hn] = 0;
				int r = om_hex_decode_any(doc[ndoc - 1].v, MAX, hexbuf);
				CHECK_MSG(r >= 0, "%s: bad hex", doc[ndoc - 1].name);
				doc[ndoc - 1].len = r > 0 ? (size_t)r : 0;
			}
			CHECK(ndoc < sizeof(doc) / sizeof(doc[0]));
			size_t k = 0;
			while (line[k] != ' ' && line < nl && k < sizeof(doc[0].name) - 1) {
				doc[ndoc].name[k] = line[k];
				k++;
			}
			doc[ndoc++].name[k] = 0;
			line += k;
			hn = 0;
		}
		for (; line < nl; line++)
			if (*line != ' ' && hn < 2 * MAX)
				hexbuf[hn++] = *line;
		line = nl + 1;
	}
	if (ndoc > 0) {
		hexbuf[hn] = 0;
		int r = om_hex_decode_any(doc[ndoc - 1].v, MAX, hexbuf);
		doc[ndoc - 1].len = r > 0 ? (size_t)r : 0;
	}
	free(text);
	return ndoc > 0;
}

static const struct doc_value *doc_get(const char *name)
{
	for (size_t i = 0; i < ndoc; i++)
		if (strcmp(doc[i].name, name) == 0)
			return &doc[i];
	CHECK_MSG(0, "docs/formats.md worked example lacks %s", name);
	static const struct doc_value none;
	return &none;
}

/* The doc's value for name equals got[0..len). */
static void doc_says(const char *name, const uint8_t *got, size_t len)
{
	const struct doc_value *d = doc_get(name);
	CHECK_MSG(d->len == len && memcmp(d->v, got, len) == 0, "docs/formats.md %s is stale", name);
}

static void docs_worked_example_is_what_both_builders_make(void)
{
	if (!read_doc())
		return;
	static struct hand h;
	memset(&h, 0, sizeof(h));
	h.wrap = OM_PROTECT_WRAP_ECIES_X25519;
	h.suite = OM_PROTECT_AES256CBC_HMACSHA256;
	EVP_PKEY *tre = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, doc_get("tre_sk")->v, 32);
	h.eph = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, doc_get("eph_sk")->v, 32);
	h.tre = tre;
	CHECK(tre && h.eph);
	memcpy(h.pik, doc_get("pik")->v, 32);
	memcpy(h.pck, doc_get("pck")->v, 32);
	memcpy(h.iv, doc_get("iv")->v, 16);

	/* the payload is the MCIM the doc's table describes */
	struct om_mcim m = { .imsi = "001010123456789", .mnc_len = 2, .algorithm = OM_MCIM_ALG_MILENAGE,
			     .apn = "m2m.sho1", .present = OM_MCIM_HAS_AMF | OM_MCIM_HAS_IND_BITS,
			     .amf = { 0x80, 0x00 }, .ind_bits = 5 };
	CHECK_INT(om_hex_decode(m.k, 16, "465b5ce8b199b49faa5f0a2ee238a6bc"), 0);
	CHECK_INT(om_hex_decode(m.opc, 16, "cd63cb71954a9f4e48a5994e37a02baf"), 0);
	int pn = om_mcim_encode(&m, h.payload, sizeof(h.payload));
	CHECK(pn > 0);
	h.payload_len = pn > 0 ? (size_t)pn : 0;
	doc_says("payload", h.payload, h.payload_len);

	hand_build(&h);
	uint8_t want_z[32];
	CHECK_INT(om_hex_decode(want_z, 32, rfc7748_k), 0);
	CHECK_MEM(h.z, want_z, 32);
	doc_says("tre_pk", h.tre_pk, 32);
	doc_says("eph_pk", h.eph_pk, 32);
	doc_says("header", h.header, 13);
	doc_says("z", h.z, 32);
	doc_says("info", h.info, h.info_len);
	doc_says("kek", h.kek, 32);
	doc_says("key_block", h.key_block, h.key_block_len);
	doc_says("wrapped", h.wrapped, h.wrapped_len);
	doc_says("data", h.data, h.data_len);
	doc_says("c", h.c, h.data_len);
	doc_says("mac", h.mac, h.mac_len);
	doc_says("object", h.object, h.object_len);

	/* the codec, with the same fixed ephemeral key, PIK, PCK and IV */
	struct om_protect_keys k;
	uint8_t obj[MAX], out[MAX];
	CHECK_INT(om_protect_keys_set(&k, h.suite, h.pik, 32, h.pck, 32), 0);
	struct omp_seal_hooks hooks = { .eph = h.eph, .iv = h.iv };
	int n = omp_seal(tre, &k, OM_PROTECT_TAG_MCIM, h.payload, h.payload_len, &hooks, obj, sizeof(obj));
	om_protect_keys_clear(&k);
	CHECK(n > 0);
	doc_says("object", obj, n > 0 ? (size_t)n : 0);

	const struct doc_value *o = doc_get("object");
	n = om_protect_open(tre, OM_PROTECT_TAG_MCIM, o->v, o->len, out, sizeof(out));
	CHECK_INT(n, h.payload_len);
	CHECK_MEM(out, h.payload, h.payload_len);
	om_mcim_clear(&m);
	EVP_PKEY_free(tre);
	EVP_PKEY_free(h.eph);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/omprotect-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	hand_built_objects_open_with_the_codec();
	openssl_decrypts_and_macs_protected_data();
	openssl_unwraps_the_rsa_block();
	openssl_derives_the_x25519_kek();
	docs_worked_example_is_what_both_builders_make();

	static const char *files[] = { "c.bin", "data.bin", "ivc.bin", "mac.txt", "tre.pem", "w.bin",
				       "kb.bin", "eph.pem", "z.bin", "kek.txt" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(path(files[i]));
	CHECK_MSG(rmdir(dir) == 0, "temporary directory %s not empty", dir);
	return check_done();
}
