/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a B.2.3.6 object opened by the TRE, and any bytes
 * as the decrypted `data` behind a valid MAC.
 *
 * A fuzzer cannot forge a MAC, so mutating whole objects exercises the
 * header, the unwrap and the MAC check. The second half encrypts and MACs
 * the input itself (raw EVP, fixed test PIK/PCK) and hands it to
 * om_protect_data_open(), which reaches the padding, tag, payload_length and
 * version checks and then the MCIM TLV decoder.
 * Invariant: a refusal leaves the output all zero; a success is no longer
 * than the input.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include <openmcim/mcim.h>
#include <openmcim/protect.h>

/*
 * TEST-ONLY KEY, never for anything real: the X25519 private key of "Bob" in
 * RFC 7748 6.1, public in the RFC. The seeds in fuzz/corpus/protect_open/
 * are sealed to its public key.
 */
static const uint8_t test_only_tre_sk[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
	0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb,
};

/* libFuzzer inputs are 4096 bytes at most by default; a longer payload gets OM_ENOSPC, checked the same */
static uint8_t out[8192];

static void must_be_zero_after(int r, size_t max)
{
	if (r >= 0) {
		if ((size_t)r > max)
			abort();
		return;
	}
	for (size_t i = 0; i < sizeof(out); i++)
		if (out[i])
			abort();
}

static void open_object(EVP_PKEY *tre, const uint8_t *data, size_t size)
{
	int r = om_protect_open(tre, OM_PROTECT_TAG_MCIM, data, size, out, sizeof(out));
	must_be_zero_after(r, size);
}

/* Suite 02 Protected_data around the input's whole blocks, built here with raw EVP. */
static void open_data(const uint8_t *data, size_t size)
{
	static uint8_t pd[16 + 4096 + 32];
	static const uint8_t iv[16];
	struct om_protect_keys k;
	uint8_t pik[32], pck[32];
	size_t n = size / 16 * 16;
	if (n == 0 || n > 4096)
		return;
	memset(pik, 0x11, sizeof(pik));
	memset(pck, 0x22, sizeof(pck));
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, f = 0;
	unsigned ml = 0;
	if (!c || !EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, pck, iv) ||
	    !EVP_CIPHER_CTX_set_padding(c, 0) || !EVP_EncryptUpdate(c, pd + 16, &l, data, (int)n) ||
	    !EVP_EncryptFinal_ex(c, pd + 16 + l, &f))
		abort();
	EVP_CIPHER_CTX_free(c);
	memcpy(pd, iv, 16);
	if (!HMAC(EVP_sha256(), pik, 32, pd, 16 + n, pd + 16 + n, &ml))
		abort();
	if (om_protect_keys_set(&k, OM_PROTECT_AES256CBC_HMACSHA256, pik, 32, pck, 32) != 0)
		abort();
	int r = om_protect_data_open(&k, data[0], pd, 16 + n + 32, out, sizeof(out));
	must_be_zero_after(r, n);
	if (r > 0) {
		struct om_mcim m;
		if (om_mcim_decode(&m, out, (size_t)r) == 0)
			om_mcim_clear(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *tre;
	if (!tre)
		tre = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, test_only_tre_sk,
						   sizeof(test_only_tre_sk));
	if (!tre)
		abort();
	open_object(tre, data, size);
	open_data(data, size);
	return 0;
}
