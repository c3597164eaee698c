/* SPDX-License-Identifier: Apache-2.0 */
/* The shared listening socket and stop pipe; see listener.h. */
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"

int vno_listener_open(int *lfd, int stop[2], struct sockaddr_in *sa, int backlog, int reuse_addr)
{
	socklen_t sl = sizeof(*sa);
	int one = 1;

	if ((*lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    (reuse_addr && setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(*lfd, (struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(*lfd, backlog) < 0 ||
	    getsockname(*lfd, (struct sockaddr *)sa, &sl) < 0 || pipe(stop) < 0)
		return -1;
	return 0;
}

void vno_listener_stop(const int stop[2], pthread_t thread)
{
	(void)!write(stop[1], "x", 1);
	pthread_join(thread, NULL);
}

void vno_listener_close(int lfd, const int stop[2])
{
	if (lfd >= 0)
		close(lfd);
	if (stop[0] >= 0) {
		close(stop[0]);
		close(stop[1]);
	}
}
