/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lab's scenario (lab_scenario.h, docs/lab.md "Scenario"): the owner and
 * the devices acting as they would in the field, every device the real
 * device agent, J of them at a time in worker threads. The owner acts from
 * the agent's "attached" event: a device that has just attached is one the
 * owner has powered on, and the bootstrap pushed to it finds it listening.
 */
#include "lab_scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/tre.h>

#include "admin_call.h"
#include "agent.h"
#include "dpf_status.h"
#include "lab_proc.h" /* lab_op_id, lab_op_drf */
#include "sho.h" /* SHO_FELL_BACK_REASON */
#include "sho_admin.h"

/* One device's story; the fields a phase writes are its worker's alone until the phase ends. */
struct lab_device {
	unsigned i;
	const char *tre_id;
	enum lab_part part;
	int failed;                           /* a phase went wrong: out of the later phases */
	char code[32];                        /* the transfer code of the current handover */
	int have_code, handed_over;
	double t_on, t_attached, t_handover, t_done;
	int outcome;
	char reason[160];
	char last_step[32];
	char imsi_a[OM_MCIM_IMSI_MAX + 1];    /* the SHO-A MCIM's IMSI */
	char imsi_b[OM_MCIM_IMSI_MAX + 1];
	char imsi_c[OM_MCIM_IMSI_MAX + 1];
	enum lab_op at;                       /* the operator serving it: the owner's code comes from its DRF */
	double t_moved;                       /* PROVISIONED at its last operator, for the release latency */
};

static const char *const phase_names[LAB_N_PHASES] = {
	"factory", "start", "register", "power-up", "provision", "register-b", "transfer", "fallback",
	"register-c", "onward", "register-back", "return", "release", "verify",
};

static const char *const part_names[LAB_N_PARTS] = { "stay",	   "move",	"fallback",   "revoked",
						     "tampered", "roundtrip", "roundtrip-c" };

const char *lab_phase_name(enum lab_phase p)
{
	return (unsigned)p < LAB_N_PHASES ? phase_names[p] : "?";
}

const char *lab_part_name(enum lab_part p)
{
	return (unsigned)p < LAB_N_PARTS ? part_names[p] : "?";
}

/* ---- the run's record ------------------------------------------------------- */

struct run_priv {
	struct timespec t0;
	pthread_mutex_t mu; /* problems, refusals, counters written by workers */
	const struct lab_device **by_id; /* verify: the devices sorted by TRE_id */
};

static double ts_ms(const struct timespec *t)
{
	return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6;
}

double lab_run_now_ms(const struct lab_run *r)
{
	const struct run_priv *p = r->priv;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ts_ms(&now) - ts_ms(&p->t0);
}

/* splitmix64: a small generator whose sequence only the seed decides, on every platform */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned share_count(double share, unsigned of, unsigned left)
{
	unsigned k = (unsigned)(share * of + 0.5);
	if (share > 0 && k == 0)
		k = 1;
	return k > left ? left : k;
}

int lab_run_init(struct lab_run *r, const struct lab_scenario_options *opt, unsigned n_genuine, unsigned n_tampered)
{
	struct run_priv *p;
	unsigned *order, rest, nb, nf, nr, nc, k = 0, n = n_genuine + n_tampered;
	uint64_t s;
	memset(r, 0, sizeof(*r));
	if (!opt || n_genuine == 0 || opt->jobs == 0 || opt->share_b < 0 || opt->share_fallback < 0 ||
	    opt->share_roundtrip < 0 || opt->share_roundtrip_c < 0 ||
	    opt->share_b + opt->share_fallback + opt->share_roundtrip + opt->share_roundtrip_c > 1)
		return OM_EINVAL;
	r->opt = *opt;
	r->n = n;
	r->dev = calloc(n, sizeof(*r->dev));
	p = calloc(1, sizeof(*p));
	order = calloc(n_genuine, sizeof(*order));
	if (!r->dev || !p || !order) {
		free(order);
		free(p);
		free(r->dev);
		r->dev = NULL;
		return OM_ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	pthread_mutex_init(&p->mu, NULL);
	r->priv = p;
	{
		struct timespec w;
		clock_gettime(CLOCK_REALTIME, &w);
		r->start_ms_epoch = ts_ms(&w);
	}
	for (unsigned i = 0; i < LAB_N_PHASES; i++)
		r->ph[i].t1_ms = -1;
	for (unsigned i = 0; i < n; i++) {
		r->dev[i].i = i;
		r->dev[i].part = i < n_genuine ? LAB_PART_STAY : LAB_PART_TAMPERED;
	}
	/* Fisher-Yates from the seed: the same seed picks the same genuine devices for each part */
	s = opt->seed;
	for (unsigned i = 0; i < n_genuine; i++)
		order[i] = i;
	for (unsigned i = n_genuine - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng_next(&s) % (i + 1));
		unsigned t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* the revoked device needs one of its own; with fewer than 3 genuine devices only the happy path runs */
	if (n_genuine >= 3)
		r->dev[order[k++]].part = LAB_PART_REVOKED;
	rest = n_genuine - k;
	nb = share_count(opt->share_b, rest, rest);
	nf = share_count(opt->share_fallback, rest, rest - nb);
	nr = share_count(opt->share_roundtrip, rest, rest - nb - nf);
	nc = share_count(opt->share_roundtrip_c, rest, rest - nb - nf - nr);
	for (unsigned i = 0; i < nb; i++)
		r->dev[order[k++]].part = LAB_PART_MOVE;
	for (unsigned i = 0; i < nf; i++)
		r->dev[order[k++]].part = LAB_PART_FALLBACK;
	for (unsigned i = 0; i < nr; i++)
		r->dev[order[k++]].part = LAB_PART_ROUNDTRIP;
	for (unsigned i = 0; i < nc; i++)
		r->dev[order[k++]].part = LAB_PART_ROUNDTRIP_C;
	for (unsigned i = 0; i < n; i++)
		r->n_part[r->dev[i].part]++;
	free(order);
	return 0;
}

void lab_run_free(struct lab_run *r)
{
	struct run_priv *p = r->priv;
	for (unsigned i = 0; i < LAB_N_PHASES; i++)
		free(r->ph[i].lat_ms);
	free(r->dev);
	if (p) {
		pthread_mutex_destroy(&p->mu);
		free(p);
	}
	memset(r, 0, sizeof(*r));
}

void lab_run_phase_set(struct lab_run *r, enum lab_phase p, unsigned total, unsigned done, double t0_ms,
		       double t1_ms)
{
	struct lab_phase_stats *s = &r->ph[p];
	s->total = total;
	s->done = done;
	s->failed = total - done;
	s->t0_ms = t0_ms;
	s->t1_ms = t1_ms;
}

static void vproblem(struct lab_run *r, const char *fmt, va_list ap)
{
	struct run_priv *p = r->priv;
	pthread_mutex_lock(&p->mu);
	if (r->n_problems < LAB_PROBLEMS_MAX)
		vsnprintf(r->problems[r->n_problems], sizeof(r->problems[0]), fmt, ap);
	r->n_problems++;
	pthread_mutex_unlock(&p->mu);
}

void lab_run_problem(struct lab_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem(r, fmt, ap);
	va_end(ap);
}

static void add_latency(struct lab_run *r, enum lab_phase ph, double ms)
{
	struct run_priv *p = r->priv;
	struct lab_phase_stats *s = &r->ph[ph];
	pthread_mutex_lock(&p->mu);
	if (!s->lat_ms)
		s->lat_ms = calloc(r->n, sizeof(double));
	if (s->lat_ms && s->n_lat < r->n)
		s->lat_ms[s->n_lat++] = ms;
	pthread_mutex_unlock(&p->mu);
}

static void count(struct lab_run *r, unsigned *c)
{
	struct run_priv *p = r->priv;
	pthread_mutex_lock(&p->mu);
	(*c)++;
	pthread_mutex_unlock(&p->mu);
}

static void rerun(struct lab_run *r, int code)
{
	struct run_priv *p = r->priv;
	pthread_mutex_lock(&p->mu);
	r->agent_reruns++;
	for (unsigned i = 0; i < 8; i++)
		if (r->rerun_count[i] == 0 || r->rerun_code[i] == code) {
			r->rerun_code[i] = code;
			r->rerun_count[i]++;
			break;
		}
	pthread_mutex_unlock(&p->mu);
}

static void owner_time(struct lab_run *r, double *sum, unsigned *n, double ms)
{
	struct run_priv *p = r->priv;
	pthread_mutex_lock(&p->mu);
	*sum += ms;
	(*n)++;
	pthread_mutex_unlock(&p->mu);
}

static void nap_ms(unsigned ms)
{
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* ---- one phase: the agents, J at a time --------------------------------------- */

struct phase {
	struct lab *l;
	struct lab_run *r;
	enum lab_phase ph;
	enum lab_op from, to;         /* the handover: current SHO and the new one */
	unsigned *idx, n;             /* the devices of the phase */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned next, finished, done, failed, attached;
};

struct dev_ctx {
	struct phase *p;
	struct lab_device *d;
	int attached;
};

/* What the agent should end with in this phase, for this device. */
static int expected_outcome(const struct phase *p, const struct lab_device *d)
{
	if (p->ph == LAB_PH_FALLBACK)
		return OM_AGENT_FELL_BACK;
	if (d->part == LAB_PART_REVOKED || d->part == LAB_PART_TAMPERED)
		return OM_AGENT_REFUSED;
	return OM_AGENT_PROVISIONED;
}

/*
 * The owner's side of one handover: a transfer code from the current SHO,
 * then POST /handover at the new one. Calls that get no answer, or a 5xx
 * (pending: the new SHO could not reach the current one), are repeated with
 * the same code, which both SHOs answer idempotently; so a daemon killed
 * and restarted in between costs time, not the device.
 */
static void owner_handover(struct dev_ctx *c)
{
	struct phase *p = c->p;
	struct lab_device *d = c->d;
	char answer[512];
	unsigned backoff = 250;
	int st = 0;
	for (int t = 0; !d->have_code && t < 10; t++) {
		double t0 = lab_run_now_ms(p->r);
		int rc = lab_transfer_code(p->l, d->at, d->tre_id, d->code);
		owner_time(p->r, &p->r->code_ms, &p->r->n_code, lab_run_now_ms(p->r) - t0);
		if (rc == 0) {
			d->have_code = 1;
			break;
		}
		count(p->r, &p->r->owner_retries);
		nap_ms(backoff);
		backoff = backoff < 4000 ? backoff * 2 : backoff;
	}
	if (!d->have_code) {
		lab_run_problem(p->r, "%s %s: no transfer code from %s", lab_phase_name(p->ph), d->tre_id,
				lab_op_id(d->at));
		return;
	}
	if (d->t_handover <= 0)
		d->t_handover = lab_run_now_ms(p->r);
	backoff = 250;
	for (int t = 0; t < 12; t++) {
		double t0 = lab_run_now_ms(p->r);
		st = lab_handover(p->l, p->to, d->tre_id, d->code, answer, sizeof(answer));
		owner_time(p->r, &p->r->handover_ms, &p->r->n_handover, lab_run_now_ms(p->r) - t0);
		if (st == 200) {
			d->handed_over = 1;
			return;
		}
		if (st >= 400 && st < 500)
			break;
		count(p->r, &p->r->owner_retries);
		nap_ms(backoff);
		backoff = backoff < 4000 ? backoff * 2 : backoff;
	}
	answer[strcspn(answer, "\r\n")] = '\0';
	lab_run_problem(p->r, "%s %s: handover refused or unanswered (status %d: %.100s)", lab_phase_name(p->ph),
			d->tre_id, st, st > 0 ? answer : "no answer");
}

/*
 * Every attach runs Security Mode Control before its bearer (TS 24.301
 * 5.4.3; the device refuses an Attach Accept before it): the agent's
 * "attached" events say smc=N eea=E eia=I, and one without is a problem.
 */
static void nas_security(struct dev_ctx *c, const char *detail)
{
	const char *smc = strstr(detail, " smc="), *eia = strstr(detail, " eia=");
	int ok = smc && atoi(smc + 5) >= 1 && eia && atoi(eia + 5) == 2;
	count(c->p->r, &c->p->r->attaches);
	if (ok)
		count(c->p->r, &c->p->r->attaches_smc);
	else
		lab_run_problem(c->p->r, "%s %s: attached without Security Mode Control (%s)", lab_phase_name(c->p->ph),
				c->d->tre_id, detail);
}

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	struct dev_ctx *c = arg;
	struct lab_device *d = c->d;
	(void)tre_id;
	/* what the device last did before coming to rest, for a problem's line */
	if (strcmp(step, "rest") && strcmp(step, "detached"))
		snprintf(d->last_step, sizeof(d->last_step), "%s", step);
	if (!strcmp(step, "attached") || !strcmp(step, "attached-new"))
		nas_security(c, detail);
	if (strcmp(step, "attached"))
		return;
	if (!c->attached) {
		c->attached = 1;
		d->t_attached = lab_run_now_ms(c->p->r);
		if (c->p->ph == LAB_PH_PROVISION) {
			add_latency(c->p->r, LAB_PH_POWER_UP, d->t_attached - d->t_on);
			pthread_mutex_lock(&c->p->mu);
			c->p->attached++;
			pthread_mutex_unlock(&c->p->mu);
		}
	}
	/* again after an agent re-run: a handover that never got its answer is asked for again */
	if (!d->handed_over)
		owner_handover(c);
}

/* 1 if hay holds needle (lower case ASCII) in any case. */
static int has_word(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t k = 0;
		while (k < n && hay[k] && (hay[k] | 0x20) == needle[k])
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

/* The PVA's word for the check that failed (docs/pva.md), in the DPF's reason. */
static int expected_reason(const struct lab_device *d, const char *reason)
{
	if (d->part == LAB_PART_REVOKED)
		return has_word(reason, "revoked");
	if (d->part == LAB_PART_TAMPERED)
		return has_word(reason, "measurement-mismatch");
	return 0;
}

/*
 * Why the DPF refused tre_id: a device is only told the DM status (403), so
 * the operator's side of the story is the DPF's log, which has one
 * `m2mmobj tre_id=X result=refused code=C reason=R` line per refusal
 * (docs/dpf.md). The last one for the TRE wins; "" when there is none.
 */
static void dpf_reason(struct lab *l, enum lab_op op, const char *tre_id, char *out, size_t cap)
{
	static const char *const logs[LAB_N_OPS] = { "ro-dpf.log", "sho-a-dpf.log", "sho-b-dpf.log", "sho-c-dpf.log" };
	char path[LAB_PATH_MAX], line[1024], needle[OM_TRE_ID_MAX + 32];
	FILE *f = fopen(lab_path(l, logs[op], path, sizeof(path)), "r");
	out[0] = '\0';
	if (!f)
		return;
	snprintf(needle, sizeof(needle), " m2mmobj tre_id=%s result=refused ", tre_id);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, needle);
		if (!p)
			continue;
		p += strlen(needle);
		snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
	}
	fclose(f);
}

/* Run device d's agent to rest, again after a network error (it resumes from its TRE), and judge the outcome. */
static int run_device(struct phase *p, struct lab_device *d)
{
	struct lab_run *r = p->r;
	struct om_agent_config cfg;
	struct om_agent_result res;
	struct dev_ctx c = { .p = p, .d = d };
	char buf[2 * LAB_PATH_MAX];
	int rc = 0, want = expected_outcome(p, d);
	d->have_code = d->handed_over = 0;
	d->t_handover = 0;
	d->outcome = 0;
	d->reason[0] = '\0';
	lab_agent_config(p->l, d->i, &cfg, buf, sizeof(buf));
	cfg.wait_push_ms = r->opt.wait_push_ms;
	cfg.on_event = on_event;
	cfg.event_arg = &c;
	d->t_on = lab_run_now_ms(r);
	for (int run = 0; run < 4; run++) {
		memset(&res, 0, sizeof(res));
		rc = om_agent_run(&cfg, &res);
		/*
		 * An error (a daemon killed mid-exchange) or a push that never came: the device is
		 * powered on again and its agent resumes from the TRE, as a device in the field
		 * would after a reboot. The report counts these runs by error.
		 */
		if ((rc < 0 || (rc == 0 && res.outcome == OM_AGENT_IDLE && r->opt.crash >= 0)) && run < 3) {
			rerun(r, rc);
			nap_ms(1000u << run); /* a reboot takes a while: a daemon being restarted gets its time */
			continue;
		}
		break;
	}
	d->t_done = lab_run_now_ms(r);
	d->outcome = rc == 0 ? res.outcome : 0;
	snprintf(d->reason, sizeof(d->reason), "%s", res.reason);
	if (rc < 0) {
		lab_run_problem(r, "%s %s: agent error %s (%s) after step %s", lab_phase_name(p->ph), d->tre_id,
				om_errname(rc), res.reason, d->last_step[0] ? d->last_step : "none");
		return -1;
	}
	if (res.outcome == OM_AGENT_REFUSED) {
		struct run_priv *rp = r->priv;
		char why[200];
		dpf_reason(p->l, p->to, d->tre_id, why, sizeof(why));
		pthread_mutex_lock(&rp->mu);
		if (r->n_refusals < LAB_REFUSALS_MAX) {
			struct lab_refusal *f = &r->refusals[r->n_refusals++];
			snprintf(f->tre_id, sizeof(f->tre_id), "%s", d->tre_id);
			f->part = d->part;
			snprintf(f->reason, sizeof(f->reason), "%s", res.reason);
			snprintf(f->dpf_reason, sizeof(f->dpf_reason), "%s", why);
			f->expected = want == OM_AGENT_REFUSED && expected_reason(d, why);
		}
		pthread_mutex_unlock(&rp->mu);
		snprintf(d->reason, sizeof(d->reason), "%.*s", (int)sizeof(d->reason) - 1, why[0] ? why : res.reason);
	}
	if (res.outcome != want) {
		lab_run_problem(r, "%s %s (%s): outcome %s, expected %s (last step %s)%s%s", lab_phase_name(p->ph),
				d->tre_id, lab_part_name(d->part), om_agent_outcome_name(res.outcome),
				om_agent_outcome_name(want), d->last_step, res.reason[0] ? ": " : "", res.reason);
		return -1;
	}
	if (want == OM_AGENT_REFUSED && !expected_reason(d, d->reason)) {
		lab_run_problem(r, "%s %s (%s): refused with an unexpected reason: %s", lab_phase_name(p->ph),
				d->tre_id, lab_part_name(d->part), d->reason);
		return -1;
	}
	switch (p->ph) {
	case LAB_PH_PROVISION:
		if (want == OM_AGENT_PROVISIONED) {
			snprintf(d->imsi_a, sizeof(d->imsi_a), "%s", res.imsi);
			pthread_mutex_lock(&((struct run_priv *)r->priv)->mu);
			if (!r->ids[LAB_SHO_A][0])
				snprintf(r->ids[LAB_SHO_A], sizeof(r->ids[0]), "%s", res.owner);
			pthread_mutex_unlock(&((struct run_priv *)r->priv)->mu);
		}
		break;
	case LAB_PH_RETURN:
		if (!strcmp(res.imsi, d->imsi_a)) {
			lab_run_problem(r, "return %s: attached with its first SHO-A IMSI %s again", d->tre_id, res.imsi);
			return -1;
		}
		d->t_moved = d->t_done;
		break;
	case LAB_PH_TRANSFER:
	case LAB_PH_ONWARD: {
		enum lab_op to = p->ph == LAB_PH_TRANSFER ? LAB_SHO_B : LAB_SHO_C;
		char *imsi = to == LAB_SHO_B ? d->imsi_b : d->imsi_c;
		snprintf(imsi, sizeof(d->imsi_b), "%s", res.imsi);
		d->t_moved = d->t_done;
		pthread_mutex_lock(&((struct run_priv *)r->priv)->mu);
		if (!r->ids[to][0])
			snprintf(r->ids[to], sizeof(r->ids[0]), "%s", res.owner);
		pthread_mutex_unlock(&((struct run_priv *)r->priv)->mu);
		break;
	}
	case LAB_PH_FALLBACK:
		if (strcmp(res.imsi, d->imsi_a)) {
			lab_run_problem(r, "fallback %s: attached as %s, not its SHO-A IMSI %s", d->tre_id, res.imsi,
					d->imsi_a);
			return -1;
		}
		break;
	default:
		break;
	}
	if (want == OM_AGENT_PROVISIONED)
		d->at = p->to;
	if (d->t_handover > 0)
		add_latency(r, p->ph, d->t_done - d->t_handover);
	return 0;
}

static void *worker(void *arg)
{
	struct phase *p = arg;
	for (;;) {
		struct lab_device *d;
		int rc;
		pthread_mutex_lock(&p->mu);
		if (p->next >= p->n) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		d = &p->r->dev[p->idx[p->next++]];
		pthread_mutex_unlock(&p->mu);
		rc = run_device(p, d);
		pthread_mutex_lock(&p->mu);
		if (rc == 0) {
			p->done++;
		} else {
			p->failed++;
			d->failed = 1;
		}
		p->finished++;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/*
 * One line per phase, rewritten in place on the terminal; extra says more (the power-up's count: power-up
 * and provision are one pass of the agents). The rate waits for half a second of the phase to mean something.
 */
static void progress(const struct lab_run *r, const char *name, unsigned done, unsigned failed, unsigned total,
		     double t0, const char *extra, int last)
{
	double s = (lab_run_now_ms(r) - t0) / 1e3;
	if (!r->opt.progress)
		return;
	fprintf(stderr, "\r\033[K  %-10s %6u/%u done  %u failed  %.1f devices/s%s%s", name, done, total, failed,
		s >= 0.5 ? done / s : 0.0, extra ? extra : "", last ? "\n" : "");
	fflush(stderr);
}

/* Which phase a daemon is killed in: the first that depends on it (docs/lab.md "Crash test"). */
static enum lab_phase crash_phase(int d)
{
	switch (d) {
	case LAB_D_A_DRF:
	case LAB_D_B_HSS:
	case LAB_D_B_SHO:
	case LAB_D_B_DRF:
	case LAB_D_B_DPF:
		return LAB_PH_TRANSFER;
	default:
		return LAB_PH_PROVISION;
	}
}

static void crash_now(struct lab *l, struct lab_run *r, enum lab_phase ph, unsigned done)
{
	char why[256] = "";
	double t0 = lab_run_now_ms(r);
	int d = r->opt.crash;
	lab_kill(l, (enum lab_daemon)d, SIGKILL);
	/* long enough that exchanges in flight see it gone, short enough to stay inside the phase */
	nap_ms(500);
	if (lab_restart(l, (enum lab_daemon)d, why, sizeof(why)) < 0) {
		lab_run_problem(r, "crash: %s did not restart: %s", lab_daemon_name((enum lab_daemon)d), why);
		snprintf(r->crash_line, sizeof(r->crash_line),
			 "%s killed (SIGKILL) in %s after %u devices; restart failed",
			 lab_daemon_name((enum lab_daemon)d), lab_phase_name(ph), done);
		return;
	}
	snprintf(r->crash_line, sizeof(r->crash_line),
		 "%s killed (SIGKILL) in %s after %u devices at %.1f s, restarted in %.2f s",
		 lab_daemon_name((enum lab_daemon)d), lab_phase_name(ph), done, t0 / 1e3,
		 (lab_run_now_ms(r) - t0) / 1e3);
}

static int run_phase(struct lab *l, struct lab_run *r, enum lab_phase ph, enum lab_op from, enum lab_op to,
		     unsigned *idx, unsigned n)
{
	struct phase p = { .l = l, .r = r, .ph = ph, .from = from, .to = to, .idx = idx, .n = n };
	unsigned jobs = r->opt.jobs < n ? r->opt.jobs : n, started = 0;
	pthread_t *th = calloc(jobs ? jobs : 1, sizeof(*th));
	int crash = r->opt.crash >= 0 && crash_phase(r->opt.crash) == ph && !r->crash_line[0];
	struct lab_phase_stats *s = &r->ph[ph];
	char extra[64] = "";
	if (!th)
		return OM_ENOMEM;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	s->total = n;
	s->t0_ms = lab_run_now_ms(r);
	if (ph == LAB_PH_PROVISION) {
		r->ph[LAB_PH_POWER_UP].total = n;
		r->ph[LAB_PH_POWER_UP].t0_ms = s->t0_ms;
	}
	for (unsigned i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, worker, &p) == 0)
			started++;
	if (started == 0 && n > 0) {
		lab_run_problem(r, "%s: no worker thread could start", lab_phase_name(ph));
		p.next = n; /* nothing runs: every device counts as failed below */
		p.failed = n;
		p.finished = n;
	}
	pthread_mutex_lock(&p.mu);
	while (p.finished < n) {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 250 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p.cv, &p.mu, &dl);
		if (crash && p.finished >= (n + 1) / 2) {
			unsigned done = p.finished;
			crash = 0;
			pthread_mutex_unlock(&p.mu);
			crash_now(l, r, ph, done);
			pthread_mutex_lock(&p.mu);
		}
		if (ph == LAB_PH_PROVISION)
			snprintf(extra, sizeof(extra), "  (powered up and attached: %u)", p.attached);
		progress(r, lab_phase_name(ph), p.done, p.failed, n, s->t0_ms, extra, 0);
	}
	pthread_mutex_unlock(&p.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	s->t1_ms = lab_run_now_ms(r);
	s->done = p.done;
	s->failed = p.failed;
	if (ph == LAB_PH_PROVISION) {
		struct lab_phase_stats *u = &r->ph[LAB_PH_POWER_UP];
		u->t1_ms = s->t1_ms;
		u->done = p.attached;
		u->failed = n - p.attached;
		snprintf(extra, sizeof(extra), "  (powered up and attached: %u)", p.attached);
	}
	progress(r, lab_phase_name(ph), p.done, p.failed, n, s->t0_ms, extra, 1);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return 0;
}

/* ---- the phases ---------------------------------------------------------------- */

/* The devices of the given parts not out of the story yet. */
static unsigned pick(const struct lab_run *r, unsigned *idx, unsigned mask)
{
	unsigned k = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (!r->dev[i].failed && (mask & (1u << r->dev[i].part)))
			idx[k++] = i;
	return k;
}

/* The manufacturer revokes the device's Cert_TRE at the PVA, as an operator would: `openmcim pva-admin`. */
static int pva_revoke(struct lab *l, const char *tre_id, char *why, size_t why_len)
{
	char cli[LAB_PATH_MAX + 16], sock[LAB_PATH_MAX];
	pid_t pid;
	int st;
	snprintf(cli, sizeof(cli), "%s/openmcim", l->bin_dir);
	lab_path(l, "pva/admin.sock", sock, sizeof(sock));
	pid = fork();
	if (pid < 0)
		return snprintf(why, why_len, "fork: %s", strerror(errno)), OM_ELAB_OWNER;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(cli, "openmcim", "pva-admin", "--socket", sock, "revoke", tre_id, "keyCompromise", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return snprintf(why, why_len, "openmcim pva-admin revoke %s exited %d", tre_id,
				WIFEXITED(st) ? WEXITSTATUS(st) : -1), OM_ELAB_OWNER;
	return 0;
}

static int phase_register(struct lab *l, struct lab_run *r, enum lab_phase ph, enum lab_op op, enum lab_op from,
			  unsigned *idx, unsigned n)
{
	char why[256] = "";
	const char **ids = NULL;
	int got;
	double t0 = lab_run_now_ms(r);
	if (ph != LAB_PH_REGISTER) {
		ids = calloc(n ? n : 1, sizeof(*ids));
		if (!ids)
			return OM_ENOMEM;
		for (unsigned i = 0; i < n; i++)
			ids[i] = r->dev[idx[i]].tre_id;
	}
	if (r->opt.progress)
		fprintf(stderr, "  %-10s %u devices in one call...", lab_phase_name(ph), n);
	got = lab_register(l, op, from, ids, ids ? n : 0, why, sizeof(why));
	free(ids);
	if (r->opt.progress)
		fputc('\n', stderr);
	{
		/* a phase of several calls (register-back: one per current SHO) counts them all */
		const struct lab_phase_stats *was = &r->ph[ph];
		int again = was->t1_ms >= 0;
		lab_run_phase_set(r, ph, n + (again ? was->total : 0),
				  (got > 0 ? (unsigned)got : 0) + (again ? was->done : 0), again ? was->t0_ms : t0,
				  lab_run_now_ms(r));
	}
	if (got < 0) {
		lab_run_problem(r, "%s: %s", lab_phase_name(ph), why);
		return got;
	}
	if ((unsigned)got != n)
		lab_run_problem(r, "%s: %d of %u devices registered (current SHO %s)", lab_phase_name(ph), got, n,
				lab_op_id(from));
	add_latency(r, ph, lab_run_now_ms(r) - t0);
	r->ph[ph].lat_what = "the whole bulk call";
	return 0;
}

/* Note Z: poll SHO-A's HSS until the movers' old IMSIs are gone; the fallback devices' must stay. */
static void phase_release(struct lab *l, struct lab_run *r, const unsigned *idx, unsigned n)
{
	struct lab_phase_stats *s = &r->ph[LAB_PH_RELEASE];
	unsigned movers = 0, gone = 0, kept = 0;
	double deadline;
	char *seen = calloc(n ? n : 1, 1);
	if (!seen) {
		lab_run_problem(r, "release: out of memory");
		return;
	}
	s->t0_ms = lab_run_now_ms(r);
	s->total = n;
	s->lat_what = "PROVISIONED at SHO-B -> old IMSI seen gone (polls from the phase's start, 0.5 s)";
	for (unsigned k = 0; k < n; k++)
		movers += r->dev[idx[k]].part != LAB_PART_FALLBACK;
	/* the DRF removes at its next sweep after the grace period: allow three of them and some slack */
	deadline = s->t0_ms + r->opt.grace_s * 3000.0 + 20000.0;
	while (gone < movers && lab_run_now_ms(r) < deadline) {
		for (unsigned k = 0; k < n; k++) {
			struct lab_device *d = &r->dev[idx[k]];
			if (seen[k] || d->part == LAB_PART_FALLBACK)
				continue;
			/* a round trip also left SHO-B (and SHO-C): its IMSIs there go too */
			if (lab_hss_has(l, LAB_SHO_A, d->imsi_a) == 0 &&
			    (d->part != LAB_PART_ROUNDTRIP || lab_hss_has(l, LAB_SHO_B, d->imsi_b) == 0) &&
			    (d->part != LAB_PART_ROUNDTRIP_C || (lab_hss_has(l, LAB_SHO_B, d->imsi_b) == 0 &&
								 lab_hss_has(l, LAB_SHO_C, d->imsi_c) == 0))) {
				seen[k] = 1;
				gone++;
				add_latency(r, LAB_PH_RELEASE, lab_run_now_ms(r) - d->t_moved);
			}
		}
		if (r->opt.progress)
			progress(r, "release", gone, 0, movers, s->t0_ms, "  (old IMSIs gone from SHO-A)", 0);
		if (gone < movers)
			nap_ms(500);
	}
	/* a fallback device must still be there after a whole grace period (it never completed at SHO-B) */
	while (lab_run_now_ms(r) < r->ph[LAB_PH_FALLBACK].t1_ms + r->opt.grace_s * 1000.0 + 1000.0)
		nap_ms(200);
	for (unsigned k = 0; k < n; k++) {
		struct lab_device *d = &r->dev[idx[k]];
		int has;
		if (d->part != LAB_PART_FALLBACK) {
			if (!seen[k])
				lab_run_problem(r, "release: %s's old IMSI %s (or %s, %s) still at SHO-A's (SHO-B's, SHO-C's)"
						" HSS after %.0f s", d->tre_id, d->imsi_a,
						d->part == LAB_PART_ROUNDTRIP || d->part == LAB_PART_ROUNDTRIP_C ? d->imsi_b : "-",
						d->part == LAB_PART_ROUNDTRIP_C ? d->imsi_c : "-",
						(lab_run_now_ms(r) - d->t_moved) / 1e3);
			continue;
		}
		has = lab_hss_has(l, LAB_SHO_A, d->imsi_a);
		if (has == 1)
			kept++;
		else
			lab_run_problem(r, "release: fallback device %s's IMSI %s %s SHO-A's HSS", d->tre_id, d->imsi_a,
					has == 0 ? "gone from" : "unreadable in");
	}
	s->done = gone + kept;
	s->failed = n - s->done;
	s->t1_ms = lab_run_now_ms(r);
	if (r->opt.progress)
		progress(r, "release", s->done, s->failed, n, s->t0_ms, NULL, 1);
	free(seen);
}

/* ---- verify: the devices and the operators' records ------------------------------ */

static enum lab_op expected_home(enum lab_part part)
{
	switch (part) {
	case LAB_PART_MOVE:
		return LAB_SHO_B;
	case LAB_PART_ROUNDTRIP:
	case LAB_PART_ROUNDTRIP_C:
	case LAB_PART_STAY:
	case LAB_PART_FALLBACK:
		return LAB_SHO_A;
	default:
		return LAB_RO;
	}
}

/* Every TRE: exactly one ACTIVE MID, owned by the expected operator, nothing pending. */
static int verify_tre(struct lab *l, struct lab_run *r, struct lab_device *d)
{
	struct om_tre *tre = NULL;
	struct om_tre_status st;
	struct om_tre_mid_info mids[OM_TRE_MIDS_MAX];
	unsigned active = 0;
	int rc, ok = 1;
	enum lab_op home = expected_home(d->part);
	if ((rc = lab_tre_open(l, d->i, &tre)) < 0) {
		lab_run_problem(r, "verify %s: TRE does not open: %s", d->tre_id, om_errname(rc));
		return -1;
	}
	if (om_tre_status(tre, &st) == 0 && (st.activation_pending || st.session)) {
		lab_run_problem(r, "verify %s: TRE left with %s", d->tre_id,
				st.activation_pending ? "an activation pending" : "a bootstrap session");
		ok = 0;
	}
	for (int op = 0; op < LAB_N_OPS; op++) {
		int k;
		if (!r->ids[op][0])
			continue;
		k = om_tre_mid_list(tre, r->ids[op], mids, OM_TRE_MIDS_MAX);
		for (int j = 0; j < k && j < OM_TRE_MIDS_MAX; j++) {
			if (mids[j].state != OM_TRE_MID_ACTIVE)
				continue;
			active++;
			if (op != (int)home) {
				lab_run_problem(r, "verify %s (%s): active MID %s at %s, expected %s", d->tre_id,
						lab_part_name(d->part), mids[j].imsi, r->ids[op],
						r->ids[home][0] ? r->ids[home] : home == LAB_SHO_B ? "SHO-B" : "?");
				ok = 0;
			}
		}
	}
	if (active != 1) {
		lab_run_problem(r, "verify %s: %u ACTIVE MIDs, expected exactly one", d->tre_id, active);
		ok = 0;
	}
	om_tre_close(tre);
	return ok ? 0 : -1;
}

/*
 * A round trip in the DRF registers (issue 20): SHO-A's has the device ours
 * again, in its second stay, the first one left to SHO-B; each operator it
 * passed through keeps its stay, left to the next one (SHO-B's to SHO-A, or
 * to SHO-C whose stay left to SHO-A). What `drf-admin history` says.
 */
struct stays {
	unsigned n;
	char first[200], last[200];
};

static void stay_line(void *ctx, const char *line)
{
	struct stays *s = ctx;
	snprintf(s->n++ ? s->last : s->first, sizeof(s->first), "%s", line);
}

/* op's DRF history of d: n_want stays, the first left to first_to, the last current (n_want 2) or left to last_to. */
static int verify_history(struct lab *l, struct lab_run *r, struct lab_device *d, enum lab_op op, unsigned n_want,
			  enum lab_op first_to)
{
	char sock[LAB_PATH_MAX + 40], line[OM_TRE_ID_MAX + 16], why[OM_ADMIN_REASON_MAX + 1] = "", to[24];
	struct stays s = { 0 };
	snprintf(sock, sizeof(sock), "%s/%s/admin.sock", l->dir, lab_daemon_name(lab_op_drf(op)));
	snprintf(line, sizeof(line), "history %s\n", d->tre_id);
	snprintf(to, sizeof(to), " to=%s ", lab_op_id(first_to));
	struct om_admin_peer p = { .path = sock, .timeout_ms = 10000 };
	int rc = om_admin_peer_call(&p, line, stay_line, &s, why, sizeof(why));
	if (rc < 0 || s.n != n_want || !strstr(s.first, "stay=1 ") || !strstr(s.first, to) ||
	    (n_want == 2 && (!strstr(s.last, "stay=2 ") || !strstr(s.last, " current")))) {
		lab_run_problem(r, "verify %s (%s): %s's DRF history %s: %u stays, expected %u (%.60s | %.60s)", d->tre_id,
				lab_part_name(d->part), lab_op_id(op), rc < 0 ? om_errname(rc) : "ok", s.n, n_want, s.first,
				s.last);
		return -1;
	}
	return 0;
}

static int verify_stays(struct lab *l, struct lab_run *r, struct lab_device *d)
{
	if (d->part == LAB_PART_ROUNDTRIP)
		return verify_history(l, r, d, LAB_SHO_A, 2, LAB_SHO_B) | verify_history(l, r, d, LAB_SHO_B, 1, LAB_SHO_A);
	return verify_history(l, r, d, LAB_SHO_A, 2, LAB_SHO_B) | verify_history(l, r, d, LAB_SHO_B, 1, LAB_SHO_C) |
	       verify_history(l, r, d, LAB_SHO_C, 1, LAB_SHO_A);
}

/*
 * Before the owner registers a round trip at SHO-A again: SHO-B's DPF reports
 * the completion to SHO-A's DRF from its queue, after the device is at rest
 * at SHO-B, and SHO-A takes the device back only once its DRF released it
 * (docs/sho.md "A device comes back"). The owner waits for that, as the
 * old operator's records would show it; 60 s at most.
 */
static void released_by_a(struct lab *l, struct lab_run *r, const unsigned *idx, unsigned n)
{
	char sock[LAB_PATH_MAX + 40], line[OM_TRE_ID_MAX + 16], why[OM_ADMIN_REASON_MAX + 1];
	snprintf(sock, sizeof(sock), "%s/%s/admin.sock", l->dir, lab_daemon_name(LAB_D_A_DRF));
	struct om_admin_peer p = { .path = sock, .timeout_ms = 10000 };
	double until = lab_run_now_ms(r) + 60000.0;
	for (unsigned k = 0; k < n; k++) {
		struct stays s;
		int rc;
		snprintf(line, sizeof(line), "status %s\n", r->dev[idx[k]].tre_id);
		do {
			memset(&s, 0, sizeof(s));
			rc = om_admin_peer_call(&p, line, stay_line, &s, why, sizeof(why));
			if (rc == 0 && strstr(s.first, " ours=0 "))
				break;
			nap_ms(250);
		} while (lab_run_now_ms(r) < until);
		if (rc < 0 || !strstr(s.first, " ours=0 "))
			lab_run_problem(r, "register-back %s: SHO-A's DRF has not released it (%s)", r->dev[idx[k]].tre_id,
					rc < 0 ? om_errname(rc) : s.first);
	}
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp((*(const struct lab_device *const *)a)->tre_id, (*(const struct lab_device *const *)b)->tre_id);
}

static int cmp_key(const void *key, const void *e)
{
	return strcmp(key, (*(const struct lab_device *const *)e)->tre_id);
}

/* A database row's device, by bsearch on the sorted TRE_ids: no scan of the run per row. */
static long dev_index(const struct lab_run *r, const char *tre_id)
{
	const struct run_priv *p = r->priv;
	const struct lab_device **d = bsearch(tre_id, p->by_id, r->n, sizeof(*p->by_id), cmp_key);
	return d ? (long)(*d)->i : -1;
}

/*
 * Every page of a listing on daemon d's status interface, as the operator
 * reads it (never its database): `verb AFTER` ("-" from the start) answers
 * "TRE_ID ..." lines in TRE_id order, at most page of them; a shorter page
 * is the last. row_fn gets each line's device (by bsearch: no scan of the
 * run per line) and the text after its TRE_id.
 */
struct page_read {
	struct lab_run *r;
	void (*row_fn)(struct lab_run *r, long dev, const char *rest, void *arg);
	void *arg;
	unsigned n;
	char last[OM_TRE_ID_MAX + 1];
};

static void page_line(void *ctx, const char *line)
{
	struct page_read *p = ctx;
	size_t k = strcspn(line, " ");
	snprintf(p->last, sizeof(p->last), "%.*s", (int)(k < sizeof(p->last) ? k : sizeof(p->last) - 1), line);
	p->row_fn(p->r, dev_index(p->r, p->last), line + k + (line[k] == ' '), p->arg);
	p->n++;
}

static int read_pages(struct lab *l, struct lab_run *r, enum lab_daemon d, const char *sock_file, const char *verb,
		      unsigned page, void (*row_fn)(struct lab_run *r, long dev, const char *rest, void *arg),
		      void *arg)
{
	char sock[LAB_PATH_MAX + 40], line[128];
	struct page_read p = { .r = r, .row_fn = row_fn, .arg = arg };
	lab_socket(l, d, sock_file, sock, sizeof(sock));
	for (;;) {
		struct om_admin_result res;
		unsigned before = p.n;
		snprintf(line, sizeof(line), "%s %s\n", verb, p.n ? p.last : "-");
		int rc = om_admin_call(sock, line, 30000, page_line, &p, &res);
		if (rc == 0 && res.code < 0)
			rc = res.code;
		if (rc < 0) {
			lab_run_problem(r, "verify: %s: %s", lab_daemon_name(d), rc == res.code ? res.reason : om_strerror(rc));
			return rc;
		}
		if (p.n - before < page)
			return 0;
	}
}

/* The `installed` release records per device at a DPF (its status socket, docs/dpf.md "Status socket"). */
static void installed_row(struct lab_run *r, long dev, const char *rest, void *arg)
{
	unsigned *per_dev = arg;
	(void)r;
	if (dev >= 0)
		per_dev[dev] = (unsigned)strtoul(rest, NULL, 10);
}

static void installed(struct lab *l, struct lab_run *r, enum lab_daemon d, unsigned *per_dev, unsigned *total)
{
	*total = 0;
	(void)read_pages(l, r, d, "status.sock", "installed", DPF_STATUS_PAGE, installed_row, per_dev);
	for (unsigned i = 0; i < r->n; i++)
		*total += per_dev[i];
}

/* Each device's state at a registration service (its admin socket's list, docs/sho.md "Admin socket"). */
typedef char sho_state[24];

static void state_row(struct lab_run *r, long dev, const char *rest, void *arg)
{
	sho_state *st = arg;
	const char *v = strstr(rest, " state=");
	(void)r;
	if (dev >= 0 && v)
		snprintf(st[dev], sizeof(st[0]), "%.*s", (int)strcspn(v + 7, " "), v + 7);
}

/* SHO-B's IMSI of a device it shows fell back (issue 20), into imsi_b */
static void fell_back_row(struct lab_run *r, long dev, const char *rest, void *arg)
{
	const char *imsi = strstr(rest, "imsi="), *reason = strstr(rest, " reason=");
	(void)arg;
	if (dev >= 0 && imsi && strstr(rest, " state=refused ") && reason && !strcmp(reason + 8, SHO_FELL_BACK_REASON))
		snprintf(r->dev[dev].imsi_b, sizeof(r->dev[dev].imsi_b), "%.*s", (int)strcspn(imsi + 5, " "), imsi + 5);
}

/*
 * Issue 20: after a fallback SHO-B suspended the subscription it made for
 * the device at once and its DRF removes it after the grace period: by now
 * (the release phase waited a grace period after the fallback phase) it is
 * gone from SHO-B's HSS, or goes within a few of the DRF's sweeps.
 */
static int verify_fell_back(struct lab *l, struct lab_run *r, struct lab_device *d)
{
	if (!d->imsi_b[0]) {
		lab_run_problem(r, "verify %s (fallback): SHO-B does not show it fell back", d->tre_id);
		return -1;
	}
	double until = lab_run_now_ms(r) + 5000.0;
	int has;
	while ((has = lab_hss_has(l, LAB_SHO_B, d->imsi_b)) == 1 && lab_run_now_ms(r) < until)
		nap_ms(250);
	if (has != 0) {
		lab_run_problem(r, "verify %s (fallback): its SHO-B IMSI %s %s SHO-B's HSS after the grace period",
				d->tre_id, d->imsi_b, has == 1 ? "still in" : "unreadable in");
		return -1;
	}
	return 0;
}

struct state_count {
	char name[24];
	unsigned n;
};

static void state_add(struct state_count *sc, unsigned *nsc, const char *state)
{
	for (unsigned i = 0; i < *nsc; i++)
		if (!strcmp(sc[i].name, state)) {
			sc[i].n++;
			return;
		}
	if (*nsc < 8) {
		snprintf(sc[*nsc].name, sizeof(sc[0].name), "%s", state);
		sc[(*nsc)++].n = 1;
	}
}

static void phase_verify(struct lab *l, struct lab_run *r)
{
	static const enum lab_daemon sho_db[LAB_N_OPS] = { LAB_N_DAEMONS, LAB_D_A_SHO, LAB_D_B_SHO, LAB_D_C_SHO };
	struct lab_phase_stats *s = &r->ph[LAB_PH_VERIFY];
	unsigned *inst_a = calloc(r->n, sizeof(unsigned)), *inst_b = calloc(r->n, sizeof(unsigned)),
		 *inst_c = calloc(r->n, sizeof(unsigned));
	sho_state *st[LAB_N_OPS] = { NULL, calloc(r->n, sizeof(sho_state)), calloc(r->n, sizeof(sho_state)),
				     calloc(r->n, sizeof(sho_state)) };
	struct state_count sc[LAB_N_OPS][8];
	unsigned nsc[LAB_N_OPS] = { 0 };
	struct run_priv *rp = r->priv;
	const struct lab_device **by_id = calloc(r->n, sizeof(*by_id));
	s->t0_ms = lab_run_now_ms(r);
	s->total = r->n;
	if (!inst_a || !inst_b || !inst_c || !st[LAB_SHO_A] || !st[LAB_SHO_B] || !st[LAB_SHO_C] || !by_id) {
		lab_run_problem(r, "verify: out of memory");
		goto out;
	}
	for (unsigned i = 0; i < r->n; i++)
		by_id[i] = &r->dev[i];
	qsort(by_id, r->n, sizeof(*by_id), cmp_dev);
	rp->by_id = by_id;
	memset(sc, 0, sizeof(sc));
	installed(l, r, LAB_D_A_DPF, inst_a, &r->installed_a);
	installed(l, r, LAB_D_B_DPF, inst_b, &r->installed_b);
	installed(l, r, LAB_D_C_DPF, inst_c, &r->installed_c);
	for (int op = LAB_SHO_A; op < LAB_N_OPS; op++)
		(void)read_pages(l, r, sho_db[op], "admin.sock", "list *", SHO_ADMIN_PAGE, state_row, st[op]);
	(void)read_pages(l, r, LAB_D_B_SHO, "admin.sock", "list *", SHO_ADMIN_PAGE, fell_back_row, NULL);
	for (unsigned i = 0; i < r->n; i++) {
		struct lab_device *d = &r->dev[i];
		int refused = d->part == LAB_PART_REVOKED || d->part == LAB_PART_TAMPERED;
		int trip = d->part == LAB_PART_ROUNDTRIP || d->part == LAB_PART_ROUNDTRIP_C;
		unsigned want_a = refused ? 0 : trip ? 2 : 1, want_b = d->part == LAB_PART_MOVE || trip ? 1 : 0,
			 want_c = d->part == LAB_PART_ROUNDTRIP_C;
		int ok = verify_tre(l, r, d) == 0 && (!trip || verify_stays(l, r, d) == 0) &&
			 (d->part != LAB_PART_FALLBACK || verify_fell_back(l, r, d) == 0);
		/* a fallback device installed at SHO-B before its attach failed: once or never, not twice */
		if (inst_a[i] != want_a || (d->part == LAB_PART_FALLBACK ? inst_b[i] > 1 : inst_b[i] != want_b) ||
		    inst_c[i] != want_c) {
			lab_run_problem(r, "verify %s (%s): installed releases SHO-A %u SHO-B %u SHO-C %u, expected %u, %u"
					" and %u", d->tre_id, lab_part_name(d->part), inst_a[i], inst_b[i], inst_c[i], want_a,
					want_b, want_c);
			ok = 0;
		}
		for (int op = LAB_SHO_A; op < LAB_N_OPS; op++) {
			const char *state = st[op][i][0] ? st[op][i] : "none";
			int active = !strcmp(state, "active");
			if (op == LAB_SHO_B && d->part != LAB_PART_MOVE && d->part != LAB_PART_FALLBACK && !trip)
				continue;
			if (op == LAB_SHO_C && d->part != LAB_PART_ROUNDTRIP_C)
				continue;
			state_add(sc[op], &nsc[op], state);
			/*
			 * The operator that serves the device says active, one that did not get it does not;
			 * SHO-A's registration service is not told of a move (its DRF is), so a mover stays
			 * active there (as a round trip stays at SHO-B and SHO-C).
			 */
			if (active != (expected_home(d->part) == (enum lab_op)op) &&
			    !(op == LAB_SHO_A && d->part == LAB_PART_MOVE) && !(op != LAB_SHO_A && trip)) {
				lab_run_problem(r, "verify %s (%s): state %s at %s", d->tre_id, lab_part_name(d->part),
						state, lab_op_id((enum lab_op)op));
				ok = 0;
			}
		}
		if (ok)
			s->done++;
		else
			s->failed++;
	}
	for (int op = LAB_SHO_A; op < LAB_N_OPS; op++) {
		size_t o = 0;
		for (unsigned k = 0; k < nsc[op] && o < sizeof(r->states[0]); k++)
			o += (size_t)snprintf(r->states[op] + o, sizeof(r->states[0]) - o, "%s%s=%u", k ? " " : "",
					      sc[op][k].name, sc[op][k].n);
	}
out:
	free(inst_a);
	free(inst_b);
	free(inst_c);
	free(st[LAB_SHO_A]);
	free(st[LAB_SHO_B]);
	free(st[LAB_SHO_C]);
	free(by_id);
	rp->by_id = NULL;
	s->t1_ms = lab_run_now_ms(r);
}

/* ---- the story ------------------------------------------------------------------- */

static int first_ro_id(struct lab *l, struct lab_run *r)
{
	struct om_tre *tre = NULL;
	struct om_tre_mid_info m;
	int rc = lab_tre_open(l, 0, &tre);
	if (rc == 0 && (rc = om_tre_active(tre, &m)) == 0)
		snprintf(r->ids[LAB_RO], sizeof(r->ids[0]), "%s", m.owner);
	om_tre_close(tre);
	return rc;
}

int lab_scenario_run(struct lab *l, struct lab_run *r)
{
	unsigned *idx = calloc(r->n, sizeof(unsigned)), n;
	char why[256];
	int rc = 0;
	const unsigned all = (1u << LAB_N_PARTS) - 1,
		       trips = 1u << LAB_PART_ROUNDTRIP | 1u << LAB_PART_ROUNDTRIP_C,
		       movers = 1u << LAB_PART_MOVE | 1u << LAB_PART_FALLBACK | trips;
	if (!idx)
		return OM_ENOMEM;
	if (r->n != l->n_devices + l->n_tampered) {
		free(idx);
		return OM_EINVAL;
	}
	for (unsigned i = 0; i < r->n; i++)
		r->dev[i].tre_id = l->tre_ids[i];
	if ((rc = first_ro_id(l, r)) < 0) {
		lab_run_problem(r, "device 0's TRE: %s", om_errname(rc));
		goto out;
	}

	n = pick(r, idx, all);
	if ((rc = phase_register(l, r, LAB_PH_REGISTER, LAB_SHO_A, LAB_RO, idx, n)) < 0)
		goto out;
	/* revoked after its registration, before its handover: only the DPF's check can stop it now */
	for (unsigned i = 0; i < r->n; i++)
		if (r->dev[i].part == LAB_PART_REVOKED && pva_revoke(l, r->dev[i].tre_id, why, sizeof(why)) < 0)
			lab_run_problem(r, "revoke %s: %s", r->dev[i].tre_id, why);

	r->ph[LAB_PH_POWER_UP].lat_what = "power-on -> attached with the PCID";
	r->ph[LAB_PH_PROVISION].lat_what = "owner's handover request -> PROVISIONED (attached with the MCIM)";
	n = pick(r, idx, all);
	if ((rc = run_phase(l, r, LAB_PH_PROVISION, LAB_RO, LAB_SHO_A, idx, n)) < 0)
		goto out;
	{
		/* issue 6's benchmark: every device of the phase from power-on to PROVISIONED */
		double *e2e = calloc(n ? n : 1, sizeof(double));
		unsigned k = 0;
		for (unsigned j = 0; e2e && j < n; j++) {
			struct lab_device *d = &r->dev[idx[j]];
			if (!d->failed && d->outcome == OM_AGENT_PROVISIONED)
				e2e[k++] = d->t_done - d->t_on;
		}
		if (e2e && k) {
			r->e2e_p50_ms = lab_percentile(e2e, k, 0.50);
			r->e2e_p99_ms = lab_percentile(e2e, k, 0.99);
			r->e2e_rate = k / ((r->ph[LAB_PH_PROVISION].t1_ms - r->ph[LAB_PH_PROVISION].t0_ms) / 1e3);
		}
		free(e2e);
	}

	n = pick(r, idx, movers);
	if (n) {
		if ((rc = phase_register(l, r, LAB_PH_REGISTER_B, LAB_SHO_B, LAB_SHO_A, idx, n)) < 0)
			goto out;
		r->ph[LAB_PH_TRANSFER].lat_what = "owner's handover request -> PROVISIONED at SHO-B";
		n = pick(r, idx, 1u << LAB_PART_MOVE | trips);
		if (n && (rc = run_phase(l, r, LAB_PH_TRANSFER, LAB_SHO_A, LAB_SHO_B, idx, n)) < 0)
			goto out;
		n = pick(r, idx, 1u << LAB_PART_FALLBACK);
		if (n) {
			/*
			 * SHO-B's network out of reach where the device is: SHO-B's operator restricts these
			 * subscriptions to its own PLMN, so at the lab's VNO the new MCIM cannot attach (Note Y).
			 * Not SHO-B's HSS killed, as before requirement A: its DPF releases an MCIM only once the
			 * HSS made the subscription live (docs/decisions.md "Requirement A for Alternative 1").
			 */
			r->ph[LAB_PH_FALLBACK].lat_what = "owner's handover request -> FELL_BACK (attached at SHO-A)";
			for (unsigned k = 0; k < n; k++) {
				char imsi[OM_MCIM_IMSI_MAX + 1] = "";
				const char *t = r->dev[idx[k]].tre_id;
				int hc = lab_status_field(l, LAB_SHO_B, t, "imsi", imsi, sizeof(imsi));
				if (hc == 0)
					hc = lab_hss_change(l, LAB_SHO_B, imsi, "roaming=00103");
				if (hc != 0)
					lab_run_problem(r, "fallback %s: SHO-B's HSS would not restrict %s: %s", t, imsi,
							om_errname(hc));
			}
			rc = run_phase(l, r, LAB_PH_FALLBACK, LAB_SHO_A, LAB_SHO_B, idx, n);
			if (rc < 0)
				goto out;
		}
		/* A->B->C->A (issue 20): the owner registers them at SHO-C, current SHO SHO-B, and moves them on */
		n = pick(r, idx, 1u << LAB_PART_ROUNDTRIP_C);
		if (n) {
			if ((rc = phase_register(l, r, LAB_PH_REGISTER_C, LAB_SHO_C, LAB_SHO_B, idx, n)) < 0)
				goto out;
			r->ph[LAB_PH_ONWARD].lat_what = "owner's handover request -> PROVISIONED at SHO-C";
			if ((rc = run_phase(l, r, LAB_PH_ONWARD, LAB_SHO_B, LAB_SHO_C, idx, n)) < 0)
				goto out;
		}
		/*
		 * A->B->A and A->B->C->A (issue 20): the owner registers them at SHO-A again, its delivery
		 * note naming each one's current SHO (one call per SHO), and moves them back: the codes come
		 * from each device's current SHO's DRF
		 */
		n = pick(r, idx, trips);
		if (n) {
			released_by_a(l, r, idx, n);
			unsigned k = pick(r, idx, 1u << LAB_PART_ROUNDTRIP);
			if (k && (rc = phase_register(l, r, LAB_PH_REGISTER_BACK, LAB_SHO_A, LAB_SHO_B, idx, k)) < 0)
				goto out;
			k = pick(r, idx, 1u << LAB_PART_ROUNDTRIP_C);
			if (k && (rc = phase_register(l, r, LAB_PH_REGISTER_BACK, LAB_SHO_A, LAB_SHO_C, idx, k)) < 0)
				goto out;
			r->ph[LAB_PH_RETURN].lat_what = "owner's handover request -> PROVISIONED at SHO-A again";
			n = pick(r, idx, trips);
			if (n && (rc = run_phase(l, r, LAB_PH_RETURN, LAB_SHO_B, LAB_SHO_A, idx, n)) < 0)
				goto out;
		}
		n = pick(r, idx, movers);
		phase_release(l, r, idx, n);
	}
	phase_verify(l, r);
	rc = 0;
out:
	free(idx);
	if (rc < 0)
		return rc;
	return r->n_problems ? 1 : 0;
}
