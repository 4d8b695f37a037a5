/*
 * announce.h - the LAN announce datagram of sockkit's service discovery
 * (broadcast announce/discover, fileserve serve --announce): its format,
 * its parser, the one rule for a NAME, and the socket it is sent from.
 *
 * An announcement is one UDP datagram of text, to port 47474:
 *
 *	sockkit-announce 1 NAME SERVICE_PORT\n
 *
 * ('1' is the format's version; one space between fields; the newline is
 * optional, a CR before it too).  NAME is 1-64 bytes of UTF-8 text with no
 * spaces or control bytes; SERVICE_PORT is 1-65535 in decimal, no sign or
 * leading zero.  Anything else is not an announcement.
 *
 *	char	dgram[SK_ANN_DGRAMMAX + 1];
 *	int	fd, n;
 *
 *	if ((fd = sk_ann_socket(err, AF_INET, 0, -1, iface)) == -1 ||
 *	    (n = sk_ann_format(dgram, sizeof(dgram), "files", 8080)) == -1)
 *		...
 *	sendto(fd, dgram, (size_t)n, 0, ...to 255.255.255.255:47474...);
 *
 * and on the listening side
 *
 *	if (sk_ann_parse(p, n, &name, &namelen, &port) == 0)
 *		...heard name[0..namelen) on port...
 */
#ifndef SOCKKIT_ANNOUNCE_H
#define SOCKKIT_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#define SK_ANN_MAGIC	"sockkit-announce 1 "	/* magic, version, space */
#define SK_ANN_PORT	"47474"			/* the discovery port */
#define SK_ANN_NAMEMAX	64			/* bytes in a NAME */
/* The longest announcement: magic, NAME, space, five digits, newline. */
#define SK_ANN_DGRAMMAX	(sizeof(SK_ANN_MAGIC) - 1 + SK_ANN_NAMEMAX + 7)
/* Room for what sk_ann_name_bad() writes into its buffer. */
#define SK_ANN_WHYLEN	64

/*
 * Is name (n bytes) a NAME: 1-SK_ANN_NAMEMAX bytes of printable UTF-8
 * with no space and no control byte (sk_text_has_ctl(): C0, DEL, C1,
 * broken UTF-8)?  Returns NULL when it is; else why not, as words to
 * follow "NAME '...' ": a constant string ("is empty", "holds a space"),
 * or for one too long why (whylen bytes, SK_ANN_WHYLEN is enough) filled
 * with "is N bytes, over 64".
 */
const char	*sk_ann_name_bad(const char *name, size_t n, char *why,
		    size_t whylen);

/*
 * The announcement of name (a NUL-terminated NAME) on port, with its
 * newline, into buf (len bytes; SK_ANN_DGRAMMAX + 1 is enough: a NUL
 * follows it).  Returns the datagram's length, or -1 when name is no
 * NAME, port is outside 1-65535 or buf is too small.
 */
int		sk_ann_format(char *buf, size_t len, const char *name,
		    int port);

/*
 * Parse a datagram (n bytes) as an announcement, exactly.  Allocates
 * nothing: *name points into p (*namelen bytes, no NUL after it).
 * Returns 0 with *port set, or -1 when p is not an announcement (then
 * the outputs are unspecified).
 */
int		sk_ann_parse(const uint8_t *p, size_t n, const uint8_t **name,
		    size_t *namelen, int *port);

/*
 * A UDP socket of family (AF_INET, AF_INET6) to send announcements from,
 * or any LAN-wide datagram: close-on-exec, allowed to broadcast (IPv4).
 * With mcast, set to send to a multicast group with ttl hops (< 0: the
 * system's) out of iface (NULL: the system's choice), our own datagrams
 * looping back to this host; else, when iface is not NULL, bound to it
 * (SO_BINDTODEVICE: root).  Returns the fd, or -1 with err and errno.
 */
int		sk_ann_socket(char *err, int family, int mcast, int ttl,
		    const char *iface);

#endif /* SOCKKIT_ANNOUNCE_H */
