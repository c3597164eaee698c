/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim lab --scenario alt3` small (make test): Alternative 3 end to end
 * (lab/lab_alt3.h). Exit 0 and the report's own verdict, then the daemons'
 * logs checked independently of the report: VNO-1 refused the devices of
 * OP-2 (its HSS does not know them), VNO-2 refused the late ones while
 * suspended and accepted them after activation, and no label's Ku reached
 * any log or database of the operators. Steps 7-8: every device holds, byte
 * for byte, the application parameters its owner gave the activation
 * service (aas-params/ against the device's app-params/), and the AAS's log
 * says each device was challenged and proved its TRE before it was sent its
 * parameters (result=sent: what the AAS knows; the device's Status after
 * is its word, result=device-reported, never a delivery), and the PVA
 * answered a good status for each Cert_TRE the AAS asked about; the attacks: the rogue AAS (serving with the
 * devices' trust root key, MFR-1's signing key, not their aas_pin) got no
 * message at all, and the real one sent nothing for the tampered and the
 * oversized file; the real AAS's configuration names no signing key. The
 * AAS's Prometheus page, scraped by the lab before it stopped, passes
 * `promtool check metrics` and its counters agree with the logs.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"

static char dir[] = "/tmp/om-lab-alt3-XXXXXX";

static char *file(const char *rel);

/* The AAS's page (metrics/aas.prom, the lab's scrape): promtool's check, and the counters of the run. */
static void aas_metrics(void)
{
	char *page = file("metrics/aas.prom"), cmd[1400];
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s/lab/metrics/aas.prom' > '%s/promtool.out' 2>&1", dir, dir);
	int st = system(cmd);
	CHECK_MSG(st == 0, "promtool: status %d (see %s/promtool.out)", st, dir);
	static const struct {
		const char *name;
		long long want;
	} want[] = {
		{ "openmcim_aas_params_sent_total", 6 },
		{ "openmcim_aas_messages_total{result=\"challenged\"}", 8 },
		{ "openmcim_aas_messages_total{result=\"sent\"}", 6 },
		{ "openmcim_aas_messages_total{result=\"refused-file\"}", 2 },
		{ "openmcim_aas_device_reports_total{status=\"200\"}", 6 },
		{ "openmcim_aas_refusals_total{code=\"OM_EOBJ_FIELD\"}", 1 },
		{ "openmcim_aas_refusals_total{code=\"OM_EOBJ_TOO_LONG\"}", 1 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		long long got = page ? du_metric_sample(page, want[i].name) : -2;
		CHECK_MSG(got == want[i].want, "aas: %s = %lld, want %lld", want[i].name, got, want[i].want);
	}
	CHECK_MSG(page && !strstr(page, "delivered"), "no delivery counted");
	free(page);
}


static char *file(const char *rel)
{
	char p[1400];
	snprintf(p, sizeof(p), "%s/lab/%s", dir, rel);
	return (char *)check_slurp(p, NULL);
}

/* Lines of owner.log: "op-N synthetic accept TRE: TRE imsi=I status=..." for part op. */
static unsigned imsis_of(const char *owner_log, const char *op, char out[][16], unsigned cap)
{
	unsigned n = 0;
	for (const char *l = owner_log; l && *l && n < cap; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char o[8], verb[16], imsi[16];
		if (sscanf(l, "%7s synthetic %15s %*s %*s imsi=%15[0-9]", o, verb, imsi) == 3 && !strcmp(o, op) &&
		    !strcmp(verb, "accept"))
			snprintf(out[n++], 16, "%s", imsi);
	}
	return n;
}

int main(void)
{
	char cmd[1200], imsi1[32][16], imsi2[32][16];
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	CHECK(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd), "'%s' lab --scenario alt3 --devices 6 --seed 7 --jobs 3 --workdir '%s/lab' > '%s/out.txt' 2>&1",
		 cli, dir, dir);
	int st = system(cmd);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "lab exit %d (see %s/out.txt)", WEXITSTATUS(st), dir);
	char *report = file("report.txt");
	CHECK_MSG(report && strstr(report, "every device is where it should be"), "report: %s", report ? report : "");
	CHECK(report && strstr(report, "a mistyped Ku: refused"));
	CHECK(report && strstr(report, "6/6   hold the application parameters their owner chose"));
	CHECK(report && strstr(report, "an AAS with the trust root's key, not aas_pin's: refused (OM_EAGENT_AAS_IDENTITY)"));
	CHECK(report && strstr(report, "a tampered parameters file: not sent"));
	CHECK(report && strstr(report, "an oversized parameters file: not sent"));
	/* steps 7-8, read from the files and the AAS's log, not from the report */
	char *aas = file("aas.log"), *rogue = file("aas-rogue.log");
	CHECK_MSG(aas && check_lines_with(aas, "result=refused-file", "code=OM_EOBJ_FIELD") == 1,
		  "the AAS refused the tampered file once");
	CHECK_MSG(aas && check_lines_with(aas, "result=refused-file", "code=OM_EOBJ_TOO_LONG") == 1,
		  "the AAS refused the oversized file once");
	CHECK_MSG(rogue && !strstr(rogue, " activation "), "the rogue AAS got no DM message");
	/* the real AAS holds a key of its own, never the signing key that re-roots devices */
	char *aconf = file("aas.conf");
	CHECK_MSG(aconf && strstr(aconf, "tls_key = ") && !strstr(aconf, "ro-signing"), "the AAS is not given the signing key");
	free(aconf);
	CHECK_MSG(aas && check_lines_with(aas, "result=sent", "tre=") == 6, "six sendings in the AAS's log");
	CHECK_MSG(aas && check_lines_with(aas, "result=device-reported", "dm=200") == 6, "six devices' reports");
	CHECK_MSG(aas && !strstr(aas, "result=delivered"), "the AAS never claims a delivery on the device's word");
	aas_metrics();
	/* each sending after a good status at the PVA (one OCSP request each; the tampered and oversized files too) */
	char *pva = file("pva.log");
	CHECK_MSG(pva && check_lines_with(pva, " ocsp ", "good=1 revoked=0 unknown=0") == 8, "eight good statuses from the PVA");
	free(pva);
	/* each device proved its TRE first: challenged once per session, eight sessions (the attacks' two with it) */
	CHECK_MSG(aas && check_lines_with(aas, "result=challenged", "tre=") == 8, "eight challenges in the AAS's log");
	CHECK_MSG(aas && !strstr(aas, "result=refused-request"), "no device's request refused");
	DIR *given = NULL;
	char gp[700];
	snprintf(gp, sizeof(gp), "%s/lab/aas-params", dir);
	given = opendir(gp);
	CHECK(given != NULL);
	unsigned n_given = 0, n_held = 0;
	for (struct dirent *e; given && (e = readdir(given));) {
		if (e->d_name[0] == '.')
			continue;
		char rel[400], tre[300];
		size_t la = 0, lb = 0;
		n_given++;
		snprintf(rel, sizeof(rel), "%s/lab/aas-params/%s", dir, e->d_name);
		unsigned char *want = check_slurp(rel, &la);
		snprintf(rel, sizeof(rel), "%s/lab/app-params/%s", dir, e->d_name);
		unsigned char *got = check_slurp(rel, &lb);
		snprintf(tre, sizeof(tre), "tre=%s ", e->d_name);
		int same = want && got && la == lb && !memcmp(want, got, la);
		n_held += same;
		CHECK_MSG(same, "%s holds the parameters given for it", e->d_name);
		CHECK_MSG(aas && check_lines_with(aas, tre, "result=sent"), "the AAS sent to %s", e->d_name);
		free(want);
		free(got);
	}
	if (given)
		closedir(given);
	CHECK_MSG(n_given == 6 && n_held == 6, "%u given, %u held", n_given, n_held);
	free(aas);
	free(rogue);
	char *owner = file("owner.log"), *v1 = file("vno-1.log"), *v2 = file("vno-2.log");
	unsigned n1 = imsis_of(owner, "op-1", imsi1, 32), n2 = imsis_of(owner, "op-2", imsi2, 32);
	CHECK_MSG(n1 >= 1 && n2 >= 2 && n1 + n2 == 6, "%u at OP-1, %u at OP-2", n1, n2);
	for (unsigned i = 0; i < n1; i++) {
		CHECK_MSG(check_lines_with(v1, imsi1[i], "attach-complete") || check_lines_with(v1, imsi1[i], "attached"),
			  "VNO-1 attached OP-1's %s", imsi1[i]);
		CHECK_MSG(!check_lines_with(v2, imsi1[i], "attach"), "VNO-2 never saw OP-1's %s", imsi1[i]);
	}
	for (unsigned i = 0; i < n2; i++) {
		CHECK_MSG(check_lines_with(v1, imsi2[i], "attach-reject"), "VNO-1 refused OP-2's %s", imsi2[i]);
		CHECK_MSG(check_lines_with(v2, imsi2[i], "attach-complete") || check_lines_with(v2, imsi2[i], "attached"),
			  "VNO-2 attached OP-2's %s", imsi2[i]);
	}
	CHECK_MSG(check_lines_with(v2, "attach-reject", "001-09") || check_lines_with(v2, "attach-reject", "imsi=00109"),
		  "VNO-2 refused a suspended subscription before its activation");
	/* no Ku in any log or database of the operators */
	DIR *labels = NULL;
	char p[700];
	snprintf(p, sizeof(p), "%s/lab/factory/labels", dir);
	labels = opendir(p);
	CHECK(labels != NULL);
	for (struct dirent *e; labels && (e = readdir(labels));) {
		char *l, ku[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "factory/labels/%s", e->d_name);
		l = file(p);
		if (l && sscanf(l, "TRE_id: %*s Ku: %63s", ku) == 1) {
			static const char *const others[] = { "owner.log", "vno-1.log", "vno-2.log", "op-1-hss.log",
							      "op-2-hss.log", "op-1-hss.db", "op-2-hss.db", "report.txt" };
			for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
				snprintf(p, sizeof(p), "%s/lab/%s", dir, others[k]);
				CHECK_MSG(!check_file_has(p, ku, strlen(ku)), "Ku of %s in %s", e->d_name, others[k]);
			}
		}
		free(l);
	}
	if (labels)
		closedir(labels);
	free(report);
	free(owner);
	free(v1);
	free(v2);
	if (check_failures() == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
