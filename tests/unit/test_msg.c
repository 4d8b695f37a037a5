/*
 * test_msg.c - chat lines: every command, the edges of each form, and what
 * is refused.  (fileserve's requests: test_fsproto.c.)
 */
#include <string.h>

#include <sockkit/msg.h>

#include "testutil.h"

#define U(s)	((const uint8_t *)(s))

static void
test_chat(void **state)
{
	const uint8_t	*arg;
	size_t		 n;
	uint8_t		 out[8];

	(void)state;
	assert_int_equal(sk_chat_parse(U("/nick bob"), 9, &arg, &n),
	    SK_CHAT_NICK);
	assert_int_equal(n, 3);
	assert_memory_equal(arg, "bob", 3);
	assert_int_equal(sk_chat_parse(U("/nick"), 5, &arg, &n), SK_CHAT_NICK);
	assert_int_equal(n, 0);
	assert_int_equal(sk_chat_parse(U("/nickname"), 9, &arg, &n),
	    SK_CHAT_SAY);
	assert_int_equal(sk_chat_parse(U("/who"), 4, &arg, &n), SK_CHAT_WHO);
	assert_int_equal(sk_chat_parse(U("/who "), 5, &arg, &n), SK_CHAT_SAY);
	assert_int_equal(sk_chat_parse(U("/quit"), 5, &arg, &n), SK_CHAT_QUIT);
	assert_int_equal(sk_chat_parse(U(""), 0, &arg, &n), SK_CHAT_SAY);
	assert_true(sk_chat_nick_ok(U("bob"), 3, 32));
	assert_false(sk_chat_nick_ok(U(""), 0, 32));
	assert_false(sk_chat_nick_ok(U("a b"), 3, 32));
	assert_false(sk_chat_nick_ok(U("Ann\xe2\x80\x8b"), 6, 32));
	assert_false(sk_chat_nick_ok(U("\xef\xbb\xbf" "bom"), 6, 32));
	assert_false(sk_chat_nick_ok(U("a\xf3\xa0\x80\x81"), 5, 32));
	assert_false(sk_chat_nick_ok(U("a\xc2\xad"), 3, 32));
	assert_true(sk_chat_nick_ok(U("\xc3\xa9t\xc3\xa9"), 5, 32));
	assert_true(sk_chat_nick_same(U("Ann"), 3, U("aNN"), 3));
	assert_false(sk_chat_nick_same(U("Ann"), 3, U("Anna"), 4));
	assert_false(sk_chat_nick_same(U("\xc3\xa9"), 2, U("\xc3\x89"), 2));
	assert_false(sk_chat_nick_ok(U("<x>"), 3, 32));
	assert_false(sk_chat_nick_ok(U("a\x7f"), 2, 32));
	assert_false(sk_chat_nick_ok(U("abcd"), 4, 3));
	/* Shown to the room: C1 controls and broken UTF-8 are refused. */
	assert_false(sk_chat_nick_ok(U("a\x9b" "2J"), 4, 32));
	assert_false(sk_chat_nick_ok(U("a\xc2\x9b" "2J"), 5, 32));
	assert_false(sk_chat_nick_ok(U("a\xff"), 2, 32));
	assert_false(sk_chat_nick_ok(U("a\xc3"), 2, 32));
	assert_true(sk_chat_nick_ok(U("j\xc3\xb6rg"), 5, 32));
	sk_chat_clean(U("a\tb\x01\x1b\x7f"), 6, out);
	assert_memory_equal(out, "a\tb???", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
