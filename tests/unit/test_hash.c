/*
 * test_hash.c - XXH64: the published test vectors, and the same digest
 * however the input is split across updates.
 */
#include <stdlib.h>
#include <string.h>

#include <sockkit/hash.h>

#include "testutil.h"

static uint64_t
digest(const void *p, size_t n)
{
	struct sk_hash	h;

	sk_hash_init(&h);
	sk_hash_update(&h, p, n);
	return sk_hash_final(&h);
}

static void
test_vectors(void **state)
{
	static const struct {
		const char	*in;
		uint64_t	 want;
	} v[] = {
		{ "", 0xef46db3751d8e999ULL },
		{ "abc", 0x44bc2cf5ad770999ULL },
		{ "Nobody inspects the spammish repetition",
		    0xfbcea83c8a378bf1ULL },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(digest(v[i].in, strlen(v[i].in)) == v[i].want);
}

/* Every split point, and 1-byte feeds, give the whole input's digest. */
static void
test_pieces(void **state)
{
	struct sk_hash	 h;
	uint8_t		*buf;
	size_t		 n = 300, i, cut;
	uint64_t	 whole;

	(void)state;
	buf = malloc(n);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	whole = digest(buf, n);
	for (cut = 0; cut <= n; cut++) {
		sk_hash_init(&h);
		sk_hash_update(&h, buf, cut);
		sk_hash_update(&h, buf + cut, n - cut);
		assert_true(sk_hash_final(&h) == whole);
	}
	sk_hash_init(&h);
	for (i = 0; i < n; i++)
		sk_hash_update(&h, buf + i, 1);
	assert_true(sk_hash_final(&h) == whole);
	/* final() does not disturb the state: more may follow. */
	sk_hash_init(&h);
	sk_hash_update(&h, buf, 100);
	(void)sk_hash_final(&h);
	sk_hash_update(&h, buf + 100, n - 100);
	assert_true(sk_hash_final(&h) == whole);
	/* One changed byte changes the digest. */
	buf[150] ^= 1;
	assert_true(digest(buf, n) != whole);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
