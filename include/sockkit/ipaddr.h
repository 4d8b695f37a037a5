/*
 * ipaddr.h - IPv4 and IPv6 addresses and networks: parsing (as inet_pton
 * does: "010.1.1.1" and "1.2.3" are errors), prefixes and masks, the
 * facts ipcalc reports, RFC 5952 text, reverse-DNS names, and the CIDR
 * blocks covering a range.  Nothing allocates.
 *
 * An address is held as a 128-bit number in two halves; an IPv4 address
 * is the low 32 bits.  Types follow the IANA special-purpose registries
 * (IPv4 as updated 2020-09-04, IPv6 as updated 2025-10-09).
 */
#ifndef SOCKKIT_IPADDR_H
#define SOCKKIT_IPADDR_H

#include <stddef.h>
#include <stdint.h>

struct sk_u128 {
	uint64_t	hi, lo;
};

struct sk_ip {
	int		family;		/* 4 or 6 */
	struct sk_u128	addr;
	int		prefix;		/* 0..32 or 0..128 */
	char		zone[32];	/* IPv6 zone id ("eth0"), or "" */
};

#define SK_IP_STRLEN	64	/* any text made here, with its NUL */
#define SK_IP_ERRLEN	96	/* room for a reason from sk_ip_parse_err() */

/*
 * "ADDR", "ADDR/PREFIX" or "ADDR/MASK" (IPv4: a dotted or 0x netmask, or
 * a wildcard mask that cannot be taken for a netmask): 0, or -1 (no errno:
 * a text parser, all of s or nothing).  A bare
 * address is a /32 (/128).  s need not be NUL-terminated; a NUL in it is
 * an error.
 */
int	sk_ip_parse(const char *s, size_t n, struct sk_ip *ip);

/* A netmask (IPv4: dotted, 0x or wildcard) or a prefix length "N" for
 * family into *prefix: 0, or -1. */
int	sk_ip_parse_mask(const char *s, size_t n, int family, int *prefix);

/*
 * The same two, saying why on -1 in their own err shape: err (SK_IP_ERRLEN
 * bytes, may be NULL) holds "" when the address itself is bad, else a
 * phrase naming what is wrong with the prefix or netmask ("prefix 33 is
 * over 32"), made of no byte of s but digits, so it is safe to print as
 * it is.
 */
int	sk_ip_parse_err(char *err, const char *s, size_t n, struct sk_ip *ip);
int	sk_ip_parse_mask_err(char *err, const char *s, size_t n, int family,
	    int *prefix);

/*
 * 128-bit unsigned arithmetic, wrapping modulo 2^128 as unsigned C
 * arithmetic does.  Shifts by n >= 128 give 0 (n < 0 is not allowed).
 * sk_u128_cmp() returns -1, 0 or 1; sk_u128_bit() bit n (0 the least
 * significant, 0..127) as 0 or 1; sk_u128_ctz() the trailing zero bits,
 * 128 for zero.
 */
/* Inline: ipcalc's --split and --range loops call these per address. */
static inline struct sk_u128
sk_u128_make(uint64_t hi, uint64_t lo)
{
	struct sk_u128	x;

	x.hi = hi;
	x.lo = lo;
	return x;
}

static inline int
sk_u128_cmp(struct sk_u128 a, struct sk_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static inline struct sk_u128
sk_u128_and(struct sk_u128 a, struct sk_u128 b)
{
	return sk_u128_make(a.hi & b.hi, a.lo & b.lo);
}

static inline struct sk_u128
sk_u128_or(struct sk_u128 a, struct sk_u128 b)
{
	return sk_u128_make(a.hi | b.hi, a.lo | b.lo);
}

static inline struct sk_u128
sk_u128_not(struct sk_u128 a)
{
	return sk_u128_make(~a.hi, ~a.lo);
}

static inline struct sk_u128
sk_u128_add(struct sk_u128 a, uint64_t n)
{
	struct sk_u128	x = sk_u128_make(a.hi, a.lo + n);

	if (x.lo < a.lo)
		x.hi++;
	return x;
}

static inline struct sk_u128
sk_u128_sub(struct sk_u128 a, uint64_t n)
{
	return sk_u128_make(a.lo < n ? a.hi - 1 : a.hi, a.lo - n);
}

/* C leaves shifts by the width or more undefined: each case apart. */
static inline struct sk_u128
sk_u128_shl(struct sk_u128 a, int n)
{
	if (n >= 128)
		return sk_u128_make(0, 0);
	if (n >= 64)
		return sk_u128_make(a.lo << (n - 64), 0);
	if (n == 0)
		return a;
	return sk_u128_make(a.hi << n | a.lo >> (64 - n), a.lo << n);
}

static inline struct sk_u128
sk_u128_shr(struct sk_u128 a, int n)
{
	if (n >= 128)
		return sk_u128_make(0, 0);
	if (n >= 64)
		return sk_u128_make(0, a.hi >> (n - 64));
	if (n == 0)
		return a;
	return sk_u128_make(a.hi >> n, a.lo >> n | a.hi << (64 - n));
}

static inline int
sk_u128_bit(struct sk_u128 a, int n)
{
	return (int)(sk_u128_shr(a, n).lo & 1);
}

int		sk_u128_ctz(struct sk_u128 a);

/* The network's facts.  The wildcard is the mask's host bits (IPv4: in
 * the low 32 bits only). */
struct sk_u128	sk_ip_mask(int family, int prefix);
struct sk_u128	sk_ip_wildcard(int family, int prefix);
struct sk_u128	sk_ip_network(const struct sk_ip *ip);
struct sk_u128	sk_ip_last(const struct sk_ip *ip);	/* broadcast (v4) */
/* First and last usable host: RFC 3021 for /31 and /32; IPv6: all. */
struct sk_u128	sk_ip_first_host(const struct sk_ip *ip);
struct sk_u128	sk_ip_last_host(const struct sk_ip *ip);
/* How many hosts (IPv4, 64-bit) or addresses (IPv6, decimal text). */
uint64_t	sk_ip4_hosts(const struct sk_ip *ip);
void		sk_ip_count_str(const struct sk_ip *ip, char *buf);

/* 'A'..'E' for an IPv4 address. */
char		sk_ip4_class(uint32_t a);
/* What the address itself is: "private", "public", "loopback", ... */
const char	*sk_ip_type(int family, struct sk_u128 a);

/*
 * Text, NUL-terminated, into buf (SK_IP_STRLEN bytes; sk_ip_reverse():
 * size): each returns the length of the text.
 * IPv4 dotted; IPv6 per RFC 5952 (IPv4-mapped as ::ffff:a.b.c.d).
 */
size_t	sk_ip_str(int family, struct sk_u128 a, char *buf);
/* IPv6 with all eight groups of four digits. */
size_t	sk_ip6_expanded(struct sk_u128 a, char *buf);
/* The in-addr.arpa / ip6.arpa name of a network (whole labels only). */
size_t	sk_ip_reverse(const struct sk_ip *ip, char *buf, size_t size);

/* Is a (same family) inside ip's network?  1 or 0. */
int	sk_ip_contains(const struct sk_ip *ip, struct sk_u128 a);
/* Is all of sub's network inside net's (same family, prefix no shorter)?
 * 1 or 0. */
int	sk_ip_covers(const struct sk_ip *net, const struct sk_ip *sub);


/*
 * The minimal CIDR blocks covering [*from, to], one call each: fills
 * *block and moves *from past it.  Returns 1 with a block, 0 when done
 * (*from past to).  *done must be 0 at the start.
 */
int	sk_ip_range_next(int family, struct sk_u128 *from, struct sk_u128 to,
	    int *done, struct sk_ip *block);

#endif /* SOCKKIT_IPADDR_H */
