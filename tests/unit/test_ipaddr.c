/*
 * test_ipaddr.c - the address core: parsing by inet_pton's rules, masks
 * in every form, the network facts at the edges (/0, /31, /32, /128),
 * classes, types, RFC 5952 text, reverse names and range cover.
 */
#include <string.h>

#include <sockkit/ipaddr.h>

#include "testutil.h"

static struct sk_ip
ip_of(const char *s)
{
	struct sk_ip	ip;

	assert_int_equal(sk_ip_parse(s, strlen(s), &ip), 0);
	return ip;
}

static const char *
str(int family, struct sk_u128 a)
{
	static char	buf[SK_IP_STRLEN];

	sk_ip_str(family, a, buf);
	return buf;
}

static void
test_parse(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "010.1.1.1", "1.2.3.04",
		"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/024", "1.2.3.4//24",
		"1.2.3.4/255.0.255.0", "1.2.3.4/0x0f0f0000", " 1.2.3.4",
		"1.2.3.4 ", "::g", "1:2:3:4:5:6:7:8:9", "::/129", "fe80::1%",
		"fe80::1%a b", "1.2.3.4%eth0", "::1/64/64",
	};
	struct sk_ip	ip;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sk_ip_parse(bad[i], strlen(bad[i]), &ip) != -1)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(sk_ip_parse("1.2.3.4\0", 8, &ip), -1);
	ip = ip_of("0.0.0.0");
	assert_int_equal(ip.family, 4);
	assert_int_equal(ip.prefix, 32);
	ip = ip_of("10.0.0.1/255.0.0.0");
	assert_int_equal(ip.prefix, 8);
	ip = ip_of("10.0.0.1/0.0.255.255");
	assert_int_equal(ip.prefix, 16);
	ip = ip_of("10.0.0.1/0.0.0.0");
	assert_int_equal(ip.prefix, 0);
	ip = ip_of("10.0.0.1/255.255.255.255");
	assert_int_equal(ip.prefix, 32);
	ip = ip_of("10.0.0.1/0xffffff00");
	assert_int_equal(ip.prefix, 24);
	ip = ip_of("fe80::1%eth0/64");
	assert_int_equal(ip.family, 6);
	assert_int_equal(ip.prefix, 64);
	assert_string_equal(ip.zone, "eth0");
	ip = ip_of("::");
	assert_int_equal(ip.prefix, 128);
}

static void
test_v4_facts(void **state)
{
	struct sk_ip	ip;
	char		n[SK_IP_STRLEN];

	(void)state;
	ip = ip_of("192.168.1.10/24");
	assert_string_equal(str(4, sk_ip_network(&ip)), "192.168.1.0");
	assert_string_equal(str(4, sk_ip_last(&ip)), "192.168.1.255");
	assert_string_equal(str(4, sk_ip_first_host(&ip)), "192.168.1.1");
	assert_string_equal(str(4, sk_ip_last_host(&ip)), "192.168.1.254");
	assert_true(sk_ip4_hosts(&ip) == 254);
	ip = ip_of("0.0.0.0/0");
	assert_true(sk_ip4_hosts(&ip) == 4294967294ULL);
	assert_string_equal(str(4, sk_ip_last(&ip)), "255.255.255.255");
	ip = ip_of("10.0.0.1/31");
	assert_string_equal(str(4, sk_ip_first_host(&ip)), "10.0.0.0");
	assert_string_equal(str(4, sk_ip_last_host(&ip)), "10.0.0.1");
	assert_string_equal(str(4, sk_ip_last(&ip)), "10.0.0.1");
	assert_true(sk_ip4_hosts(&ip) == 2);
	ip = ip_of("10.0.0.1");
	assert_string_equal(str(4, sk_ip_last(&ip)), "10.0.0.1");
	assert_true(sk_ip4_hosts(&ip) == 1);
	sk_ip_count_str(&ip, n);
	assert_string_equal(n, "1");
	assert_int_equal(sk_ip4_class(0x7fffffff), 'A');
	assert_int_equal(sk_ip4_class(0x80000000), 'B');
	assert_int_equal(sk_ip4_class(0xc0000000), 'C');
	assert_int_equal(sk_ip4_class(0xefffffff), 'D');
	assert_int_equal(sk_ip4_class(0xf0000000), 'E');
}

static void
test_types(void **state)
{
	static const struct {
		const char	*a, *type;
	} t[] = {
		{ "0.0.0.0", "unspecified" }, { "0.1.2.3", "reserved" },
		{ "10.1.1.1", "private" }, { "172.31.255.255", "private" },
		{ "172.32.0.0", "public" }, { "100.64.0.0", "shared" },
		{ "127.0.0.1", "loopback" }, { "169.254.1.1", "link-local" },
		{ "192.0.2.255", "documentation" }, { "224.0.0.1", "multicast" },
		{ "240.0.0.0", "reserved" }, { "255.255.255.255", "broadcast" },
		{ "8.8.8.8", "public" }, { "::", "unspecified" },
		{ "::1", "loopback" }, { "::ffff:1.2.3.4", "ipv4-mapped" },
		{ "fe80::1", "link-local" }, { "fd00::1", "unique-local" },
		{ "ff02::1", "multicast" }, { "2001:db8::1", "documentation" },
		{ "3fff::1", "documentation" }, { "2606:4700::1", "public" },
		{ "2001::1", "reserved" }, { "4000::1", "reserved" },
	};
	struct sk_ip	ip;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ip = ip_of(t[i].a);
		if (strcmp(sk_ip_type(ip.family, ip.addr), t[i].type) != 0)
			fail_msg("%s: %s, wanted %s", t[i].a,
			    sk_ip_type(ip.family, ip.addr), t[i].type);
	}
}

static void
test_v6_text(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
		{ "ABCD:EF01::", "abcd:ef01::" },
	};
	struct sk_ip	ip;
	char		buf[SK_IP_STRLEN];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ip = ip_of(t[i].in);
		assert_string_equal(str(6, ip.addr), t[i].out);
	}
	ip = ip_of("2001:db8::1/64");
	sk_ip6_expanded(ip.addr, buf);
	assert_string_equal(buf, "2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_string_equal(str(6, sk_ip_last(&ip)),
	    "2001:db8::ffff:ffff:ffff:ffff");
	sk_ip_count_str(&ip, buf);
	assert_string_equal(buf, "18446744073709551616");
	ip = ip_of("::/0");
	sk_ip_count_str(&ip, buf);
	assert_string_equal(buf, "340282366920938463463374607431768211456");
}

static void
test_reverse_contains(void **state)
{
	struct sk_ip	ip, a;
	char		buf[128];

	(void)state;
	ip = ip_of("192.168.1.0/24");
	sk_ip_reverse(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "1.168.192.in-addr.arpa");
	ip = ip_of("0.0.0.0/0");
	sk_ip_reverse(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "in-addr.arpa");
	ip = ip_of("2001:db8::/32");
	sk_ip_reverse(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "8.b.d.0.1.0.0.2.ip6.arpa");
	ip = ip_of("10.0.0.0/8");
	a = ip_of("10.255.255.255");
	assert_true(sk_ip_contains(&ip, a.addr));
	a = ip_of("11.0.0.0");
	assert_false(sk_ip_contains(&ip, a.addr));
}

static void
test_range(void **state)
{
	struct sk_ip	a, b, blk;
	struct sk_u128	from;
	char		out[256] = "", one[SK_IP_STRLEN + 16];
	int		done = 0, n = 0;

	(void)state;
	a = ip_of("10.0.0.1");
	b = ip_of("10.0.0.10");
	from = a.addr;
	while (sk_ip_range_next(4, &from, b.addr, &done, &blk)) {
		snprintf(one, sizeof(one), "%s/%d ", str(4, blk.addr),
		    blk.prefix);
		strcat(out, one);
	}
	assert_string_equal(out, "10.0.0.1/32 10.0.0.2/31 10.0.0.4/30 "
	    "10.0.0.8/31 10.0.0.10/32 ");
	/* The whole space ends: one block, no wrap-around. */
	a = ip_of("0.0.0.0");
	b = ip_of("255.255.255.255");
	from = a.addr;
	done = 0;
	while (sk_ip_range_next(4, &from, b.addr, &done, &blk))
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(blk.prefix, 0);
	a = ip_of("::");
	b = ip_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	from = a.addr;
	done = n = 0;
	while (sk_ip_range_next(6, &from, b.addr, &done, &blk))
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(blk.prefix, 0);
}

/* Why a parse failed: "" for the address itself, else the prefix's or
 * netmask's fault, whole input and one byte short at a time. */
static void
test_parse_reasons(void **state)
{
	static const struct {
		const char	*in, *why;
	} t[] = {
		{ "256.1.1.1/8", "" }, { "1.2.3", "" }, { "/24", "" },
		{ "fe80::1%/64", "" }, { "::g/64", "" },
		{ "10.0.0.1/33", "prefix 33 is over 32" },
		{ "::/129", "prefix 129 is over 128" },
		{ "10.0.0.1/1000000000000000", "prefix 100000000000... is "
		    "over 32" },
		{ "10.0.0.1/024", "prefix 024 has a leading zero" },
		{ "10.0.0.1/", "the prefix is empty" },
		{ "10.0.0.1/-1", "prefix is not a number from 0 to 32" },
		{ "10.0.0.1/2x", "prefix is not a number from 0 to 32" },
		{ "10.0.0.1/255.0.255.0", "netmask is not contiguous (ones, "
		    "then zeros, as 255.255.255.0)" },
		{ "10.0.0.1/255.0.0", "netmask is not a dotted quad such as "
		    "255.255.255.0" },
		{ "10.0.0.1/0x", "hex netmask has no digits" },
		{ "10.0.0.1/0xfffffffff", "hex netmask is over 32 bits" },
		{ "10.0.0.1/0xffg00000", "hex netmask has a digit that is not "
		    "hex" },
		{ "10.0.0.1/0xff00ff00", "netmask is not contiguous (ones, "
		    "then zeros, as 0xffffff00)" },
		{ "::1/255.255.0.0", "IPv6 takes a prefix length from 0 to 128, "
		    "not a netmask" },
		{ "::1/0xff", "IPv6 takes a prefix length from 0 to 128, not a "
		    "netmask" },
	};
	struct sk_ip	ip;
	char		err[SK_IP_ERRLEN];
	int		p;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		strcpy(err, "unset");
		if (sk_ip_parse_err(err, t[i].in, strlen(t[i].in), &ip) != -1)
			fail_msg("accepted '%s'", t[i].in);
		if (strcmp(err, t[i].why) != 0)
			fail_msg("'%s': '%s', wanted '%s'", t[i].in, err,
			    t[i].why);
		assert_int_equal(sk_ip_parse(t[i].in, strlen(t[i].in), &ip),
		    -1);
	}
	/* A good one leaves err empty and matches sk_ip_parse(). */
	assert_int_equal(sk_ip_parse_err(err, "10.0.0.1/8", 10, &ip), 0);
	assert_int_equal(ip.prefix, 8);
	assert_int_equal(sk_ip_parse_err(NULL, "10.0.0.1/33", 11, &ip), -1);
	/* The separate NETMASK. */
	assert_int_equal(sk_ip_parse_mask_err(err, "255.255.0.0", 11, 4, &p),
	    0);
	assert_int_equal(p, 16);
	assert_int_equal(sk_ip_parse_mask_err(err, "0.0.0.255", 9, 4, &p), 0);
	assert_int_equal(p, 24);
	assert_int_equal(sk_ip_parse_mask_err(err, "64", 2, 6, &p), 0);
	assert_int_equal(p, 64);
	assert_int_equal(sk_ip_parse_mask_err(err, "33", 2, 4, &p), -1);
	assert_string_equal(err, "prefix 33 is over 32");
	assert_int_equal(sk_ip_parse_mask(" 8", 2, 4, &p), -1);
}

/* All of a network inside another: no bigger, and starting inside. */
static void
test_covers(void **state)
{
	static const struct {
		const char	*net, *sub;
		int		 in;
	} t[] = {
		{ "10.0.0.0/8", "10.0.0.0/0", 0 },
		{ "10.0.0.0/8", "10.0.0.0/7", 0 },
		{ "10.0.0.0/8", "10.0.0.0/8", 1 },
		{ "10.0.0.0/8", "10.255.0.0/16", 1 },
		{ "10.0.0.0/8", "10.255.255.255", 1 },
		{ "10.0.0.0/8", "11.0.0.0/16", 0 },
		{ "0.0.0.0/0", "255.255.255.255", 1 },
		{ "0.0.0.0/0", "::/0", 0 },
		{ "::/0", "::/0", 1 },
		{ "2001:db8::/32", "2001:db8:ffff::/48", 1 },
		{ "2001:db8::/32", "2001:db8::/31", 0 },
		{ "::1/128", "::/0", 0 },
		{ "::ffff:0:0/96", "10.0.0.1", 0 },
	};
	struct sk_ip	net, sub;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		net = ip_of(t[i].net);
		sub = ip_of(t[i].sub);
		if (sk_ip_covers(&net, &sub) != t[i].in)
			fail_msg("%s in %s: %d", t[i].sub, t[i].net, !t[i].in);
	}
}

/* The IPv6 count, exact at every prefix: 2^(128 - p). */
static void
test_count(void **state)
{
	static const char *const want[] = {
		"340282366920938463463374607431768211456",	/* /0 */
		"170141183460469231731687303715884105728",	/* /1 */
		"18446744073709551616",				/* /64 */
		"9223372036854775808",				/* /65 */
		"1073741824",					/* /98 */
		"536870912",					/* /99 */
		"1",						/* /128 */
	};
	static const int	p[] = { 0, 1, 64, 65, 98, 99, 128 };
	struct sk_ip		ip = ip_of("::");
	char			buf[SK_IP_STRLEN];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		ip.prefix = p[i];
		sk_ip_count_str(&ip, buf);
		assert_string_equal(buf, want[i]);
	}
	ip = ip_of("0.0.0.0/0");
	sk_ip_count_str(&ip, buf);
	assert_string_equal(buf, "4294967294");
}

#define M	UINT64_MAX
#define H	0x8000000000000000ULL

/* Each operation on its edges: carries and borrows across the halves,
 * wrapping at 2^128, shifts by 0, 63, 64, 65, 127 and 128. */
static void
test_u128(void **state)
{
	static const struct {
		char		 op;		/* + - < > */
		uint64_t	 ahi, alo;
		uint64_t	 n;		/* addend or shift */
		uint64_t	 whi, wlo;
	} acases[] = {
		{ '+', 0, 0, 1, 0, 1 },
		{ '+', 0, M, 1, 1, 0 },			/* carry */
		{ '+', 5, M - 1, 3, 6, 1 },
		{ '+', M, M, 1, 0, 0 },			/* wraps */
		{ '+', 7, 9, 0, 7, 9 },
		{ '-', 0, 1, 1, 0, 0 },
		{ '-', 1, 0, 1, 0, M },			/* borrow */
		{ '-', 6, 1, 3, 5, M - 1 },
		{ '-', 0, 0, 1, M, M },			/* wraps */
		{ '<', 0, 1, 0, 0, 1 },
		{ '<', 0, 1, 1, 0, 2 },
		{ '<', 0, H, 1, 1, 0 },			/* across the halves */
		{ '<', 0, 3, 63, 1, H },
		{ '<', 0, 3, 64, 3, 0 },
		{ '<', 0, 3, 65, 6, 0 },
		{ '<', 0, 1, 127, H, 0 },
		{ '<', M, M, 128, 0, 0 },
		{ '<', M, M, 200, 0, 0 },
		{ '>', H, 0, 0, H, 0 },
		{ '>', 1, 0, 1, 0, H },
		{ '>', 3, 0, 63, 0, 6 },
		{ '>', 3, 0, 64, 0, 3 },
		{ '>', 6, 0, 65, 0, 3 },
		{ '>', H, 0, 127, 0, 1 },
		{ '>', M, M, 128, 0, 0 },
	};
	static const struct {
		uint64_t	ahi, alo, bhi, blo;
		int		cmp;
	} ccases[] = {
		{ 0, 0, 0, 0, 0 }, { 0, 1, 0, 2, -1 }, { 1, 0, 0, M, 1 },
		{ M, M, M, M, 0 }, { 0, M, 1, 0, -1 }, { 2, 0, 1, M, 1 },
	};
	static const struct {
		uint64_t	hi, lo;
		int		ctz;
	} zcases[] = {
		{ 0, 0, 128 }, { 0, 1, 0 }, { 0, H, 63 }, { 1, 0, 64 },
		{ H, 0, 127 }, { M, M, 0 }, { 4, 0, 66 },
	};
	struct sk_u128	a, b, r;
	size_t		i;
	int		k;

	(void)state;
	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		a = sk_u128_make(acases[i].ahi, acases[i].alo);
		switch (acases[i].op) {
		case '+':
			r = sk_u128_add(a, acases[i].n);
			break;
		case '-':
			r = sk_u128_sub(a, acases[i].n);
			break;
		case '<':
			r = sk_u128_shl(a, (int)acases[i].n);
			break;
		default:
			r = sk_u128_shr(a, (int)acases[i].n);
			break;
		}
		if (r.hi != acases[i].whi || r.lo != acases[i].wlo)
			fail_msg("case %zu (%c): %016llx%016llx", i,
			    acases[i].op, (unsigned long long)r.hi,
			    (unsigned long long)r.lo);
	}
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		a = sk_u128_make(ccases[i].ahi, ccases[i].alo);
		b = sk_u128_make(ccases[i].bhi, ccases[i].blo);
		assert_int_equal(sk_u128_cmp(a, b), ccases[i].cmp);
		assert_int_equal(sk_u128_cmp(b, a), -ccases[i].cmp);
	}
	for (i = 0; i < sizeof(zcases) / sizeof(zcases[0]); i++)
		assert_int_equal(sk_u128_ctz(sk_u128_make(zcases[i].hi,
		    zcases[i].lo)), zcases[i].ctz);
	/* The bitwise ones, and bit n agreeing with the shifts. */
	a = sk_u128_make(0xf0f0f0f0f0f0f0f0ULL, 0x00ff00ff00ff00ffULL);
	b = sk_u128_make(0xff00ff00ff00ff00ULL, 0x0f0f0f0f0f0f0f0fULL);
	r = sk_u128_and(a, b);
	assert_true(r.hi == 0xf000f000f000f000ULL &&
	    r.lo == 0x000f000f000f000fULL);
	r = sk_u128_or(a, b);
	assert_true(r.hi == 0xfff0fff0fff0fff0ULL &&
	    r.lo == 0x0fff0fff0fff0fffULL);
	r = sk_u128_not(a);
	assert_true(r.hi == 0x0f0f0f0f0f0f0f0fULL &&
	    r.lo == 0xff00ff00ff00ff00ULL);
	for (k = 0; k < 128; k++) {
		assert_int_equal(sk_u128_bit(sk_u128_shl(sk_u128_make(0, 1),
		    k), k), 1);
		assert_int_equal(sk_u128_bit(a, k), k < 64 ?
		    (int)(a.lo >> k & 1) : (int)(a.hi >> (k - 64) & 1));
	}
}

/* The mask and the wildcard split the family's bits between them. */
static void
test_mask_wildcard(void **state)
{
	static const struct {
		int		family, prefix;
		uint64_t	mhi, mlo, whi, wlo;
	} cases[] = {
		{ 4, 0, 0, 0, 0, 0xffffffff },
		{ 4, 8, 0, 0xff000000, 0, 0x00ffffff },
		{ 4, 31, 0, 0xfffffffe, 0, 1 },
		{ 4, 32, 0, 0xffffffff, 0, 0 },
		{ 6, 0, 0, 0, M, M },
		{ 6, 1, H, 0, M >> 1, M },
		{ 6, 64, M, 0, 0, M },
		{ 6, 65, M, H, 0, M >> 1 },
		{ 6, 127, M, M - 1, 0, 1 },
		{ 6, 128, M, M, 0, 0 },
	};
	struct sk_u128	m, w;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = sk_ip_mask(cases[i].family, cases[i].prefix);
		w = sk_ip_wildcard(cases[i].family, cases[i].prefix);
		if (m.hi != cases[i].mhi || m.lo != cases[i].mlo ||
		    w.hi != cases[i].whi || w.lo != cases[i].wlo)
			fail_msg("case %zu: /%d", i, cases[i].prefix);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_v4_facts),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_v6_text),
		cmocka_unit_test(test_reverse_contains),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_u128),
		cmocka_unit_test(test_mask_wildcard),
	};

	return cmocka_run_group_tests_name("ipaddr", tests, NULL, NULL);
}
