/*
 * broadcast.h - what the parts of sockkit broadcast share: the options,
 * the run's state and discover's entry.  broadcast.c reads the command
 * line, sets up the socket, sends and listens; broadcast_discover.c is
 * discover's side of the service discovery: where a service is reached,
 * each one remembered once, and the list printed.
 */
#ifndef SOCKKIT_BROADCAST_H
#define SOCKKIT_BROADCAST_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <sockkit/announce.h>
#include <sockkit/net.h>

#include "cmd.h"

#define CMD		"broadcast"
#define SEND_PORT	"9999"
#define DISCOVERY_PORT	SK_ANN_PORT
/* discover remembers this many services at most: a LAN peer sending
 * endless new names must not take all memory (nor time: each is
 * compared with those before). */
#define FOUNDMAX	4096
#define RBUFSZ		65536
/* The largest UDP payload over IPv4. */
#define DGRAMMAX	65507

enum action { A_SEND, A_LISTEN, A_ANNOUNCE, A_DISCOVER };

struct bc_opts {
	struct common_opts	 c;
	enum action		 action;
	unsigned		 given;		/* GIVEN() bits: options seen */
	const char		*port;
	const char		*to;
	const char		*group;
	const char		*iface;
	long long		 ttl;
	long long		 count;
	long long		 interval_ms;
	long long		 timeout_ms;
	const char		*message;	/* or NULL: stdin */
	const char		*name;		/* announce */
	const char		*svc_port;	/* announce */
};

struct found {
	char	name[SK_ANN_NAMEMAX + 1];
	char	host[SK_ADDRSTRLEN];	/* "" when unreachable: skipped */
	int	port;
};

struct bc {
	const struct bc_opts	*o;
	struct sk_loop		*loop;
	int			 fd;
	int			 status;
	int			 unsent;	/* a line not sent: exit 1 */
	long long		 pause;		/* the pause timer, or 0 */
	struct sockaddr_storage	 dst;
	socklen_t		 dstlen;
	long long		 sent;
	long long		 received;
	struct found		*found;		/* heard, and skipped */
	size_t			 nfound;
	size_t			 nprinted;
	int			 full;		/* FOUNDMAX reached */
	int			 timed_out;	/* --timeout passed */
	uint8_t			*buf;
};

/*
 * discover: the datagram p (n bytes) from ss (sslen bytes; it came in on
 * interface ifindex, or 0).  An announcement heard for the first time is
 * remembered and printed ("NAME HOST PORT", or JSON); anything else is
 * dropped.  Returns 0, or -1 when stdout is gone or failed (stop then).
 */
int	bc_discovered(struct bc *b, const uint8_t *p, size_t n,
	    const struct sockaddr_storage *ss, socklen_t sslen,
	    unsigned ifindex);

#endif /* SOCKKIT_BROADCAST_H */
