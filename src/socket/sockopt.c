/* setsockopt / getsockopt with Linux's ranges, errno values and the
 * doubling of SO_RCVBUF / SO_SNDBUF. */
#include "core.h"

#define SOCK_MIN_RCVBUF 2304
#define SOCK_MIN_SNDBUF 4608
#define SYSCTL_MEM_MAX 212992 /* net.core.rmem_max, wmem_max */
#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPINTVL 32767
#define MAX_TCP_KEEPCNT 127
#define MAX_TCP_SYNCNT 127

static int set_socket_level(struct sk_stack *st, struct sk_sock *s, int name, int v,
			    const void *val, socklen_t len)
{
	switch (name) {
	case SO_REUSEADDR:
		s->flags = v ? s->flags | SOCKF_REUSEADDR : s->flags & ~SOCKF_REUSEADDR;
		return 0;
	case SO_KEEPALIVE:
		s->flags = v ? s->flags | SOCKF_KEEPALIVE : s->flags & ~SOCKF_KEEPALIVE;
		if (TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT))) {
			if (v)
				tcp_keepalive_arm(st, s);
			else {
				s->idle_at_ns = 0;
				sock_rearm(st, s);
			}
		}
		return 0;
	case SO_LINGER: {
		struct linger l;
		if (len < (socklen_t)sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		/* Linux keeps the time when lingering is turned off, and takes a
		 * negative time as "for ever" */
		if (!l.l_onoff) {
			s->flags &= ~SOCKF_LINGER;
		} else {
			s->flags |= SOCKF_LINGER;
			s->linger_s = l.l_linger < 0 ? INT32_MAX : l.l_linger;
		}
		return 0;
	}
	case SO_ZEROCOPY: /* accepted; synack copies, so no completions are queued */
		if (v < 0 || v > 1)
			return -EINVAL;
		s->flags = v ? s->flags | SOCKF_ZEROCOPY : s->flags & ~SOCKF_ZEROCOPY;
		return 0;
	case SO_RCVBUF: {
		uint32_t u = (uint32_t)v > SYSCTL_MEM_MAX ? SYSCTL_MEM_MAX : (uint32_t)v;
		s->rcvbuf = 2 * (int)u < SOCK_MIN_RCVBUF ? SOCK_MIN_RCVBUF : 2 * (int)u;
		return 0;
	}
	case SO_SNDBUF: {
		uint32_t u = (uint32_t)v > SYSCTL_MEM_MAX ? SYSCTL_MEM_MAX : (uint32_t)v;
		s->sndbuf = 2 * (int)u < SOCK_MIN_SNDBUF ? SOCK_MIN_SNDBUF : 2 * (int)u;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

static int set_tcp_level(struct sk_stack *st, struct sk_sock *s, int name, int v)
{
	switch (name) {
	case TCP_NODELAY:
		s->flags = v ? s->flags | SOCKF_NODELAY : s->flags & ~SOCKF_NODELAY;
		if (v) /* Linux pushes what Nagle or a cork held back */
			tcp_output_mode(st, s, OUT_PUSH);
		return 0;
	case TCP_CORK:
		s->flags = v ? s->flags | SOCKF_CORK : s->flags & ~SOCKF_CORK;
		if (!v) /* __tcp_sock_set_cork: pushed, past Nagle only with TCP_NODELAY */
			tcp_output_mode(st, s, (s->flags & SOCKF_NODELAY) ? OUT_PUSH : OUT_SOCK);
		return 0;
	case TCP_NOTSENT_LOWAT:
		s->notsent_lowat = (uint32_t)v;
		sock_wake(st, s); /* sk_write_space */
		return 0;
	case TCP_INQ:
		if (v < 0 || v > 1)
			return -EINVAL;
		s->flags = v ? s->flags | SOCKF_INQ : s->flags & ~SOCKF_INQ;
		return 0;
	case TCP_MAXSEG:
		if (v && (v < 88 || v > 32767)) /* TCP_MIN_MSS .. MAX_TCP_WINDOW */
			return -EINVAL;
		s->user_mss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		s->keepidle_s = (int16_t)v;
		if ((s->flags & SOCKF_KEEPALIVE) &&
		    (TCPF(s->state) & (TCPF(SK_TCP_ESTABLISHED) | TCPF(SK_TCP_CLOSE_WAIT))))
			tcp_keepalive_arm(st, s);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		s->keepintvl_s = (int16_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_TCP_KEEPCNT)
			return -EINVAL;
		s->keepcnt = (int8_t)v;
		return 0;
	case TCP_SYNCNT:
		if (v < 1 || v > MAX_TCP_SYNCNT)
			return -EINVAL;
		s->syn_retries = (uint8_t)v;
		return 0;
	case TCP_LINGER2:
		s->linger2_s = (int16_t)(v < 0 ? -1 : v > 120 ? 120 : v); /* TCP_FIN_TIMEOUT_MAX */
		return 0;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		s->user_timeout_ms = v;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int sk_setsockopt(struct sk_stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (level != SOL_SOCKET && level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (!val)
		return -EFAULT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	int v;
	memcpy(&v, val, sizeof(v));
	if (level == SOL_SOCKET)
		return set_socket_level(st, s, name, v, val, len);
	return set_tcp_level(st, s, name, v);
}

static void tcp_info_fill(const struct sk_stack *st, const struct sk_sock *s, struct tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = s->state;
	ti->tcpi_retransmits = s->retransmits;
	ti->tcpi_probes = s->probes;
	ti->tcpi_backoff = s->backoff;
	ti->tcpi_options = ((s->flags & SOCKF_TS) ? TCPI_OPT_TIMESTAMPS : 0) |
			   ((s->flags & SOCKF_SACK) ? TCPI_OPT_SACK : 0) |
			   ((s->flags & SOCKF_WSCALE) ? TCPI_OPT_WSCALE : 0);
	ti->tcpi_snd_wscale = s->snd_wscale & 0xf;
	ti->tcpi_rcv_wscale = s->rcv_wscale & 0xf;
	ti->tcpi_rto = s->rto_ms * 1000;
	ti->tcpi_ato = (uint32_t)st->cfg.knobs.tcp_delack_min_ms * 1000;
	ti->tcpi_snd_mss = s->mss_cache;
	ti->tcpi_rcv_mss = s->rcv_mss;
	ti->tcpi_unacked = s->mss_cache ? (s->snd_max - s->snd_una + s->mss_cache - 1) / s->mss_cache : 0;
	ti->tcpi_rtt = s->srtt8_us >> 3;
	ti->tcpi_rttvar = s->mdev_us >> 2;
	ti->tcpi_snd_ssthresh = s->ssthresh == UINT32_MAX ? 0x7fffffff : s->ssthresh;
	ti->tcpi_snd_cwnd = s->cwnd;
	ti->tcpi_ca_state = s->ca_state; /* Linux's numbering: Open 0, Disorder 1, Recovery 3, Loss 4 */
	ti->tcpi_reordering = s->reordering;
	if (s->rq) { /* the scoreboard, in segments */
		ti->tcpi_sacked = s->rq->sacked_out;
		ti->tcpi_lost = s->rq->lost_out;
		ti->tcpi_retrans = s->rq->retrans_out;
	}
	ti->tcpi_advmss = s->adv_mss;
	ti->tcpi_rcv_space = s->rcv_wnd;
}

static int get_int(const struct sk_stack *st, struct sk_sock *s, int level, int name, int *v)
{
	const struct sk_knobs *k = &st->cfg.knobs;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: *v = !!(s->flags & SOCKF_REUSEADDR); return 0;
		case SO_KEEPALIVE: *v = !!(s->flags & SOCKF_KEEPALIVE); return 0;
		case SO_ZEROCOPY: *v = !!(s->flags & SOCKF_ZEROCOPY); return 0;
		case SO_ERROR: *v = s->so_error; s->so_error = 0; return 0;
		case SO_TYPE: *v = SOCK_STREAM; return 0;
		case SO_ACCEPTCONN: *v = s->state == SK_TCP_LISTEN; return 0;
		case SO_RCVBUF: *v = tcp_rcvbuf_limit(st, s); return 0;
		case SO_SNDBUF: *v = s->sndbuf ? s->sndbuf : k->tcp_wmem[1]; return 0;
		default: return -ENOPROTOOPT;
		}
	}
	switch (name) {
	case TCP_NODELAY: *v = !!(s->flags & SOCKF_NODELAY); return 0;
	case TCP_CORK: *v = !!(s->flags & SOCKF_CORK); return 0;
	case TCP_INQ: *v = !!(s->flags & SOCKF_INQ); return 0;
	case TCP_NOTSENT_LOWAT: *v = (int)s->notsent_lowat; return 0;
	case TCP_MAXSEG:
		*v = s->user_mss && (TCPF(s->state) & (TCPF(SK_TCP_CLOSE) | TCPF(SK_TCP_LISTEN)))
			     ? s->user_mss : s->mss_cache;
		return 0;
	case TCP_KEEPIDLE: *v = s->keepidle_s ? s->keepidle_s : k->tcp_keepalive_time; return 0;
	case TCP_KEEPINTVL: *v = s->keepintvl_s ? s->keepintvl_s : k->tcp_keepalive_intvl; return 0;
	case TCP_KEEPCNT: *v = s->keepcnt ? s->keepcnt : k->tcp_keepalive_probes; return 0;
	case TCP_SYNCNT: *v = s->syn_retries ? s->syn_retries : k->tcp_syn_retries; return 0;
	case TCP_LINGER2: *v = s->linger2_s ? s->linger2_s : k->tcp_fin_timeout; return 0;
	case TCP_USER_TIMEOUT: *v = s->user_timeout_ms; return 0;
	default: return -ENOPROTOOPT;
	}
}

int sk_getsockopt(struct sk_stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	struct sk_sock *s = fd_get(st, fd);
	if (!s)
		return -EBADF;
	if (level != SOL_SOCKET && level != IPPROTO_TCP) /* as Linux's getsockopt answers */
		return level == IPPROTO_IP ? -ENOPROTOOPT : -EOPNOTSUPP;
	if (!val || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l = { !!(s->flags & SOCKF_LINGER), s->linger_s };
		socklen_t n = *len < sizeof(l) ? *len : sizeof(l);
		memcpy(val, &l, n);
		*len = n;
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_INFO) {
		struct tcp_info ti;
		tcp_info_fill(st, s, &ti);
		socklen_t n = *len < sizeof(ti) ? *len : sizeof(ti);
		memcpy(val, &ti, n);
		*len = n;
		return 0;
	}
	int v;
	int err = get_int(st, s, level, name, &v);
	if (err)
		return err;
	socklen_t n = *len < sizeof(v) ? *len : sizeof(v);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}
