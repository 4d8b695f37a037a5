/*
 * test_announce.c - the LAN announce datagram: the NAME rule, the format,
 * the parser (whole and cut short, every hostile form the integration
 * tests send), and the sender socket.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/announce.h>
#include <sockkit/net.h>

#include "testutil.h"

#define U(s)	((const uint8_t *)(s))

static const char	long65[] =
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
static const char	long64[] =
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

static void
test_name(void **state)
{
	static const struct {
		const char	*name;
		size_t		 n;
		const char	*why;		/* NULL: a NAME */
	} cases[] = {
		{ "files", 5, NULL },
		{ "caf\xc3\xa9", 5, NULL },
		{ "a-b_c.d:e/f@g", 13, NULL },
		{ long64, 64, NULL },
		{ "", 0, "is empty" },
		{ long65, 65, "is 65 bytes, over 64" },
		{ "bad name", 8, "holds a space" },
		{ " lead", 5, "holds a space" },
		{ "tab\tx", 5, "holds a control byte, a newline or broken UTF-8" },
		{ "nl\n", 3, "holds a control byte, a newline or broken UTF-8" },
		{ "e\x1b[2J", 5, "holds a control byte, a newline or broken "
		    "UTF-8" },
		{ "csi\x9b", 4, "holds a control byte, a newline or broken "
		    "UTF-8" },
		{ "c1\xc2\x9b", 4, "holds a control byte, a newline or broken "
		    "UTF-8" },
		{ "br\xff", 3, "holds a control byte, a newline or broken "
		    "UTF-8" },
		{ "del\x7f", 4, "holds a control byte, a newline or broken "
		    "UTF-8" },
		{ "nul\0x", 5, "holds a control byte, a newline or broken "
		    "UTF-8" },
	};
	char		 why[SK_ANN_WHYLEN];
	const char	*got;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = sk_ann_name_bad(cases[i].name, cases[i].n, why,
		    sizeof(why));
		if (cases[i].why == NULL ? got != NULL : got == NULL ||
		    strcmp(got, cases[i].why) != 0)
			fail_msg("case %zu: '%s' for '%.*s'", i,
			    got ? got : "(ok)", (int)cases[i].n,
			    cases[i].name);
	}
}

static void
test_format(void **state)
{
	char	buf[SK_ANN_DGRAMMAX + 1], big[256];
	int	n;

	(void)state;
	assert_int_equal(sk_ann_format(buf, sizeof(buf), "files", 8080), 30);
	assert_string_equal(buf, "sockkit-announce 1 files 8080\n");
	/* The longest fits SK_ANN_DGRAMMAX exactly. */
	n = sk_ann_format(buf, sizeof(buf), long64, 65535);
	assert_int_equal(n, SK_ANN_DGRAMMAX);
	assert_int_equal(sk_ann_format(buf, SK_ANN_DGRAMMAX, long64, 65535),
	    -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), long65, 80), -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), "a b", 80), -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), "", 80), -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), "x", 0), -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), "x", 65536), -1);
	assert_int_equal(sk_ann_format(big, sizeof(big), "x", 1), 23);
}

static const struct {
	const char	*d;
	size_t		 n;
	const char	*name;		/* NULL: not an announcement */
	int		 port;
} parse_cases[] = {
#define C(s, name, port)	{ s, sizeof(s) - 1, name, port }
	C("sockkit-announce 1 good 83\n", "good", 83),
	C("sockkit-announce 1 good 83", "good", 83),
	C("sockkit-announce 1 crlf 82\r\n", "crlf", 82),
	C("sockkit-announce 1 caf\xc3\xa9 80\n", "caf\xc3\xa9", 80),
	C("sockkit-announce 1 x 1\n", "x", 1),
	C("sockkit-announce 1 x 65535\n", "x", 65535),
	C("sockkit-announce 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx 65535\r\n", long64, 65535),
	/* t_trust_udp_discover_strict */
	C("sockkit-announce 1 pad 0081\n", NULL, 0),
	C("sockkit-announce 1 zero 0\n", NULL, 0),
	C("sockkit-announce 1 plus +81\n", NULL, 0),
	C("sockkit-announce 1 big 65536\n", NULL, 0),
	C("sockkit-announce 1 cr 81\r", NULL, 0),
	C("sockkit-announce 1 two  81\n", NULL, 0),
	C("sockkit-announce 1 tail 81 \n", NULL, 0),
	C("sockkit-announce 1 nl 81\n\n", NULL, 0),
	C("sockkit-announce 01 ver 81\n", NULL, 0),
	C("sockkit-announce 1  sp 81\n", NULL, 0),
	C("sockkit-announce  1 sp2 81\n", NULL, 0),
	C("Sockkit-announce 1 case 81\n", NULL, 0),
	C("sockkit-announce 1 nul 81\0", NULL, 0),
	C("sockkit-announce 1 \xff 81\n", NULL, 0),
	C("sockkit-announce 1 tab\t 81\n", NULL, 0),
	C("sockkit-announce 1 lead 081\n", NULL, 0),
	/* t_trust_udp_discover_hostile_names_on_a_terminal */
	C("sockkit-announce 1 e\x1b[2Jx 80\n", NULL, 0),
	C("sockkit-announce 1 csi\x9b" "2J 80\n", NULL, 0),
	C("sockkit-announce 1 c1\xc2\x9b" "2J 80\n", NULL, 0),
	C("sockkit-announce 1 nul\0x 80\n", NULL, 0),
	C("sockkit-announce 1 del\x7f 80\n", NULL, 0),
	C("sockkit-announce 1 fine 80\nevil 81\n", NULL, 0),
	C("sockkit-announce 1 hex 0x50\n", NULL, 0),
	C("sockkit-announce 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxx 80\n", NULL, 0),
	/* and the edges */
	C("", NULL, 0),
	C("sockkit-announce 1 ", NULL, 0),
	C("sockkit-announce 1 x", NULL, 0),
	C("sockkit-announce 1 x \n", NULL, 0),
	C("sockkit-announce 1  80\n", NULL, 0),
	C("sockkit-announce 1 x 123456\n", NULL, 0),
	C("sockkit-announce 1 x 99999\n", NULL, 0),
	C("sockkit-announce 1 x 8\r0\n", NULL, 0),
	C("sockkit-announce 1 x 80\r\r\n", NULL, 0),
	C("sockkit-announce 1 x 80\n\r", NULL, 0),
	C("sockkit-announce 2 x 80\n", NULL, 0),
#undef C
};

static void
test_parse(void **state)
{
	const uint8_t	*name;
	uint8_t		*copy;
	size_t		 i, namelen;
	int		 port, rc;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		/* A heap copy of exactly n bytes: ASan sees any overread. */
		copy = malloc(parse_cases[i].n + 1);
		assert_non_null(copy);
		memcpy(copy, parse_cases[i].d, parse_cases[i].n);
		rc = sk_ann_parse(copy, parse_cases[i].n, &name, &namelen,
		    &port);
		if (parse_cases[i].name == NULL) {
			if (rc != -1)
				fail_msg("case %zu: taken", i);
		} else {
			if (rc != 0)
				fail_msg("case %zu: refused", i);
			assert_int_equal(namelen, strlen(parse_cases[i].name));
			assert_memory_equal(name, parse_cases[i].name,
			    namelen);
			assert_true(name >= copy && name + namelen <=
			    copy + parse_cases[i].n);
			assert_int_equal(port, parse_cases[i].port);
		}
		free(copy);
	}
}

/*
 * Each good datagram cut short, a byte at a time: a prefix is an
 * announcement only where the port is cut to a valid one or the line
 * end is dropped (a datagram is whole; nothing is "need more").
 */
static void
test_parse_prefixes(void **state)
{
	static const char	d[] = "sockkit-announce 1 files 8080\r\n";
	const uint8_t		*name;
	size_t			 cut, namelen, n = sizeof(d) - 1;
	int			 port, rc;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		rc = sk_ann_parse(U(d), cut, &name, &namelen, &port);
		if (cut < 26 || cut == n - 1)
			assert_int_equal(rc, -1);
		else {
			assert_int_equal(rc, 0);
			assert_int_equal(namelen, 5);
			assert_int_equal(port, cut == 26 ? 8 : cut == 27 ?
			    80 : cut == 28 ? 808 : 8080);
		}
	}
}

/* What sk_ann_format() writes, sk_ann_parse() reads back. */
static void
test_round_trip(void **state)
{
	static const char *const	names[] = {
		"files", "a", "caf\xc3\xa9", long64, "x/y:z"
	};
	static const int		ports[] = { 1, 80, 8080, 65535 };
	char				buf[SK_ANN_DGRAMMAX + 1];
	const uint8_t			*name;
	size_t				i, j, namelen;
	int				n, port;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
			n = sk_ann_format(buf, sizeof(buf), names[i], ports[j]);
			assert_true(n > 0);
			assert_int_equal(sk_ann_parse(U(buf), (size_t)n, &name,
			    &namelen, &port), 0);
			assert_int_equal(namelen, strlen(names[i]));
			assert_memory_equal(name, names[i], namelen);
			assert_int_equal(port, ports[j]);
		}
}

static void
test_socket(void **state)
{
	char	err[SK_ERRLEN];
	int	fd, on = 0;
	socklen_t len = sizeof(on);

	(void)state;
	fd = sk_ann_socket(err, AF_INET, 0, -1, NULL);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, &len),
	    0);
	assert_true(on != 0);
	close(fd);
	/* A multicast sender, on loopback's side of things. */
	fd = sk_ann_socket(err, AF_INET, 1, 1, NULL);
	assert_true(fd >= 0);
	close(fd);
	/* No such interface: -1, the step named. */
	err[0] = '\0';
	assert_int_equal(sk_ann_socket(err, AF_INET, 1, 1,
	    "no-such-iface0"), -1);
	assert_true(err[0] != '\0');
	/* A bad family: socket(2) says so. */
	assert_int_equal(sk_ann_socket(err, -1, 0, -1, NULL), -1);
	assert_non_null(strstr(err, "socket"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests_name("announce", tests, NULL, NULL);
}
