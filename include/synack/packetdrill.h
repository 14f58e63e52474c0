/* The shared-object interface of packetdrill (github.com/google/packetdrill,
 * gtests/net/packetdrill/packetdrill.h), re-declared here as an interop
 * contract, like a system call ABI: packetdrill dlopen()s
 * libsynack-packetdrill.so, calls packetdrill_interface_init() once per
 * script with a zero-filled struct, and then calls the hooks.
 *
 * The members, their order and their signatures must stay exactly those of
 * packetdrill's header (unchanged there since 2018): 33 pointer-sized
 * members, 264 bytes on x86-64. Every hook takes `userdata` first. Errors
 * are reported the POSIX way: -1 with errno set (the object shares
 * packetdrill's libc, so errno is the same thread-local variable).
 *
 * fcntl and ioctl are variadic in packetdrill's header; they stay variadic
 * here, or the calling convention could differ.
 */
#ifndef SYNACK_PACKETDRILL_H
#define SYNACK_PACKETDRILL_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct packetdrill_interface {
	void *userdata;
	void (*free)(void *userdata);
	int (*socket)(void *userdata, int domain, int type, int protocol);
	int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
	int (*listen)(void *userdata, int sockfd, int backlog);
	int (*accept)(void *userdata, int sockfd, struct sockaddr *addr, socklen_t *addrlen);
	int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
	ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len, int flags);
	ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len, int flags,
			    struct sockaddr *src_addr, socklen_t *addrlen);
	ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg, int flags);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
	ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len, int flags);
	ssize_t (*sendto)(void *userdata, int sockfd, const void *buf, size_t len, int flags,
			  const struct sockaddr *dest_addr, socklen_t addrlen);
	ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg, int flags);
	int (*fcntl)(void *userdata, int fd, int cmd, ...);
	int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
	int (*close)(void *userdata, int fd);
	int (*shutdown)(void *userdata, int sockfd, int how);
	int (*getsockopt)(void *userdata, int sockfd, int level, int optname, void *optval,
			  socklen_t *optlen);
	int (*setsockopt)(void *userdata, int sockfd, int level, int optname, const void *optval,
			  socklen_t optlen);
	int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout);
	/* Injects one IP packet (no link header) into the stack: 0 or -1. */
	int (*netdev_send)(void *userdata, const void *buf, size_t count);
	/* Hands back the next packet the stack sent. On entry *count is the
	 * buffer's size; on return the packet's length (0: nothing, which
	 * packetdrill reports as an error) and *time_usecs its send time. */
	int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
	int (*usleep)(void *userdata, useconds_t usec);
	int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
	int (*epoll_create)(void *userdata, int size);
	int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *event);
	int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events, int maxevents,
			  int timeout);
	int (*pipe)(void *userdata, int pipefd[2]);
	int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
		      size_t len, unsigned int flags);
};

typedef void (*packetdrill_interface_init_t)(const char *flags, struct packetdrill_interface *);

/* The one symbol libsynack-packetdrill.so exports. `flags` is the
 * --so_flags string or NULL: comma-separated key=value pairs, no spaces.
 * `local_ip=A.B.C.D` is the stack's address, `seed=N` keys its ISNs and
 * hashes, `mtu=N` its MTU; every other key is a Linux knob by its sysctl
 * name without "net.ipv4." (values of multi-value knobs such as tcp_rmem
 * separated by ':'). An unknown key or a bad value is reported on stderr
 * and ends the run with status 1. */
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

#ifdef __cplusplus
}
#endif
#endif
