/*
 * broadcast_discover.c - sockkit broadcast discover's side of the LAN
 * service discovery: each announcement heard (sk_ann_parse()) gives a
 * service, listed once as "NAME HOST PORT" (or JSON), HOST being an
 * address a client can connect to.
 */
#define _DEFAULT_SOURCE		/* IFF_LOOPBACK, getifaddrs */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/announce.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "broadcast.h"

/*
 * A sender with no address (0.0.0.0 or ::, as a broadcast on lo has) is
 * this host when it came in on a loopback interface (ifindex): that
 * interface's address of family, into host.  Elsewhere nobody can
 * connect to it: -1.
 */
static int
loopback_host(int family, unsigned ifindex, char *host, size_t len)
{
	struct ifaddrs	*ifa, *i;
	char		 ifname[IF_NAMESIZE];
	int		 rc = -1;

	if (ifindex == 0 || if_indextoname(ifindex, ifname) == NULL ||
	    getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == family &&
		    (i->ifa_flags & IFF_LOOPBACK) &&
		    strcmp(i->ifa_name, ifname) == 0) {
			rc = sk_net_host_str(i->ifa_addr, family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6), host, len, 0);
			break;
		}
	freeifaddrs(ifa);
	return rc;
}

/*
 * Where a discovered service is reached: the sender's address (bare, no
 * brackets: "NAME HOST PORT" has no port to tell apart), with the
 * interface for an IPv6 link-local one (fe80::1%eth0); for a sender
 * with no address, see loopback_host().  0, or -1: skip it.
 */
static int
host_of(const struct sockaddr_storage *ss, unsigned ifindex, char *host,
    size_t len)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	struct in_addr			 a4;
	char				 ifname[IF_NAMESIZE];
	char				 ip[INET6_ADDRSTRLEN];
	int				 family = ss->ss_family;
	unsigned			 scope;

	if (family == AF_INET)
		a4 = sin->sin_addr;
	else if (family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&a4, sin6->sin6_addr.s6_addr + 12, 4);
		family = AF_INET;
	} else if (family != AF_INET6)
		return -1;
	if (family == AF_INET ? (ntohl(a4.s_addr) >> 24) == 0 :
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		return loopback_host(family, ifindex, host, len);
	/* IPv4-mapped IPv6 comes out as IPv4, as a4 says. */
	if (sk_net_host_str((const struct sockaddr *)ss, sizeof(*ss), ip,
	    sizeof(ip), 0) == -1)
		return -1;
	snprintf(host, len, "%s", ip);
	if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
		scope = sin6->sin6_scope_id ? sin6->sin6_scope_id : ifindex;
		if (if_indextoname(scope, ifname) != NULL)
			snprintf(host, len, "%s%%%s", ip, ifname);
	}
	return 0;
}

/*
 * f, unless it was heard before or the list is full: 1 when it is new
 * (kept in b->found), else 0.
 */
static int
remember(struct bc *b, const struct found *f)
{
	struct found	*nf;
	size_t		 i;

	for (i = 0; i < b->nfound; i++)
		if (strcmp(b->found[i].name, f->name) == 0 &&
		    strcmp(b->found[i].host, f->host) == 0 &&
		    b->found[i].port == f->port)
			return 0;
	if (b->nfound == FOUNDMAX) {
		if (!b->full)
			cmd_err(CMD, "over %d services heard: the rest are not "
			    "listed", FOUNDMAX);
		b->full = 1;
		return 0;
	}
	if ((nf = realloc(b->found, (b->nfound + 1) * sizeof(*nf))) == NULL)
		return 0;
	b->found = nf;
	b->found[b->nfound++] = *f;
	return 1;
}

/*
 * The name has no control bytes (sk_ann_name_bad), so no escapes: it
 * prints as it is, to be typed back (@NAME).  The host may end in an
 * interface's name (fe80::1%eth0), which may hold any byte but '/', ':'
 * and spaces: escaped, '\\' too, so "\x1b" is not ESC.
 */
static int
print_found(const struct bc *b, const struct found *f)
{
	if (b->o->c.json) {
		printf("{\"name\":\"");
		cmd_json_strn(stdout, f->name, strlen(f->name));
		printf("\",\"host\":\"");
		cmd_json_strn(stdout, f->host, strlen(f->host));
		printf("\",\"port\":%d}\n", f->port);
	} else {
		cmd_put_text(stdout, f->name, strlen(f->name), 0);
		fputc(' ', stdout);
		cmd_put_text(stdout, f->host, strlen(f->host),
		    SK_TEXT_BACKSLASH);
		printf(" %d\n", f->port);
	}
	return cmd_flush_stdout(CMD);
}

int
bc_discovered(struct bc *b, const uint8_t *p, size_t n,
    const struct sockaddr_storage *ss, socklen_t sslen, unsigned ifindex)
{
	struct found	 f;
	const uint8_t	*name;
	char		 from[SK_ADDRSTRLEN];
	size_t		 namelen;

	memset(&f, 0, sizeof(f));
	if (sk_ann_parse(p, n, &name, &namelen, &f.port) == -1)
		return 0;
	memcpy(f.name, name, namelen);
	if (host_of(ss, ifindex, f.host, sizeof(f.host)) == -1)
		f.host[0] = '\0';
	if (!remember(b, &f))
		return 0;
	if (f.host[0] == '\0') {
		if (b->o->c.verbose) {
			sk_net_addr_str((const struct sockaddr *)ss, sslen,
			    from, sizeof(from));
			cmd_err(CMD, "'%s' from %s: no address to reach it "
			    "by, skipped", f.name, from);
		}
		return 0;
	}
	b->nprinted++;
	return print_found(b, &f);
}
