/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --tre pkcs11 --devices 4` (issue 18): the whole system with
 * the devices' TREs on a SoftHSM2 token the lab makes under its workdir,
 * ending ok. Afterwards every device's TRE is a PKCS#11 one (p11.ctx, no key
 * file); with the lab's token (its configuration: module, label, the PIN the
 * lab kept) device 1's TRE opens and its PrK_TRE are the token's (made there
 * by the factory: every M2MMobj and outcome of the run was signed, every
 * bootstrap and MCIM opened, by the token); as a software TRE it is refused,
 * and on another token of the same label and PIN (another device) it does
 * not open.
 *
 * Security review: the lab made its token with softhsm2-util --so-pin X
 * --pin Y, which every local user reads in /proc/<pid>/cmdline, and so did
 * the tests' own tokens (tests/hw_token.c). While the lab runs and while
 * this test makes its second token with the lab's PIN, a thread reads the
 * command line of this process and each descendant over and over
 * (t_cmdlines_watch; softhsm2-util lived some 100 ms: the old lab and the
 * old hw_token.c were seen each run); none may hold the PIN the lab kept,
 * nor a --pin or --so-pin argument.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "check.h"
#include "daemon_util.h"
#include "hw_token.h"
#include "lab_report_kit.h"

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-labp11-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];

int main(void)
{
	const char *cli = getenv("OM_CLI");
	char work[200], path[400], conf[400], pin[64] = { 0 };
	if (!cli || !mkdtemp(dir)) {
		fprintf(stderr, "OM_CLI unset (run through ctest) or no temp dir\n");
		return 1;
	}
	snprintf(work, sizeof(work), "%s/lab", dir);
	CHECK_INT(t_cmdlines_watch(), 0);
	lab_run_tre(cli, "pkcs11", "4", "2", work, out, sizeof(out), err, sizeof(err));
	/* 3 genuine devices and the tampered one, each on the token */
	CHECK_INT(lab_devices_with(work, 3, "p11.ctx"), 4);
	CHECK_INT(lab_devices_with(work, 3, "seal.key"), 0);

	/* the lab's token, as a device's configuration names it */
	snprintf(conf, sizeof(conf), "%s/p11/softhsm2.conf", work);
	snprintf(path, sizeof(path), "%s/p11/pin", work);
	FILE *f = fopen(path, "r");
	CHECK(f && fgets(pin, sizeof(pin), f));
	if (f)
		fclose(f);
	CHECK(strlen(pin) >= 8);
	setenv("SOFTHSM2_CONF", conf, 1);
	struct om_tre_backend be = { .kind = OM_TRE_BACKEND_PKCS11, .p11_module = T_SOFTHSM_MODULE,
				     .p11_token = "openmcim-lab", .p11_pin = pin };
	struct om_tre *tre = NULL;
	struct om_tre_status s;
	snprintf(path, sizeof(path), "%s/devices/TRE-00000002", work);
	int rc = om_tre_open_backend(&tre, path, &be, 0);
	CHECK_MSG(rc == 0, "device 2 on the lab's token: %s", om_errname(rc));
	if (tre) {
		CHECK_INT(om_tre_status(tre, &s), 0);
		CHECK(s.counter > 1 && s.n_blocked == 0);
		/* PrK_TRE made in the token by the factory, used there through the whole run */
		CHECK(s.keys_in_token && !s.keys_in_tpm);
	}
	om_tre_close(tre);
	tre = NULL;
	CHECK_INT(om_tre_open(&tre, path, 0), OM_ETRE_BACKEND);
	om_tre_close(tre);
	/* another device's token: same label and PIN, not the same keys (made with the watch paused across its fork, running again after) */
	struct t_softhsm other;
	CHECK_INT(t_softhsm_init(&other, "openmcim-lab", pin), 0);
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, path, &be, 0), OM_ETRE_SEAL);
	om_tre_close(tre);
	t_softhsm_free(&other);
	unsigned long scans = t_cmdlines_stop();
	size_t with_pin = t_cmdlines_with(pin), with_flag = t_cmdlines_with("--pin") + t_cmdlines_with("--so-pin");
	printf("command lines seen while the lab ran and the test made its token: %zu distinct in %lu scans of /proc\n",
	       t_cmdlines_seen(), scans);
	CHECK_MSG(scans > 10, "/proc read only %lu times", scans);
	CHECK_MSG(with_pin == 0 && with_flag == 0, "%zu command lines held the lab's PIN, %zu a PIN argument", with_pin,
		  with_flag);
	t_cmdlines_free();
	du_rm_rf(dir);
	return check_done();
}
