/*
 * net_dgram.c - datagrams (see net.h): receiving with the sender and the
 * arrival interface, broadcast, multicast groups and sending options,
 * binding to an interface.
 */
#define _GNU_SOURCE		/* in6_pktinfo, IPV6_RECVPKTINFO */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ifaddrs.h>

#include <errno.h>
#include <string.h>

#include <sockkit/net.h>

#include "err.h"
#include "net_impl.h"

ssize_t
sk_net_recv_dgram(char *err, int fd, void *p, size_t len,
    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated)
{
	return sk_net_recv_dgram_if(err, fd, p, len, ss, sslen, truncated,
	    NULL);
}

int
sk_net_recv_ifindex(char *err, int fd, int family)
{
#ifdef IPV6_RECVPKTINFO
	if (family == AF_INET6 && net_set_on(err, fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO") == -1)
		return -1;
#endif
#ifdef IP_PKTINFO
	/* An IPv6 socket takes it too, for IPv4-mapped senders. */
	if (net_set_on(family == AF_INET ? err : NULL, fd, IPPROTO_IP,
	    IP_PKTINFO, "IP_PKTINFO") == -1 && family == AF_INET)
		return -1;
#endif
	(void)family;
	return 0;
}

/*
 * The arrival interface from a datagram's control messages, or 0.  Only
 * pktinfo was asked for, so the first message is one (either family's
 * says the index); that also spares CMSG_NXTHDR(), whose musl macro does
 * not pass -Wsign-conversion.
 */
static unsigned
cmsg_ifindex(struct msghdr *msg)
{
	struct cmsghdr	*c = CMSG_FIRSTHDR(msg);

	if (c == NULL)
		return 0;
#ifdef IP_PKTINFO
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
		struct in_pktinfo	pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		return (unsigned)pi.ipi_ifindex;
	}
#endif
#ifdef IPV6_PKTINFO
	if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
		struct in6_pktinfo	pi6;

		memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
		return pi6.ipi6_ifindex;
	}
#endif
	return 0;
}

ssize_t
sk_net_recv_dgram_if(char *err, int fd, void *p, size_t len,
    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated,
    unsigned *ifindex)
{
	struct msghdr	msg;
	struct iovec	iov;
	union {
		struct cmsghdr	hdr;
		char		buf[256];
	}		ctl;
	ssize_t		n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (ss != NULL) {
		msg.msg_name = ss;
		msg.msg_namelen = sizeof(*ss);
	}
	if (ifindex != NULL) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		*ifindex = 0;
	}
	do
		n = recvmsg(fd, &msg, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			core_errno(err, "receive");
		return -1;
	}
	if (sslen != NULL)
		*sslen = msg.msg_namelen;
	if (truncated != NULL)
		*truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	if (ifindex != NULL)
		*ifindex = cmsg_ifindex(&msg);
	return n;
}

int
sk_net_broadcast(char *err, int fd)
{
	return net_set_on(err, fd, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
}

/* The index of the interface named, or 0 for "the system's choice". */
static int
iface_index(char *err, const char *iface, unsigned *idx)
{
	*idx = 0;
	if (iface == NULL)
		return 0;
	if ((*idx = if_nametoindex(iface)) == 0) {
		core_errno(err, "interface '%s'", iface);
		return -1;
	}
	return 0;
}

/* The first IPv4 address of an interface, for IPv4 multicast options. */
static int
iface_addr4(char *err, const char *iface, struct in_addr *a)
{
	struct ifaddrs	*ifa, *i;

	a->s_addr = htonl(INADDR_ANY);
	if (iface == NULL)
		return 0;
	if (getifaddrs(&ifa) == -1) {
		core_errno(err, "getifaddrs");
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, iface) == 0) {
			*a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			break;
		}
	freeifaddrs(ifa);
	if (i == NULL) {
		errno = EADDRNOTAVAIL;
		core_err(err, "interface '%s' has no IPv4 address", iface);
		return -1;
	}
	return 0;
}

/*
 * setsockopt() at the family's level: the IPv4 and IPv6 multicast options
 * differ in their names and the size of their values only.
 */
static int
famopt(int fd, int v4, int name4, const void *val4, socklen_t len4,
    int name6, const void *val6, socklen_t len6)
{
	return v4 ? setsockopt(fd, IPPROTO_IP, name4, val4, len4) :
	    setsockopt(fd, IPPROTO_IPV6, name6, val6, len6);
}

int
sk_net_mcast_join(char *err, int fd, const char *group, const char *iface,
    int join)
{
	struct ip_mreq		m4;
	struct ipv6_mreq	m6;
	unsigned		idx = 0;
	int			v4, off = 0;

	memset(&m4, 0, sizeof(m4));
	memset(&m6, 0, sizeof(m6));
	v4 = inet_pton(AF_INET, group, &m4.imr_multiaddr) == 1;
	if (!v4 && inet_pton(AF_INET6, group, &m6.ipv6mr_multiaddr) != 1) {
		errno = EINVAL;
		core_err(err, "invalid multicast group '%s'", group);
		return -1;
	}
	if (v4 ? !IN_MULTICAST(ntohl(m4.imr_multiaddr.s_addr)) :
	    !IN6_IS_ADDR_MULTICAST(&m6.ipv6mr_multiaddr)) {
		errno = EINVAL;
		core_err(err, "'%s' is not a multicast group", group);
		return -1;
	}
	if ((v4 ? iface_addr4(err, iface, &m4.imr_interface) :
	    iface_index(err, iface, &idx)) == -1)
		return -1;
	m6.ipv6mr_interface = idx;
	/* Linux delivers every group joined on the host otherwise. */
#if defined(IP_MULTICAST_ALL) && defined(IPV6_MULTICAST_ALL)
	(void)famopt(fd, v4, IP_MULTICAST_ALL, &off, sizeof(off),
	    IPV6_MULTICAST_ALL, &off, sizeof(off));
#elif defined(IP_MULTICAST_ALL)
	if (v4)
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off,
		    sizeof(off));
#endif
	if (famopt(fd, v4, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m4,
	    sizeof(m4), join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m6,
	    sizeof(m6)) == -1) {
		core_errno(err, "%s group %s", join ? "join" : "leave", group);
		return -1;
	}
	(void)off;
	return 0;
}

int
sk_net_mcast_send_opts(char *err, int fd, int family, int ttl,
    const char *iface, int loop)
{
	struct in_addr	a;
	unsigned	idx = 0;
	unsigned char	t4 = (unsigned char)ttl, l4 = loop ? 1 : 0;
	int		l6 = loop ? 1 : 0, v4 = family == AF_INET;

	/* IPv4 takes a byte for the TTL and the loop flag, IPv6 an int. */
	if ((ttl >= 0 && famopt(fd, v4, IP_MULTICAST_TTL, &t4, sizeof(t4),
	    IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) == -1) ||
	    famopt(fd, v4, IP_MULTICAST_LOOP, &l4, sizeof(l4),
	    IPV6_MULTICAST_LOOP, &l6, sizeof(l6)) == -1) {
		core_errno(err, "multicast options");
		return -1;
	}
	if (iface != NULL && ((v4 ? iface_addr4(err, iface, &a) :
	    iface_index(err, iface, &idx)) == -1 ||
	    famopt(fd, v4, IP_MULTICAST_IF, &a, sizeof(a), IPV6_MULTICAST_IF,
	    &idx, sizeof(idx)) == -1)) {
		core_errno(err, "multicast interface '%s'", iface);
		return -1;
	}
	return 0;
}

int
sk_net_bind_iface(char *err, int fd, const char *iface)
{
#ifdef SO_BINDTODEVICE
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
	    (socklen_t)strlen(iface) + 1) == -1) {
		core_errno(err, "bind to interface '%s'", iface);
		return -1;
	}
	return 0;
#else
	(void)fd;
	errno = ENOTSUP;
	core_errno(err, "bind to interface '%s'", iface);
	return -1;
#endif
}
