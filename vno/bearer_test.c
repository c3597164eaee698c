/* SPDX-License-Identifier: Apache-2.0 */
/* The bearer's HTTP CONNECT proxy: the APN's allow list, the answers, the relay, the close. */
#include <string.h>
#include <unistd.h>

#include "bearer.h"
#include "check.h"
#include "log.h"
#include "vno_testutil.h"

static int send_raw(uint16_t port, const char *req)
{
	int status = -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req))
		status = test_http_status(fd);
	if (fd >= 0)
		close(fd);
	return status;
}

static void provisioning_apn_allows_only_its_hosts(uint16_t echo_port)
{
	struct vno_apn apn = {.name = "provisioning", .n_allow = 1};
	snprintf(apn.allow[0].host, sizeof(apn.allow[0].host), "127.0.0.1");
	apn.allow[0].port = echo_port;
	uint16_t port = 0;
	struct vno_bearer *b = bearer_open(&apn, "001010000000001", &port);
	CHECK(b != NULL && port != 0);
	char target[64];
	int status;
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	int fd = test_http_connect(port, target, &status);
	CHECK_INT(status, 200);
	CHECK(test_echo_through(fd, "one"));
	/* Two tunnels at once, each relaying its own bytes. */
	int fd2 = test_http_connect(port, target, &status);
	CHECK_INT(status, 200);
	CHECK(test_echo_through(fd2, "two"));
	CHECK(test_echo_through(fd, "one again"));
	close(fd2);
	/* Same host, another port; another host; a name for the same address: all outside the APN. */
	snprintf(target, sizeof(target), "127.0.0.1:%u", (unsigned)(echo_port == 65535 ? 1 : echo_port + 1));
	close(test_http_connect(port, target, &status));
	CHECK_INT(status, 403);
	snprintf(target, sizeof(target), "127.0.0.2:%u", echo_port);
	close(test_http_connect(port, target, &status));
	CHECK_INT(status, 403);
	snprintf(target, sizeof(target), "localhost:%u", echo_port);
	close(test_http_connect(port, target, &status));
	CHECK_INT(status, 403);
	/* Not a tunnel request, or not HTTP. */
	CHECK_INT(send_raw(port, "GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	CHECK_INT(send_raw(port, "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(send_raw(port, "CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n"), 400);
	CHECK_INT(send_raw(port, "hello\r\n\r\n"), 400);
	static char huge[BEARER_REQUEST_MAX + 16];
	memset(huge, 'a', sizeof(huge) - 1);
	CHECK_INT(send_raw(port, huge), 431);
	/* Closing the bearer ends the open tunnel and the listener. */
	bearer_close(b);
	char c;
	CHECK(recv(fd, &c, 1, 0) <= 0);
	close(fd);
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	fd = test_http_connect(port, target, &status);
	CHECK(fd < 0 || status == -1);
	if (fd >= 0)
		close(fd);
}

static void full_access_apn(uint16_t echo_port)
{
	struct vno_apn apn = {.name = "internet", .any = true};
	uint16_t port = 0;
	struct vno_bearer *b = bearer_open(&apn, "001010000000002", &port);
	CHECK(b != NULL);
	char target[64];
	int status;
	snprintf(target, sizeof(target), "localhost:%u", echo_port);
	int fd = test_http_connect(port, target, &status);
	CHECK_INT(status, 200);
	CHECK(test_echo_through(fd, "anywhere"));
	close(fd);
	/* Allowed but nobody listens: 502. */
	snprintf(target, sizeof(target), "127.0.0.1:%u", test_free_port());
	close(test_http_connect(port, target, &status));
	CHECK_INT(status, 502);
	bearer_close(b);
}

int main(void)
{
	struct test_echo echo;
	om_log_init("bearer-test", OM_LOG_ERROR);
	CHECK_INT(test_echo_start(&echo), 0);
	provisioning_apn_allows_only_its_hosts(echo.port);
	full_access_apn(echo.port);
	test_echo_stop(&echo);
	return check_done();
}
