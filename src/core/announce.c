/*
 * announce.c - the LAN announce datagram: one rule for a NAME, shared by
 * the side that types it (broadcast announce, fileserve --announce) and
 * the side that hears it (discover), so that nothing announced is then
 * dropped; its format, its parser, and the socket it goes out of.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/announce.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "err.h"

const char *
sk_ann_name_bad(const char *name, size_t n, char *why, size_t whylen)
{
	if (n == 0)
		return "is empty";
	if (n > SK_ANN_NAMEMAX) {
		snprintf(why, whylen, "is %zu bytes, over %d", n,
		    SK_ANN_NAMEMAX);
		return why;
	}
	/* A space would end the NAME early: discover would hear another. */
	if (memchr(name, ' ', n) != NULL)
		return "holds a space";
	if (sk_text_has_ctl((const uint8_t *)name, n, 0))
		return "holds a control byte, a newline or broken UTF-8";
	return NULL;
}

int
sk_ann_format(char *buf, size_t len, const char *name, int port)
{
	char	why[SK_ANN_WHYLEN];
	int	n;

	if (sk_ann_name_bad(name, strlen(name), why, sizeof(why)) != NULL ||
	    port < 1 || port > 65535)
		return -1;
	n = snprintf(buf, len, SK_ANN_MAGIC "%s %d\n", name, port);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
sk_ann_parse(const uint8_t *p, size_t n, const uint8_t **name,
    size_t *namelen, int *port)
{
	const uint8_t	*sp, *d;
	size_t		 ml = sizeof(SK_ANN_MAGIC) - 1, digits;
	char		 why[SK_ANN_WHYLEN];
	int		 v;

	if (n <= ml || memcmp(p, SK_ANN_MAGIC, ml) != 0)
		return -1;
	p += ml;
	n -= ml;
	/* One newline, a CR before it too; a CR alone is no line end. */
	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r')
			n--;
	}
	/* NAME, then the first space: a NAME holds none. */
	if ((sp = memchr(p, ' ', n)) == NULL ||
	    sk_ann_name_bad((const char *)p, (size_t)(sp - p), why,
	    sizeof(why)) != NULL)
		return -1;
	d = sp + 1;
	digits = n - (size_t)(d - p);
	/* Decimal with no sign or padding: "0081" is not port 81. */
	if (digits == 0 || digits > 5 || d[0] == '0')
		return -1;
	for (v = 0; digits > 0; d++, digits--) {
		if (*d < '0' || *d > '9')
			return -1;
		v = v * 10 + (*d - '0');
	}
	if (v > 65535)
		return -1;
	*name = p;
	*namelen = (size_t)(sp - p);
	*port = v;
	return 0;
}

int
sk_ann_socket(char *err, int family, int mcast, int ttl, const char *iface)
{
	int	fd, saved;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		core_errno(err, "socket");
		return -1;
	}
	if ((family == AF_INET && sk_net_broadcast(err, fd) == -1) ||
	    (mcast && sk_net_mcast_send_opts(err, fd, family, ttl, iface,
	    1) == -1) ||
	    (!mcast && iface != NULL && sk_net_bind_iface(err, fd,
	    iface) == -1)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
