/*
 * ipaddr.c - IPv4 and IPv6 addresses and networks (see ipaddr.h).  IPv4
 * is parsed here, byte by byte, with inet_pton's rules (four decimal
 * parts, 0-255, no leading zeros); IPv6 by inet_pton itself.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/ipaddr.h>
#include <sockkit/text.h>

int
sk_u128_ctz(struct sk_u128 a)
{
	int	n = 0;

	if (a.lo == 0 && a.hi == 0)
		return 128;
	while (sk_u128_bit(a, n) == 0)
		n++;
	return n;
}

/* IPv4 text, inet_pton's way: 0 and the address, or -1. */
static int
parse4(const char *s, size_t n, uint32_t *out)
{
	uint32_t	a = 0, part;
	size_t		i = 0, digits;
	int		dots;

	for (dots = 0; dots < 4; dots++) {
		part = 0;
		for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9';
		    i++, digits++) {
			if (digits == 1 && part == 0)
				return -1;	/* a leading zero */
			part = part * 10 + (uint32_t)(s[i] - '0');
			if (part > 255)
				return -1;
		}
		if (digits == 0)
			return -1;
		a = a << 8 | part;
		if (dots < 3) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != n)
		return -1;
	*out = a;
	return 0;
}

static int
parse6(const char *s, size_t n, struct sk_u128 *out)
{
	char		buf[64];
	uint8_t		b[16];
	int		i;

	if (n == 0 || n >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -1;
	out->hi = out->lo = 0;
	for (i = 0; i < 8; i++) {
		out->hi = out->hi << 8 | b[i];
		out->lo = out->lo << 8 | b[i + 8];
	}
	return 0;
}

/* A contiguous netmask's prefix, or -1. */
static int
mask_prefix(uint32_t m)
{
	int	p = 0;

	while (p < 32 && (m & (0x80000000u >> p)))
		p++;
	return p < 32 && (m << p) != 0 ? -1 : p;
}

/* A reason into err (SK_IP_ERRLEN bytes, may be NULL); returns -1. */
static int
why(char *err, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err, SK_IP_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * A prefix length: decimal 0..max, no leading zeros.  The reasons quote
 * s only once it is known to be all digits (cut at 12 of them).
 */
static int
decimal(char *err, const char *s, size_t n, int max, int *prefix)
{
	int	v = 0, shown = n > 12 ? 12 : (int)n;
	size_t	i;

	if (n == 0)
		return why(err, "the prefix is empty");
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return why(err, "prefix is not a number from 0 to %d",
			    max);
	if (n > 1 && s[0] == '0')
		return why(err, "prefix %.*s%s has a leading zero", shown, s,
		    n > 12 ? "..." : "");
	for (i = 0; i < n && v <= max; i++)
		v = v * 10 + (s[i] - '0');
	if (i < n || v > max)
		return why(err, "prefix %.*s%s is over %d", shown, s,
		    n > 12 ? "..." : "", max);
	*prefix = v;
	return 0;
}

int
sk_ip_parse_mask(const char *s, size_t n, int family, int *prefix)
{
	return sk_ip_parse_mask_err(NULL, s, n, family, prefix);
}

int
sk_ip_parse_mask_err(char *err, const char *s, size_t n, int family,
    int *prefix)
{
	uint32_t	m = 0;
	size_t		i;
	int		p, h, hex;

	hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (family == 6 && (hex || memchr(s, '.', n) != NULL ||
	    memchr(s, ':', n) != NULL))
		return why(err, "IPv6 takes a prefix length from 0 to 128, "
		    "not a netmask");
	if (family == 4 && hex) {
		if (n == 2)
			return why(err, "hex netmask has no digits");
		if (n > 10)
			return why(err, "hex netmask is over 32 bits");
		for (i = 2; i < n; i++) {
			if ((h = sk_text_hexval((unsigned char)s[i])) < 0)
				return why(err, "hex netmask has a digit "
				    "that is not hex");
			m = m << 4 | (uint32_t)h;
		}
		if ((p = mask_prefix(m)) == -1)
			return why(err, "netmask is not contiguous (ones, "
			    "then zeros, as 0xffffff00)");
		*prefix = p;
		return 0;
	}
	if (family == 4 && memchr(s, '.', n) != NULL) {
		if (parse4(s, n, &m) == -1)
			return why(err, "netmask is not a dotted quad such as "
			    "255.255.255.0");
		/* 0.0.0.0 is /0, never a wildcard; a wildcard (0.0.0.255)
		 * has only one way to be read. */
		if ((p = mask_prefix(m)) == -1 && (p = mask_prefix(~m)) == -1)
			return why(err, "netmask is not contiguous (ones, "
			    "then zeros, as 255.255.255.0)");
		*prefix = p;
		return 0;
	}
	return decimal(err, s, n, family == 4 ? 32 : 128, prefix);
}

int
sk_ip_parse(const char *s, size_t n, struct sk_ip *ip)
{
	return sk_ip_parse_err(NULL, s, n, ip);
}

int
sk_ip_parse_err(char *err, const char *s, size_t n, struct sk_ip *ip)
{
	const char	*slash, *pct;
	size_t		 alen, zlen, i;
	uint32_t	 a4;

	memset(ip, 0, sizeof(*ip));
	if (err != NULL)
		err[0] = '\0';		/* the address, unless the mask is */
	if (n == 0 || memchr(s, '\0', n) != NULL)
		return -1;
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (parse4(s, alen, &a4) == 0) {
		ip->family = 4;
		ip->addr = sk_u128_make(0, a4);
		ip->prefix = 32;
	} else {
		pct = memchr(s, '%', alen);
		if (pct != NULL) {
			zlen = alen - (size_t)(pct - s) - 1;
			if (zlen == 0 || zlen >= sizeof(ip->zone))
				return -1;
			for (i = 0; i < zlen; i++) {
				char	c = pct[1 + i];

				if (!((c >= 'a' && c <= 'z') ||
				    (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '_' ||
				    c == '-' || c == '.'))
					return -1;
			}
			memcpy(ip->zone, pct + 1, zlen);
			alen = (size_t)(pct - s);
		}
		if (parse6(s, alen, &ip->addr) == -1) {
			ip->zone[0] = '\0';
			return -1;
		}
		ip->family = 6;
		ip->prefix = 128;
	}
	if (slash != NULL && sk_ip_parse_mask_err(err, slash + 1,
	    (size_t)(s + n - slash - 1), ip->family, &ip->prefix) == -1)
		return -1;
	return 0;
}

struct sk_u128
sk_ip_wildcard(int family, int prefix)
{
	int	w = family == 4 ? 32 : 128;

	return sk_u128_shr(sk_u128_make(~0ULL, ~0ULL), 128 - w + prefix);
}

/* The family's bits that are not the wildcard's. */
struct sk_u128
sk_ip_mask(int family, int prefix)
{
	return sk_u128_and(sk_u128_not(sk_ip_wildcard(family, prefix)),
	    sk_ip_wildcard(family, 0));
}

struct sk_u128
sk_ip_network(const struct sk_ip *ip)
{
	return sk_u128_and(ip->addr, sk_ip_mask(ip->family, ip->prefix));
}

struct sk_u128
sk_ip_last(const struct sk_ip *ip)
{
	return sk_u128_or(sk_ip_network(ip), sk_ip_wildcard(ip->family,
	    ip->prefix));
}

struct sk_u128
sk_ip_first_host(const struct sk_ip *ip)
{
	struct sk_u128	n = sk_ip_network(ip);

	return ip->family == 4 && ip->prefix <= 30 ? sk_u128_add(n, 1) : n;
}

struct sk_u128
sk_ip_last_host(const struct sk_ip *ip)
{
	struct sk_u128	l = sk_ip_last(ip);

	return ip->family == 4 && ip->prefix <= 30 ? sk_u128_sub(l, 1) : l;
}

uint64_t
sk_ip4_hosts(const struct sk_ip *ip)
{
	if (ip->prefix >= 31)
		return ip->prefix == 31 ? 2 : 1;
	return (1ULL << (32 - ip->prefix)) - 2;
}

/* v in decimal at p; returns the end. */
static char *
u64_str(uint64_t v, char *p)
{
	char	d[20];
	int	n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = d[--n];
	return p;
}

void
sk_ip_count_str(const struct sk_ip *ip, char *buf)
{
	/* 2^(128 - prefix) in base 10^9, least significant limb first:
	 * five limbs hold 2^128, and each shift by at most 29 bits keeps a
	 * limb times 2^29 plus the carry inside 64 bits. */
	uint32_t	l[5] = { 1 };
	uint64_t	v, carry;
	int		nl = 1, i, k, s, d;
	char		*p;

	if (ip->family == 4) {
		*u64_str(sk_ip4_hosts(ip), buf) = '\0';
		return;
	}
	for (k = 128 - ip->prefix; k > 0; k -= s) {
		s = k > 29 ? 29 : k;
		for (i = 0, carry = 0; i < nl; i++) {
			v = ((uint64_t)l[i] << s) + carry;
			l[i] = (uint32_t)(v % 1000000000u);
			carry = v / 1000000000u;
		}
		if (carry != 0)
			l[nl++] = (uint32_t)carry;
	}
	p = u64_str(l[nl - 1], buf);
	for (i = nl - 2; i >= 0; i--)
		for (d = 100000000, v = l[i]; d > 0; d /= 10)
			*p++ = (char)('0' + v / (uint64_t)d % 10);
	*p = '\0';
}

char
sk_ip4_class(uint32_t a)
{
	if ((a >> 31) == 0)
		return 'A';
	if ((a >> 30) == 2)
		return 'B';
	if ((a >> 29) == 6)
		return 'C';
	if ((a >> 28) == 14)
		return 'D';
	return 'E';
}

const char *
sk_ip_type(int family, struct sk_u128 a)
{
	uint32_t	v = (uint32_t)a.lo;
	uint64_t	h = a.hi;

	if (family == 4) {
		if (v == 0xffffffffu)
			return "broadcast";
		if (v == 0)
			return "unspecified";
		if ((v >> 24) == 0)
			return "reserved";		/* "this network" */
		if ((v >> 24) == 127)
			return "loopback";
		if ((v >> 16) == 0xa9fe)
			return "link-local";
		if ((v >> 24) == 10 || (v >> 20) == 0xac1 ||
		    (v >> 16) == 0xc0a8)
			return "private";
		if ((v & 0xffc00000u) == 0x64400000u)
			return "shared";
		if ((v >> 8) == 0xc00002 || (v >> 8) == 0xc63364 ||
		    (v >> 8) == 0xcb0071)
			return "documentation";
		if ((v >> 28) == 0xe)
			return "multicast";
		if ((v >> 28) == 0xf || (v >> 8) == 0xc00000 ||
		    (v & 0xfffe0000u) == 0xc6120000u || (v >> 8) == 0xc05863)
			return "reserved";
		return "public";
	}
	if (h == 0 && a.lo == 0)
		return "unspecified";
	if (h == 0 && a.lo == 1)
		return "loopback";
	if (h == 0 && (a.lo >> 32) == 0xffff)
		return "ipv4-mapped";
	if ((h >> 54) == 0x3fa)			/* fe80::/10 */
		return "link-local";
	if ((h >> 57) == 0x7e)			/* fc00::/7 */
		return "unique-local";
	if ((h >> 56) == 0xff)
		return "multicast";
	if ((h >> 32) == 0x20010db8 || (h >> 44) == 0x3fff0)
		return "documentation";		/* 2001:db8::/32, 3fff::/20 */
	if ((h >> 61) == 1)			/* 2000::/3 */
		return (h >> 41) == (0x2001000000000000ULL >> 41) ?
		    "reserved" : "public";	/* 2001::/23 */
	return "reserved";
}

static size_t
str4(uint32_t v, char *buf)
{
	char	*p = buf;
	int	i, o;

	for (i = 3; i >= 0; i--) {
		o = (int)(v >> (i * 8) & 0xff);
		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		if (i > 0)
			*p++ = '.';
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
sk_ip_str(int family, struct sk_u128 a, char *buf)
{
	unsigned		g[8];
	int			i, best = -1, bestlen = 0, run, k;
	char			*p = buf;

	if (family == 4)
		return str4((uint32_t)a.lo, buf);
	if (a.hi == 0 && (a.lo >> 32) == 0xffff) {
		p += snprintf(buf, 8, "::ffff:");
		return 7 + str4((uint32_t)a.lo, p);
	}
	for (i = 0; i < 4; i++) {
		g[i] = (unsigned)(a.hi >> (48 - 16 * i) & 0xffff);
		g[i + 4] = (unsigned)(a.lo >> (48 - 16 * i) & 0xffff);
	}
	/* The longest run of zero groups (the first of equals), two or more
	 * groups long, becomes "::" (RFC 5952 section 4.2). */
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			*p++ = ':';
		for (k = 12; k > 0 && (g[i] >> k) == 0; k -= 4)
			;
		for (; k >= 0; k -= 4)
			*p++ = SK_TEXT_HEXDIGITS[g[i] >> k & 0xf];
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
sk_ip6_expanded(struct sk_u128 a, char *buf)
{
	int			i;
	char			*p = buf;

	for (i = 0; i < 32; i++) {
		*p++ = SK_TEXT_HEXDIGITS[sk_u128_shr(a, 124 - 4 * i).lo & 0xf];
		if (i % 4 == 3 && i < 31)
			*p++ = ':';
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
sk_ip_reverse(const struct sk_ip *ip, char *buf, size_t size)
{
	struct sk_u128		n = sk_ip_network(ip);
	size_t			o = 0;
	int			i, labels;

	buf[0] = '\0';
	if (ip->family == 4) {
		labels = ip->prefix / 8;
		for (i = labels - 1; i >= 0; i--)
			o += (size_t)snprintf(buf + o, size - o, "%u.",
			    (unsigned)(n.lo >> (24 - 8 * i) & 0xff));
		o += (size_t)snprintf(buf + o, size - o, "in-addr.arpa");
		return o;
	}
	labels = ip->prefix / 4;
	for (i = labels - 1; i >= 0 && o + 2 < size; i--) {
		buf[o++] = SK_TEXT_HEXDIGITS[sk_u128_shr(n, 124 - 4 * i).lo &
		    0xf];
		buf[o++] = '.';
	}
	o += (size_t)snprintf(buf + o, size - o, "ip6.arpa");
	return o;
}

int
sk_ip_contains(const struct sk_ip *ip, struct sk_u128 a)
{
	struct sk_u128	m = sk_ip_mask(ip->family, ip->prefix);

	return sk_u128_cmp(sk_u128_and(a, m), sk_ip_network(ip)) == 0;
}

int
sk_ip_covers(const struct sk_ip *net, const struct sk_ip *sub)
{
	/* A block is inside another only when it is no bigger and its
	 * first address is inside: then so is its last. */
	return sub->family == net->family && sub->prefix >= net->prefix &&
	    sk_ip_contains(net, sub->addr);
}

int
sk_ip_range_next(int family, struct sk_u128 *from, struct sk_u128 to,
    int *done, struct sk_ip *block)
{
	int		w = family == 4 ? 32 : 128, p, tz;
	struct sk_u128	last = *from;

	if (*done || sk_u128_cmp(*from, to) > 0)
		return 0;
	/* The biggest aligned block at from that ends at or before to. */
	tz = sk_u128_ctz(*from);
	for (p = w - (tz < w ? tz : w); p <= w; p++) {
		last = sk_u128_or(*from, sk_ip_wildcard(family, p));
		if (sk_u128_cmp(last, to) <= 0)
			break;
	}
	memset(block, 0, sizeof(*block));
	block->family = family;
	block->addr = *from;
	block->prefix = p;
	if (sk_u128_cmp(last, sk_ip_wildcard(family, 0)) == 0)
		*done = 1;	/* the end of the address space */
	else
		*from = sk_u128_add(last, 1);
	if (sk_u128_cmp(last, to) == 0)
		*done = 1;
	return 1;
}
