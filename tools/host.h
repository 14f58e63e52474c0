/* `synack host`: shared declarations of the host tool (host.c: options,
 * the event loop, signals and listings; host_svc.c: the services and
 * clients; host_http.c: the HTTP server and client). */
#ifndef SYNACK_TOOLS_HOST_H
#define SYNACK_TOOLS_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/synack.h>
#include <synack/tap.h>

#include "sha256.h"

enum svc_kind {
	SVC_ECHO, SVC_DISCARD, SVC_HTTP, SVC_HOLD, /* servers */
	SVC_GET, SVC_SEND, SVC_RECV,               /* clients */
};

struct service {
	enum svc_kind kind;
	uint32_t addr;        /* clients: the server (host byte order) */
	uint16_t port;
	const char *arg;      /* get: the URL's path; send: the file */
	const char *text;     /* as given on the command line */
	int fd;               /* the listener or the client socket, or -1 */
	bool done, failed;    /* clients: finished, and how */
};

/* One socket the tool drives. Buffers are allocated as needed. */
struct conn {
	int fd;
	struct service *svc;
	char peer[24];        /* "a.b.c.d:port": kept, as a reset connection has no peer name */
	bool listener;
	bool connected;       /* clients: connect() completed */
	bool eof;             /* the peer's FIN was read */
	bool shut_wr;         /* we sent our FIN (shutdown) */
	uint8_t *buf;         /* echo: bytes to send back; http: request bytes;
			       * clients: the response */
	size_t len, off, cap;
	struct sha256 sha;    /* of the bytes received (send: of those sent) */
	uint64_t rx_bytes, tx_bytes;
	int file_fd;          /* send: the file being sent, or -1 */
	/* http server: the response in progress */
	uint8_t head[1024];    /* the response head, and a small body with it */
	size_t head_len, head_off;
	uint64_t body_off, body_len;
	bool keep_alive, responding;
	/* http client */
	bool have_head, chunked, until_eof;
	uint64_t body_left;
	int status;
};

struct host {
	struct sk_tap *tap;
	struct sk_stack *st;
	struct service *svc;
	int nsvc;
	struct conn **conns;  /* by descriptor */
	int conns_cap;
	bool keepalive;       /* SO_KEEPALIVE on every connection */
	int nclients, clients_left;
	int failures;
	const char *pcap;     /* --pcap FILE, or NULL */
};

/* An event line: CLOCK_MONOTONIC seconds, then the text (printf style). */
void host_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "a.b.c.d:port" into buf (at least 22 bytes). */
const char *host_addr(char *buf, uint32_t addr, uint16_t port);
const char *svc_name(enum svc_kind k);

/* host_svc.c */
int svc_start(struct host *h, struct service *s); /* listen or connect; -errno */
struct conn *conn_new(struct host *h, int fd, struct service *s);
void conn_free(struct host *h, struct conn *c);
void conn_event(struct host *h, struct conn *c);  /* readiness may have changed */
/* Closes the connection and reports `why` (0: a normal end). */
void conn_finish(struct host *h, struct conn *c, int err);
int conn_buf_reserve(struct conn *c, size_t room);

/* host_http.c */
void http_server_step(struct host *h, struct conn *c);
void http_client_start(struct host *h, struct conn *c);
void http_client_step(struct host *h, struct conn *c);
/* The byte at offset `i` of /bytes/N: a 251-byte cycle, easy to rebuild
 * elsewhere (Python: bytes(range(251)) repeated). */
static inline uint8_t http_pattern(uint64_t i) { return (uint8_t)(i % 251); }

#endif
