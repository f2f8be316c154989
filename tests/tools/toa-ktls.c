// SPDX-License-Identifier: GPL-2.0
/*
 * toa-ktls: kTLS on sockets that never saw TOA.  For IPv4 and IPv6, a
 * loopback connection whose accepted end turns kTLS on (TCP_ULP "tls" and
 * TLS_TX keys, no handshake needed) and asks getpeername(), which goes
 * through kTLS's own copy of the kernel's ops.  Prints "v4 peer=ADDR" and
 * "v6 peer=ADDR".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static void die(const char *what)
{
	fprintf(stderr, "toa-ktls: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void ktls_peer(int family, const char *name)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info = { .version = TLS_1_2_VERSION,
			  .cipher_type = TLS_CIPHER_AES_GCM_128 },
	};
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6);
	char addr[INET6_ADDRSTRLEN];
	int lfd, cfd, afd;

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		die("listen");
	cfd = socket(family, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	if (setsockopt(afd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
		die("TCP_ULP tls");
	if (setsockopt(afd, SOL_TLS, TLS_TX, &ci, sizeof(ci)) < 0)
		die("TLS_TX");
	len = sizeof(ss);
	if (getpeername(afd, (struct sockaddr *)&ss, &len) < 0)
		die("getpeername");
	if (family == AF_INET)
		inet_ntop(family, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
	else
		inet_ntop(family, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
	printf("%s peer=%s\n", name, addr);
	close(afd);
	close(cfd);
	close(lfd);
}

int main(void)
{
	ktls_peer(AF_INET, "v4");
	ktls_peer(AF_INET6, "v6");
	return 0;
}
