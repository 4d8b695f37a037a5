/*
 * test_text.c - what reaches a terminal: C0, DEL, C1 (raw and in UTF-8)
 * and broken UTF-8 escaped, valid UTF-8 kept, streaming in small pieces.
 */
#include <string.h>

#include <sockkit/text.h>

#include "testutil.h"

#define U(s)	((const uint8_t *)(s))

static const struct {
	const char	*in;
	size_t		 n;
	int		 flags;
	const char	*want;
} cases[] = {
	{ "plain", 5, 0, "plain" },
	{ "a\nb", 3, 0, "a\\x0ab" },
	{ "\x1b[2J", 4, 0, "\\x1b[2J" },
	{ "t\tab", 4, 0, "t\\x09ab" },
	{ "t\tab", 4, SK_TEXT_TAB, "t\tab" },
	{ "del\x7f", 4, 0, "del\\x7f" },
	{ "nul\0x", 5, 0, "nul\\x00x" },
	/* C1 as a raw byte (8-bit CSI) and as UTF-8 (U+009B, U+0085). */
	{ "\x9b" "31m", 4, 0, "\\x9b31m" },
	{ "\xc2\x9b" "31m", 5, 0, "\\xc2\\x9b31m" },
	{ "\xc2\x85", 2, 0, "\\xc2\\x85" },
	/* Valid UTF-8 stays: e-acute, the euro sign, an emoji, U+00A0. */
	{ "caf\xc3\xa9", 5, 0, "caf\xc3\xa9" },
	{ "\xe2\x82\xac", 3, 0, "\xe2\x82\xac" },
	{ "\xf0\x9f\x98\x80", 4, 0, "\xf0\x9f\x98\x80" },
	{ "\xc2\xa0", 2, 0, "\xc2\xa0" },
	/* Broken UTF-8: overlong, surrogate, cut short, past U+10FFFF. */
	{ "\xc0\xaf", 2, 0, "\\xc0\\xaf" },
	{ "\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80" },
	{ "\xe2\x82", 2, 0, "\\xe2\\x82" },
	{ "\xf4\x90\x80\x80", 4, 0, "\\xf4\\x90\\x80\\x80" },
	/* Bidi controls (U+202E RLO, U+2066 LRI, U+2069 PDI, U+202A LRE)
	 * reorder what follows; their neighbours U+2029, U+202F, U+2065,
	 * U+206A are no bidi controls and stay. */
	{ "\xe2\x80\xae" "x", 4, 0, "\\xe2\\x80\\xaex" },
	{ "\xe2\x81\xa6\xe2\x81\xa9", 6, 0,
	    "\\xe2\\x81\\xa6\\xe2\\x81\\xa9" },
	{ "\xe2\x80\xaa", 3, 0, "\\xe2\\x80\\xaa" },
	{ "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 12, 0,
	    "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
	{ "a\\b", 3, 0, "a\\b" },
	{ "a\\b", 3, SK_TEXT_BACKSLASH, "a\\\\b" },
	{ "say \"hi\"", 8, SK_TEXT_QUOTE, "say \\\"hi\\\"" },
};

static void
test_escape(void **state)
{
	char	out[256];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sk_text_escape(out, sizeof(out), U(cases[i].in),
		    cases[i].n, cases[i].flags), cases[i].n);
		assert_string_equal(out, cases[i].want);
	}
}

/* A small buffer takes whole characters and whole escapes only; the
 * pieces joined are the text escaped at once. */
static void
test_escape_streamed(void **state)
{
	const char	*in = "ab\x1b" "caf\xc3\xa9\xe2\x82\xac\x9b!";
	size_t		 n = strlen(in), at, took, cap;
	char		 out[8], joined[256];

	(void)state;
	for (cap = 5; cap <= sizeof(out); cap++) {
		joined[0] = '\0';
		for (at = 0; at < n; at += took) {
			took = sk_text_escape(out, cap, U(in) + at, n - at, 0);
			assert_true(took > 0);
			assert_true(strlen(out) < cap);
			strcat(joined, out);
		}
		assert_string_equal(joined,
		    "ab\\x1bcaf\xc3\xa9\xe2\x82\xac\\x9b!");
	}
}

static void
test_clean(void **state)
{
	uint8_t	out[16];

	(void)state;
	sk_text_clean(U("a\tb\x01\x1b\x7f"), 6, out);
	assert_memory_equal(out, "a\tb???", 6);
	sk_text_clean(U("\xc2\x9b" "x\x9b" "\xc3\xa9"), 6, out);
	assert_memory_equal(out, "??x?\xc3\xa9", 6);
	/* A bidi override is three '?': the text keeps its length. */
	sk_text_clean(U("a\xe2\x80\xae" "b\xe2\x81\xa8"), 8, out);
	assert_memory_equal(out, "a???b???", 8);
	assert_false(sk_text_has_ctl(U("caf\xc3\xa9"), 5, 0));
	assert_true(sk_text_has_ctl(U("a\tb"), 3, 0));
	assert_false(sk_text_has_ctl(U("a\tb"), 3, SK_TEXT_TAB));
	assert_true(sk_text_has_ctl(U("\xc2\x85"), 2, SK_TEXT_TAB));
}

static void
test_upper(void **state)
{
	static const struct {
		const char	*in, *want;
		size_t		 n;
	} ucases[] = {
		{ "", "", 0 },
		{ "hello", "HELLO", 5 },
		{ "MiXeD 123 az{`", "MIXED 123 AZ{`", 14 },
		/* UTF-8 and high bytes stay as they are. */
		{ "caf\xc3\xa9", "CAF\xc3\xa9", 5 },
		{ "a\0b", "A\0B", 3 },
	};
	uint8_t	buf[32];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		memcpy(buf, ucases[i].in, ucases[i].n);
		sk_text_upper(buf, ucases[i].n);
		assert_memory_equal(buf, ucases[i].want, ucases[i].n);
	}
}

static void
test_hexval(void **state)
{
	static const struct {
		int	c, want;
	} hcases[] = {
		{ '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'f', 15 }, { 'A', 10 },
		{ 'F', 15 }, { 'g', -1 }, { 'G', -1 }, { '/', -1 },
		{ ':', -1 }, { '@', -1 }, { '`', -1 }, { ' ', -1 },
		{ 0, -1 }, { 0xe9, -1 }, { -1, -1 },
	};
	size_t	i;
	int	v;

	(void)state;
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++)
		assert_int_equal(sk_text_hexval(hcases[i].c), hcases[i].want);
	/* The digits and the values agree, both ways. */
	assert_int_equal(strlen(SK_TEXT_HEXDIGITS), 16);
	for (v = 0; v < 16; v++)
		assert_int_equal(sk_text_hexval(SK_TEXT_HEXDIGITS[v]), v);
}

static void
test_line(void **state)
{
	static const struct {
		const char	*in;
		size_t		 n;
		ssize_t		 want;		/* consumed, or -2 */
		size_t		 len;
	} lcases[] = {
		{ "", 0, -2, 0 },
		{ "abc", 3, -2, 0 },
		{ "\n", 1, 1, 0 },
		{ "abc\n", 4, 4, 3 },
		{ "abc\r\n", 5, 5, 4 },	/* the '\r' is kept */
		{ "one\ntwo\n", 8, 4, 3 },
		{ "a\0b\nc", 5, 4, 3 },	/* NUL is a byte like others */
		{ "\r", 1, -2, 0 },
	};
	size_t	i, len, at, k;
	ssize_t	n;

	(void)state;
	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		len = 99;
		n = sk_text_line(U(lcases[i].in), lcases[i].n, &len);
		assert_int_equal(n, lcases[i].want);
		if (n > 0)
			assert_int_equal(len, lcases[i].len);
		/* Fed one byte more at a time, -2 until the '\n' is in. */
		for (k = 0; k < lcases[i].n; k++) {
			n = sk_text_line(U(lcases[i].in), k, &len);
			if (lcases[i].want < 0 || (ssize_t)k < lcases[i].want)
				assert_int_equal(n, -2);
			else
				assert_int_equal(n, lcases[i].want);
		}
	}
	/* Lines one after the other cover the whole input. */
	{
		const char	*in = "a\nbb\n\nccc\n";
		size_t		 want[] = { 1, 2, 0, 3 };

		for (at = 0, i = 0; at < strlen(in); i++) {
			n = sk_text_line(U(in + at), strlen(in) - at, &len);
			assert_true(n > 0);
			assert_int_equal(len, want[i]);
			at += (size_t)n;
		}
		assert_int_equal(i, 4);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_streamed),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_upper),
		cmocka_unit_test(test_hexval),
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
