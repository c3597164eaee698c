/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE's core: personalisation, secure boot (integrity check at open),
 * the ACL on discovery, and AKA with the active MID against vectors made by
 * the network side for the same K/OPc.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/err.h>

#include "daemon_util.h"
#include "tre_fixture.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro;

static struct om_tre *open_ok(const char *dir)
{
	struct om_tre *tre = NULL;
	int rc = om_tre_open(&tre, dir, 0);
	CHECK_MSG(rc == 0, "om_tre_open: %s", om_errname(rc));
	if (rc)
		FX_DIE("open");
	return tre;
}

/* Path of the PCID's MID file (the only mid-* file after personalisation). */
static void mid_path(const char *dir, char out[512])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	out[0] = 0;
	while (d && (e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, "mid-", 4))
			snprintf(out, 512, "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
}

static void flip_byte(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	if (fd < 0 || pread(fd, &b, 1, off) != 1)
		FX_DIE("flip");
	b ^= 0x01;
	if (pwrite(fd, &b, 1, off) != 1)
		FX_DIE("flip");
	close(fd);
}

static void test_personalise_then_open_reports_identity(void)
{
	struct fx_tre t;
	struct om_tre_status st;
	struct om_tre_info info;
	struct om_tre_mid_info mi[4];

	fx_tre_init(&t, pva, "TRE-00000001", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	struct om_tre *tre = open_ok(t.dir);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK(strcmp(st.tre_id, "TRE-00000001") == 0);
	CHECK(strcmp(st.trust_root_cn, ro.id) == 0);
	CHECK_INT(st.n_mids, 1);
	CHECK_INT(st.n_blocked, 0);
	CHECK_INT(om_tre_get_info(tre, &info), 0);
	CHECK(strcmp(info.tre_type, "openmcim-swtre-1") == 0 && strcmp(info.firmware_version, "1.0.0") == 0);
	CHECK_INT(info.n_measurements, 2);
	CHECK_MEM(info.m[1].sha256, t.meas[1].sha256, 32);
	CHECK(strcmp(info.m[0].name, "bootloader") == 0);
	/* The RO sees the PCID; anybody else sees nothing. */
	CHECK_INT(om_tre_mid_list(tre, ro.id, mi, 4), 1);
	CHECK(strcmp(mi[0].imsi, "001010000000001") == 0 && mi[0].is_pcid && mi[0].state == OM_TRE_MID_ACTIVE);
	CHECK_INT(om_tre_mid_list(tre, "SHO-Other", mi, 4), 0);
	CHECK_INT(om_tre_active(tre, &mi[0]), 0);
	CHECK(strcmp(mi[0].apn, "pcid.ro.example") == 0);
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_personalise_writes_three_private_files(void)
{
	struct fx_tre t;
	struct stat sb;
	char path[600];
	fx_tre_init(&t, pva, "TRE-00000002", &ro, OM_KEY_EC_P256);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, OM_TRE_NO_FSYNC), 0);
	int n = 0;
	DIR *d = opendir(t.dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", t.dir, e->d_name);
		CHECK(stat(path, &sb) == 0 && (sb.st_mode & 077) == 0);
	}
	if (d)
		closedir(d);
	CHECK_INT(n, 3);
	/* A second personalisation of the same directory is refused, files untouched. */
	uint8_t h0[32], h1[32];
	fx_dir_hash(t.dir, h0);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), OM_ETRE_EXISTS);
	fx_dir_hash(t.dir, h1);
	CHECK_MEM(h0, h1, 32);
	fx_tre_free(&t);
}

static void test_personalise_refuses_inconsistent_identity(void)
{
	struct fx_tre t, u;
	fx_tre_init(&t, pva, "TRE-00000003", &ro, OM_KEY_X25519);
	fx_tre_init(&u, pva, "TRE-00000004", &ro, OM_KEY_X25519);
	struct om_tre_personalisation p = t.p;
	p.sign_key = u.sign_key; /* another TRE's key for this certificate */
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_IDENTITY);
	p = t.p;
	p.tre_id = "TRE-00000004"; /* certificates say TRE-00000003 */
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_IDENTITY);
	p = t.p;
	p.ro_id = "RO-Other"; /* the root's CN is the RO id */
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_ETRE_TRUST_ROOT);
	p = t.p;
	p.trust_root = t.sign_der; /* a TRE_SIGNING certificate is no trust root */
	p.trust_root_len = t.sign_len;
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_EPKI_PURPOSE);
	/* An expired Cert_SHO[0]. */
	time_t now = time(NULL);
	X509 *old = fx_issue(ro.ca, ro.key, ro.id, OM_CERT_SHO_SIGNING, now - 7200, now - 3600);
	uint8_t *der = NULL;
	size_t len = 0;
	CHECK_INT(om_cert_encode(old, OM_ENC_DER, &der, &len), 0);
	p = t.p;
	p.trust_root = der;
	p.trust_root_len = len;
	CHECK_INT(om_tre_personalise(t.dir, &p, 0), OM_EPKI_EXPIRED);
	om_pki_free(der, len);
	X509_free(old);
	/* Nothing was left behind by the refusals. */
	DIR *d = opendir(t.dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK_INT(n, 0);
	fx_tre_free(&t);
	fx_tre_free(&u);
}

static void test_aka_answers_network_vectors_and_persists_sqn(void)
{
	struct fx_tre t;
	struct om_usim_out out;
	uint8_t rand[16], autn[16], xres[8];

	fx_tre_init(&t, pva, "TRE-00000005", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	struct om_tre *tre = open_ok(t.dir);
	fx_challenge(&t.pcid, 32 + 0, 1, rand, autn, xres); /* SEQ 1, IND 0 */
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), 0);
	CHECK_MEM(out.res, xres, 8);
	om_usim_out_clear(&out);
	/* The same challenge again: replay is a synch failure with AUTS, from memory... */
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_EAUTH_SYNC);
	om_tre_close(tre);
	/* ...and after a reopen, because the SQN was written before RES left. */
	tre = open_ok(t.dir);
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_EAUTH_SYNC);
	{
		/* The network recovers SQN_MS from AUTS (TS 33.102 6.3.5). */
		struct om_milenage m;
		uint64_t sqn_ms = 0;
		CHECK_INT(om_milenage_init(&m, t.pcid.k, t.pcid.opc), 0);
		CHECK_INT(om_vector_resync(&m, rand, out.auts, &sqn_ms), 0);
		CHECK_INT(sqn_ms, 32);
		om_milenage_clear(&m);
	}
	uint8_t zero[8] = { 0 };
	CHECK_MEM(out.res, zero, 8);
	/* A flipped MAC bit: MAC failure, no RES. */
	fx_challenge(&t.pcid, 64, 1, rand, autn, xres);
	autn[15] ^= 1;
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_EAUTH_MAC);
	CHECK_MEM(out.res, zero, 8);
	/* A UTRAN vector (separation bit 0) is refused by the ME check before the USIM runs... */
	uint8_t h0[32], h1[32];
	fx_dir_hash(t.dir, h0);
	fx_challenge(&t.pcid, 64, 0, rand, autn, xres);
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_EAUTH_AMF);
	fx_dir_hash(t.dir, h1);
	CHECK_MEM(h0, h1, 32);
	/* ...so the same SQN in an E-UTRAN vector is still fresh. */
	fx_challenge(&t.pcid, 64, 1, rand, autn, xres);
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), 0);
	CHECK_MEM(out.res, xres, 8);
	om_usim_out_clear(&out);
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_tampered_mid_file_is_blocked_at_open_and_refuses_aka(void)
{
	struct fx_tre t;
	struct om_tre_status st;
	struct om_tre_mid_info mi;
	struct om_usim_out out;
	uint8_t rand[16], autn[16], xres[8];
	char path[512];

	fx_tre_init(&t, pva, "TRE-00000006", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	mid_path(t.dir, path);
	flip_byte(path, 40);
	struct om_tre *tre = open_ok(t.dir);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.n_blocked, 1);
	CHECK_INT(st.active_blocked, 1);
	CHECK_INT(om_tre_mid_list(tre, ro.id, &mi, 1), 1);
	CHECK_INT(mi.state, OM_TRE_MID_BLOCKED);
	CHECK_INT(om_tre_active(tre, &mi), OM_ETRE_BLOCKED);
	fx_challenge(&t.pcid, 32, 1, rand, autn, xres);
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_ETRE_BLOCKED);
	om_tre_close(tre);
	/* The verdict is persisted: restoring the byte does not unblock the MID. */
	flip_byte(path, 40);
	tre = open_ok(t.dir);
	CHECK_INT(om_tre_aka(tre, rand, autn, &out), OM_ETRE_BLOCKED);
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_swapped_or_altered_state_does_not_open(void)
{
	struct fx_tre t, u;
	struct om_tre *tre = NULL;
	char a[600], b[600], mp[512];

	fx_tre_init(&t, pva, "TRE-00000007", &ro, OM_KEY_X25519);
	fx_tre_init(&u, pva, "TRE-00000008", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	CHECK_INT(om_tre_personalise(u.dir, &u.p, 0), 0);
	/* A MID file renamed over the state record: the name is the AAD. */
	snprintf(a, sizeof(a), "%s/tre.state", t.dir);
	snprintf(b, sizeof(b), "%s/tre.state.bak", t.dir);
	CHECK(rename(a, b) == 0);
	mid_path(t.dir, mp);
	CHECK(link(mp, a) == 0);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), OM_ETRE_SEAL);
	unlink(a);
	CHECK(rename(b, a) == 0);
	/* Another device's state record: another sealing key. */
	snprintf(b, sizeof(b), "%s/tre.state", u.dir);
	size_t len = 0;
	unsigned char *other = check_slurp(b, &len);
	unsigned char *mine = check_slurp(a, &len);
	FILE *f = fopen(a, "wb");
	fwrite(other, 1, len, f);
	fclose(f);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), OM_ETRE_SEAL);
	f = fopen(a, "wb");
	fwrite(mine, 1, len, f);
	fclose(f);
	free(other);
	free(mine);
	/* One flipped bit in the state record. */
	flip_byte(a, 30);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), OM_ETRE_SEAL);
	flip_byte(a, 30);
	tre = open_ok(t.dir);
	om_tre_close(tre);
	fx_tre_free(&t);
	fx_tre_free(&u);
}

static void test_sealing_key_readable_by_others_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = NULL;
	char path[600];
	fx_tre_init(&t, pva, "TRE-00000009", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	snprintf(path, sizeof(path), "%s/seal.key", t.dir);
	CHECK(chmod(path, 0640) == 0);
	CHECK_INT(om_tre_open(&tre, t.dir, 0), OM_ETRE_PERM);
	CHECK(chmod(path, 0600) == 0);
	CHECK_INT(om_tre_open(&tre, "/nonexistent/om-tre", 0), OM_ETRE_NOT_FOUND);
	fx_tre_free(&t);
}

/* Refused with code, and not one byte of the TRE moved (nor was a MID blocked). */
static void open_refused_unchanged(const char *dir, int code)
{
	struct om_tre *tre = NULL;
	uint8_t before[32], after[32];
	fx_dir_hash(dir, before);
	CHECK_INT(om_tre_open(&tre, dir, 0), code);
	CHECK(tre == NULL);
	fx_dir_hash(dir, after);
	CHECK_MEM(before, after, 32);
}

/*
 * Issue 12: whoever may write the TRE's directory may swap or roll back any
 * sealed file; a file another user owns was not written by the device. As
 * root (CI) the files go to uid 65534; each refusal has its code.
 */
static void test_directory_others_may_write_or_own_is_refused(void)
{
	struct fx_tre t;
	fx_tre_init(&t, pva, "TRE-0000000A", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	CHECK(chmod(t.dir, 0777) == 0);
	open_refused_unchanged(t.dir, OM_ETRE_DIR_WRITABLE);
	CHECK(chmod(t.dir, 0720) == 0);
	open_refused_unchanged(t.dir, OM_ETRE_DIR_WRITABLE);
	CHECK(chmod(t.dir, 0755) == 0); /* others may list it: every file in it is 0600 */
	struct om_tre *tre = open_ok(t.dir);
	om_tre_close(tre);
	CHECK(chmod(t.dir, 0700) == 0);
	CHECK_MSG(chown(t.dir, 65534, 65534) == 0, "chown needs root");
	open_refused_unchanged(t.dir, OM_ETRE_DIR_OWNER);
	CHECK(chown(t.dir, geteuid(), getegid()) == 0);
	fx_tre_free(&t);

	/* personalising into a directory others may write: refused, nothing written */
	fx_tre_init(&t, pva, "TRE-0000000B", &ro, OM_KEY_X25519);
	CHECK(chmod(t.dir, 0777) == 0); /* fx_tre_init made it */
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), OM_ETRE_DIR_WRITABLE);
	CHECK_INT(du_count_entries(t.dir), 0);
	fx_tre_free(&t);
}

static void test_files_another_user_owns_are_refused(void)
{
	static const char *const names[] = { "seal.key", "tre.state", NULL };
	struct fx_tre t;
	char path[600];
	fx_tre_init(&t, pva, "TRE-0000000C", &ro, OM_KEY_X25519);
	CHECK_INT(om_tre_personalise(t.dir, &t.p, 0), 0);
	for (size_t i = 0; i < 3; i++) {
		if (names[i])
			snprintf(path, sizeof(path), "%s/%s", t.dir, names[i]);
		else
			mid_path(t.dir, path); /* a MID file: refused, not blocked (blocking writes the state) */
		CHECK_MSG(chown(path, 65534, 65534) == 0, "chown %s needs root", path);
		open_refused_unchanged(t.dir, OM_ETRE_FILE_OWNER);
		CHECK(chown(path, geteuid(), getegid()) == 0);
	}
	struct om_tre *tre = open_ok(t.dir);
	struct om_tre_status st;
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.n_blocked, 0);
	om_tre_close(tre);
	fx_tre_free(&t);
}

int main(void)
{
	if (om_key_generate(&pva_key, OM_KEY_EC_P256) || om_ca_create(&pva, pva_key, "PVA Root", 0, 0))
		FX_DIE("pva");
	fx_sho_init(&ro, "RO-Example");
	test_personalise_then_open_reports_identity();
	test_personalise_writes_three_private_files();
	test_personalise_refuses_inconsistent_identity();
	test_aka_answers_network_vectors_and_persists_sqn();
	test_tampered_mid_file_is_blocked_at_open_and_refuses_aka();
	test_swapped_or_altered_state_does_not_open();
	test_sealing_key_readable_by_others_is_refused();
	test_directory_others_may_write_or_own_is_refused();
	test_files_another_user_owns_are_refused();
	fx_sho_free(&ro);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	return check_done();
}
