/* SPDX-License-Identifier: Apache-2.0 */
/* Crash-test points (include/openmcim/failpoint.h). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/failpoint.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char armed[128];    /* the point's name, "" when none */
static unsigned long nth = 1;
static atomic_ulong hits;

static void load(void)
{
	const char *v = getenv("OM_FAILPOINT");
	if (!v || !*v || strlen(v) >= sizeof(armed))
		return;
	memcpy(armed, v, strlen(v) + 1);
	char *at = strchr(armed, '@');
	if (at) {
		*at = '\0';
		char *end = NULL;
		unsigned long n = strtoul(at + 1, &end, 10);
		nth = (end && !*end && n >= 1) ? n : 1;
	}
}

void om_failpoint(const char *name)
{
	pthread_once(&once, load);
	if (!armed[0] || !name || strcmp(armed, name))
		return;
	if (atomic_fetch_add(&hits, 1) + 1 == nth)
		kill(getpid(), SIGKILL);
}
