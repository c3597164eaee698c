/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's report (docs/lab.md "Report"): one table for people, the same
 * figures as key=value lines for programs (report.txt). Rates are done
 * devices over the phase's wall time, so they include the phase's waits
 * (the owner's calls, the agents' backoff): what a user of the lab sees.
 */
#include "lab_scenario.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double lab_percentile(const double *v, unsigned n, double q)
{
	double *c, out;
	unsigned k;
	if (n == 0)
		return 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		return 0;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	/* nearest rank: the smallest value with at least q of the sample at or below it */
	k = (unsigned)(q * n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	out = c[k < n ? k : n - 1];
	free(c);
	return out;
}

static double span_s(const struct lab_phase_stats *s)
{
	return s->t1_ms >= s->t0_ms ? (s->t1_ms - s->t0_ms) / 1e3 : -1;
}

static void human(FILE *f, const struct lab *l, const struct lab_run *r)
{
	fprintf(f, "openmcim lab: %u devices (stay %u, move %u, fallback %u, roundtrip %u, roundtrip-c %u, revoked %u,"
		   " tampered %u), seed %llu, %u jobs\n",
		r->n, r->n_part[LAB_PART_STAY], r->n_part[LAB_PART_MOVE], r->n_part[LAB_PART_FALLBACK],
		r->n_part[LAB_PART_ROUNDTRIP], r->n_part[LAB_PART_ROUNDTRIP_C], r->n_part[LAB_PART_REVOKED],
		r->n_part[LAB_PART_TAMPERED],
		(unsigned long long)r->opt.seed,
		r->opt.jobs);
	fprintf(f, "\n%-11s %7s %7s %7s %9s %10s %9s %9s  %s\n", "phase", "done", "failed", "total", "time s",
		"devices/s", "p50 ms", "p99 ms", "latency of");
	for (int p = 0; p < LAB_N_PHASES; p++) {
		const struct lab_phase_stats *s = &r->ph[p];
		double t = span_s(s);
		if (t < 0)
			continue;
		fprintf(f, "%-11s %7u %7u %7u %9.2f ", lab_phase_name((enum lab_phase)p), s->done, s->failed, s->total,
			t);
		if (p == LAB_PH_START || p == LAB_PH_VERIFY || t <= 0)
			fprintf(f, "%10s ", "-");
		else
			fprintf(f, "%10.1f ", s->done / t);
		if (s->n_lat)
			fprintf(f, "%9.0f %9.0f  %s\n", lab_percentile(s->lat_ms, s->n_lat, 0.5),
				lab_percentile(s->lat_ms, s->n_lat, 0.99), s->lat_what ? s->lat_what : "");
		else
			fprintf(f, "%9s %9s  %s\n", "-", "-", p == LAB_PH_START ? "(daemons)" : "");
	}
	fprintf(f, "\nprovisioning end to end (power-on, PCID attach, bootstrap, DM session, install,\n"
		   "attach with the MCIM):\n"
		   "  %.1f devices/s with %u agents at a time, per device p50 %.0f ms, p99 %.0f ms\n",
		r->e2e_rate, r->opt.jobs, r->e2e_p50_ms, r->e2e_p99_ms);
	if (r->n_code && r->n_handover)
		fprintf(f, "  the owner's calls take part of it: transfer code %.0f ms, handover %.0f ms on average\n",
			r->code_ms / r->n_code, r->handover_ms / r->n_handover);
	if (r->crash_line[0])
		fprintf(f, "\ncrash test: %s\n", r->crash_line);
	if (r->agent_reruns || r->owner_retries) {
		fprintf(f, "%sowner calls repeated: %u; agents run again: %u", r->crash_line[0] ? "" : "\n",
			r->owner_retries, r->agent_reruns);
		for (unsigned i = 0; i < 8 && r->rerun_count[i]; i++)
			fprintf(f, "%s%s x%u", i ? ", " : " (after ",
				r->rerun_code[i] ? om_errname(r->rerun_code[i]) : "no push", r->rerun_count[i]);
		fprintf(f, "%s\n", r->rerun_count[0] ? ")" : "");
	}
	fprintf(f, "\nrefusals (%u):\n", r->n_refusals);
	for (unsigned i = 0; i < r->n_refusals; i++)
		fprintf(f, "  %-14s %-9s %s  DPF: %s\n  %-14s %-9s %10s  device: %s\n", r->refusals[i].tre_id,
			lab_part_name(r->refusals[i].part), r->refusals[i].expected ? "expected  " : "UNEXPECTED",
			r->refusals[i].dpf_reason[0] ? r->refusals[i].dpf_reason : "(no refusal line in its log)", "",
			"", "", r->refusals[i].reason);
	fprintf(f, "\nNAS security: %u of %u attaches after Security Mode Control (128-EIA2), each bearer after it\n",
		r->attaches_smc, r->attaches);
	fprintf(f, "\noperators' records: SHO-A %s; SHO-B %s; SHO-C %s; DPF installs SHO-A %u, SHO-B %u, SHO-C %u\n",
		r->states[LAB_SHO_A][0] ? r->states[LAB_SHO_A] : "-", r->states[LAB_SHO_B][0] ? r->states[LAB_SHO_B] : "-",
		r->states[LAB_SHO_C][0] ? r->states[LAB_SHO_C] : "-", r->installed_a, r->installed_b, r->installed_c);
	fprintf(f, "\nunexpected (%u):\n", r->n_problems);
	for (unsigned i = 0; i < r->n_problems && i < LAB_PROBLEMS_MAX; i++)
		fprintf(f, "  %s\n", r->problems[i]);
	if (r->n_problems > LAB_PROBLEMS_MAX)
		fprintf(f, "  ... and %u more\n", r->n_problems - LAB_PROBLEMS_MAX);
	fprintf(f, "\nfiles under %s:\n"
		   "  <daemon>.log   one line per event of each daemon (pva, vno, ro-hss, sho-a-drf, ...)\n"
		   "  %s\n"
		   "  devices/       the TREs of the factory run\n",
		l->dir,
		l->opt.store_pg ? "pg/            the PostgreSQL cluster, a database per daemon (sho_a_drf, ...) owned by its role;\n"
				  "  <daemon>.conf its configuration, <daemon>.pgpass its role's password (0600)"
				: "<daemon>.db    each daemon's SQLite database; <daemon>.conf its configuration");
	if (l->opt.pcaps)
		fprintf(f, "  vno-nas.pcap   the radio side's NAS, vno-s6a.pcap the Diameter S6a (tshark -r FILE)\n");
	fprintf(f, "  report.txt     this report as key=value lines\n");
	fprintf(f, "\nresult: %s\n", r->n_problems ? "FAILED: something unexpected happened (above)"
						: "ok: every device where it should be, every refusal as expected");
}

/* A value between double quotes; the reasons are printable ASCII without quotes, but say so if not. */
static void quoted(FILE *f, const char *key, const char *v)
{
	fprintf(f, " %s=\"", key);
	for (; *v; v++)
		fputc(*v == '"' || *v < ' ' || *v > '~' ? '?' : *v, f);
	fputc('"', f);
}

static void machine(FILE *f, const struct lab *l, const struct lab_run *r)
{
	fprintf(f, "devices=%u seed=%llu jobs=%u share_b=%.3f share_fallback=%.3f share_roundtrip=%.3f"
		   " share_roundtrip_c=%.3f\n", r->n, (unsigned long long)r->opt.seed, r->opt.jobs, r->opt.share_b,
		r->opt.share_fallback, r->opt.share_roundtrip, r->opt.share_roundtrip_c);
	fprintf(f, "store=%s\n", l->opt.store_pg ? "postgresql" : "sqlite");
	for (int p = 0; p < LAB_N_PARTS; p++)
		fprintf(f, "part=%s devices=%u\n", lab_part_name((enum lab_part)p), r->n_part[p]);
	for (int p = 0; p < LAB_N_PHASES; p++) {
		const struct lab_phase_stats *s = &r->ph[p];
		double t = span_s(s);
		if (t < 0)
			continue;
		fprintf(f, "phase=%s done=%u failed=%u total=%u seconds=%.3f rate=%.2f p50_ms=%.1f p99_ms=%.1f\n",
			lab_phase_name((enum lab_phase)p), s->done, s->failed, s->total, t, t > 0 ? s->done / t : 0,
			lab_percentile(s->lat_ms, s->n_lat, 0.5), lab_percentile(s->lat_ms, s->n_lat, 0.99));
	}
	fprintf(f, "e2e_provision rate=%.2f p50_ms=%.1f p99_ms=%.1f\n", r->e2e_rate, r->e2e_p50_ms, r->e2e_p99_ms);
	fprintf(f, "owner_calls transfer_code_mean_ms=%.1f n=%u handover_mean_ms=%.1f n=%u\n",
		r->n_code ? r->code_ms / r->n_code : 0, r->n_code, r->n_handover ? r->handover_ms / r->n_handover : 0,
		r->n_handover);
	for (unsigned i = 0; i < r->n_refusals; i++) {
		fprintf(f, "refusal tre_id=%s part=%s expected=%d", r->refusals[i].tre_id,
			lab_part_name(r->refusals[i].part), r->refusals[i].expected);
		quoted(f, "dpf_reason", r->refusals[i].dpf_reason);
		quoted(f, "device", r->refusals[i].reason);
		fputc('\n', f);
	}
	if (r->crash_line[0]) {
		fprintf(f, "crash");
		quoted(f, "what", r->crash_line);
		fputc('\n', f);
	}
	fprintf(f, "retries owner_calls=%u agent_runs=%u", r->owner_retries, r->agent_reruns);
	for (unsigned i = 0; i < 8 && r->rerun_count[i]; i++)
		fprintf(f, " %s=%u", r->rerun_code[i] ? om_errname(r->rerun_code[i]) : "no_push", r->rerun_count[i]);
	fputc('\n', f);
	fprintf(f, "nas_security attaches=%u after_smc=%u\n", r->attaches, r->attaches_smc);
	fprintf(f, "installed sho_a=%u sho_b=%u sho_c=%u\n", r->installed_a, r->installed_b, r->installed_c);
	fprintf(f, "states sho_a=\"%s\" sho_b=\"%s\" sho_c=\"%s\"\n", r->states[LAB_SHO_A], r->states[LAB_SHO_B],
		r->states[LAB_SHO_C]);
	for (unsigned i = 0; i < r->n_problems && i < LAB_PROBLEMS_MAX; i++) {
		fprintf(f, "problem");
		quoted(f, "what", r->problems[i]);
		fputc('\n', f);
	}
	fprintf(f, "problems=%u\n", r->n_problems);
	fprintf(f, "dir=%s\n", l->dir);
	fprintf(f, "result=%s\n", r->n_problems ? "failed" : "ok");
}

void lab_report_write(FILE *f, const struct lab *l, const struct lab_run *r, int as_machine)
{
	if (as_machine)
		machine(f, l, r);
	else
		human(f, l, r);
	fflush(f);
}
