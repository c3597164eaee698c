/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observing a running lab as an operator would (issue 15, docs/operate.md
 * "Metrics" and "Logs"): `openmcim lab` scrapes every daemon's /metrics
 * before it stops them. Each page must pass `promtool check metrics`
 * (Debian's prometheus package), and its counters must agree with what the
 * report says the lab did: with seed 7 and shares 0.25/0.25, 8 devices, 6
 * provisioned at SHO-A (one revoked and one tampered refused by the PVA), 4
 * then moved to SHO-B of which 2 fall back. And a healthy run logs no
 * `error` line in any daemon's log: freeDiameter's own messages included.
 */
#define _DEFAULT_SOURCE /* mkdtemp() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon_util.h"

#define OUT_CAP (64 * 1024)

static char dir[] = "/tmp/om-metrics-lab-XXXXXX";
static char out[OUT_CAP], err[OUT_CAP];
static char work[600];

static const char *const daemons[] = { "pva",	    "vno",	 "ro-hss",    "ro-drf",	   "ro-dpf",
				       "sho-a-hss", "sho-a-sho", "sho-a-drf", "sho-a-dpf", "sho-b-hss",
				       "sho-b-sho", "sho-b-drf", "sho-b-dpf" };
#define N_DAEMONS (sizeof(daemons) / sizeof(daemons[0]))


static char *page_of(const char *daemon)
{
	char path[700];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/metrics/%s.prom", work, daemon);
	char *p = (char *)check_slurp(path, &n);
	CHECK_MSG(p != NULL, "%s: no page scraped", daemon);
	return p;
}

static void expect(const char *daemon, const char *name, long long want)
{
	char *p = page_of(daemon);
	long long got = p ? du_metric_sample(p, name) : -2;
	CHECK_MSG(got == want, "%s: %s = %lld, want %lld", daemon, name, got, want);
	free(p);
}

static void every_page_passes_promtool(void)
{
	char path[700], cmd[800];
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(path, sizeof(path), "%s/metrics/%s.prom", work, daemons[i]);
		snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
		const char *argv[] = { "sh", "-c", cmd, NULL };
		int st = du_run(argv, 1, out, sizeof(out));
		CHECK_MSG(st == 0 && !out[0], "%s: promtool status %d: %.300s", daemons[i], st, out);
		/* and the page is not empty: each daemon shows its connections or its Diameter peers */
		char *p = page_of(daemons[i]);
		CHECK_MSG(p && (strstr(p, "openmcim_http_connections ") || strstr(p, "openmcim_diameter_peers_open ")),
			  "%s: no gauge", daemons[i]);
		free(p);
	}
}

/* The counters against the report and the scenario's fixed shares. */
static void counters_agree(const char *report)
{
	unsigned a = 0, b = 0, att = 0;
	const char *l = strstr(report, "installed sho_a=");
	CHECK(l && sscanf(l, "installed sho_a=%u sho_b=%u", &a, &b) == 2);
	l = strstr(report, "nas_security attaches=");
	CHECK(l && sscanf(l, "nas_security attaches=%u", &att) == 1);
	CHECK_INT(a, 6);
	CHECK_INT(b, 4);
	/* each install is one DM session that ended installed, one M2MMCIMMobj released */
	expect("sho-a-dpf", "openmcim_dpf_dm_sessions_total{result=\"installed\"}", a);
	expect("sho-a-dpf", "openmcim_dpf_releases_total", a);
	expect("sho-b-dpf", "openmcim_dpf_dm_sessions_total{result=\"installed\"}", b);
	/* the revoked and the tampered device: refused with the PVA's verdict, each its own reason at the PVA */
	expect("sho-a-dpf", "openmcim_dpf_refusals_total{code=\"OM_EDPF_PVA_REFUSED\"}", 2);
	expect("pva", "openmcim_pva_validations_total{result=\"revoked\"}", 1);
	expect("pva", "openmcim_pva_validations_total{result=\"measurement-mismatch\"}", 1);
	expect("pva", "openmcim_pva_validations_total{result=\"accepted\"}", a + b);
	/* outcomes: every SHO-A install active; at SHO-B two active, two fell back */
	expect("sho-a-dpf", "openmcim_dpf_outcomes_total{outcome=\"active\"}", a);
	expect("sho-b-dpf", "openmcim_dpf_outcomes_total{outcome=\"active\"}", 2);
	expect("sho-b-dpf", "openmcim_dpf_outcomes_total{outcome=\"fallback\"}", 2);
	/* handovers: the RO's DRF gave all 8 to SHO-A, SHO-A's gave 4 to SHO-B; each push delivered once */
	expect("ro-drf", "openmcim_drf_handovers_total{result=\"accepted\"}", 8);
	expect("ro-drf", "openmcim_drf_pushes_total{result=\"delivered\"}", 8);
	expect("sho-a-drf", "openmcim_drf_handovers_total{result=\"accepted\"}", 4);
	expect("sho-a-drf", "openmcim_drf_pushes_total{result=\"delivered\"}", 4);
	expect("ro-drf", "openmcim_drf_push_queue", 0);
	/* completions (Note Z): the RO heard of SHO-A's 6 actives, SHO-A of SHO-B's 2; the 2 moved away removed */
	expect("ro-drf", "openmcim_drf_completions_total{result=\"completed\"}", a);
	expect("sho-a-drf", "openmcim_drf_completions_total{result=\"completed\"}", 2);
	expect("sho-a-drf", "openmcim_drf_removals_total{result=\"removed\"}", 2);
	expect("sho-a-hss", "openmcim_hss_provisioning_total{command=\"delete\"}", 2);
	/* the registrations, as the owner made them */
	expect("sho-a-sho", "openmcim_sho_registered_devices_total{result=\"new\"}", 8);
	expect("sho-b-sho", "openmcim_sho_registered_devices_total{result=\"new\"}", 4);
	expect("sho-a-sho", "openmcim_sho_handovers_total{result=\"accepted\"}", 8);
	expect("sho-b-sho", "openmcim_sho_handovers_total{result=\"accepted\"}", 4);
	/* S6a: one AIR and one ULR per PCID attach of the 8 devices at the ICF, each answered 2001 */
	expect("ro-hss", "openmcim_hss_air_total{result=\"2001\"}", 8);
	expect("ro-hss", "openmcim_hss_ulr_total{result=\"2001\"}", 8);
	expect("ro-hss", "openmcim_hss_s6a_seconds_count{command=\"air\"}", 8);
	/* every attach the report counts was accepted by the VNO, and timed */
	expect("vno", "openmcim_vno_attaches_total{cause=\"accepted\"}", att);
	expect("vno", "openmcim_vno_attach_seconds_count", att);
	expect("vno", "openmcim_vno_radio_links", 0);
}

static void no_error_lines(void)
{
	char path[700];
	size_t n = 0;
	for (size_t i = 0; i < N_DAEMONS; i++) {
		snprintf(path, sizeof(path), "%s/%s.log", work, daemons[i]);
		char *log = (char *)check_slurp(path, &n);
		CHECK_MSG(log != NULL, "%s", path);
		/* "2026-...Z hss[123] error event ..." */
		const char *e = log ? strstr(log, "] error ") : NULL;
		const char *eol = e ? strchr(e, '\n') : NULL;
		CHECK_MSG(e == NULL, "%s: %.*s", daemons[i], e ? (int)(eol ? eol - e : 200) : 0, e ? e : "");
		free(log);
	}
}

int main(void)
{
	const char *cli = getenv("OM_CLI");
	if (!cli) {
		fprintf(stderr, "metrics_lab_test: OM_CLI is not set (run through ctest)\n");
		return 1;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(work, sizeof(work), "%s/lab", dir);
	const char *argv[] = { cli, "lab", "--devices", "8", "--seed", "7", "--share-b", "0.25",
			       "--share-fallback", "0.25", "--jobs", "4", "--workdir", work, NULL };
	int st = du_run_split(argv, out, sizeof(out), err, sizeof(err));
	CHECK_MSG(st == 0, "lab: exit %d\n%s\n%s", st, out, err);
	char path[700];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/report.txt", work);
	char *rep = (char *)check_slurp(path, &n);
	CHECK(rep && strstr(rep, "result=ok\n"));
	if (rep) {
		every_page_passes_promtool();
		counters_agree(rep);
		no_error_lines();
	}
	free(rep);
	if (check_failures() == 0)
		du_rm_rf(dir);
	else
		fprintf(stderr, "metrics_lab_test: kept %s\n", dir);
	return check_done();
}
