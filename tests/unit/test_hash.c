/*
 * test_hash.c - XXH64: the published test vectors, the same digest
 * however the input is split across updates, and sk_hash_file() on a
 * file, on ranges, past its end and on what cannot be mapped; the same
 * for sk_hash_pread(), which always copies through the buffer.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A temporary file of n patterned bytes; its fd, already unlinked. */
static int
temp_file(uint8_t **bytes, size_t n)
{
	char	 name[] = "/tmp/sockkit-test-hash.XXXXXX";
	size_t	 i;
	int	 fd;

	*bytes = malloc(n);
	assert_non_null(*bytes);
	for (i = 0; i < n; i++)
		(*bytes)[i] = (uint8_t)(i * 7 + (i >> 12));
	fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	assert_true(write(fd, *bytes, n) == (ssize_t)n);
	return fd;
}

/* Whole files, ranges at odd offsets and across the mapping windows. */
static void
test_file_ranges(void **state)
{
	static const struct {
		off_t	at, len;
	} r[] = {
		{ 0, 0 }, { 0, 1 }, { 0, 4096 }, { 1, 4095 }, { 4095, 2 },
		{ 12345, 1 << 20 }, { 0, 9 << 20 }, { (8 << 20) - 3, 7 },
		{ 100, (9 << 20) + 5000 - 100 },
	};
	struct sk_hash	 h, want;
	uint8_t		*bytes, buf[1000];
	size_t		 n = (9 << 20) + 5000, i;
	int		 fd;

	(void)state;
	fd = temp_file(&bytes, n);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		sk_hash_init(&want);
		sk_hash_update(&want, bytes + r[i].at, (size_t)r[i].len);
		sk_hash_init(&h);
		assert_int_equal(sk_hash_file(&h, fd, r[i].at, r[i].len, buf,
		    sizeof(buf)), 0);
		assert_true(sk_hash_final(&h) == sk_hash_final(&want));
		sk_hash_init(&h);
		assert_int_equal(sk_hash_pread(&h, fd, r[i].at, r[i].len, buf,
		    sizeof(buf)), 0);
		assert_true(sk_hash_final(&h) == sk_hash_final(&want));
	}
	close(fd);
	free(bytes);
}

/*
 * sk_hash_pread(): any buffer size, a range ending at or past the end of
 * the file (EIO), and what cannot be read at an offset (ESPIPE).
 */
static void
test_pread(void **state)
{
	static const size_t	 sizes[] = { 1, 7, 32, 33, 4096, 20000 };
	struct sk_hash		 h;
	uint8_t			*bytes, buf[20000];
	size_t			 i;
	int			 fd, p[2];

	(void)state;
	fd = temp_file(&bytes, 10000);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sk_hash_init(&h);
		assert_int_equal(sk_hash_pread(&h, fd, 0, 10000, buf,
		    sizes[i]), 0);
		assert_true(sk_hash_final(&h) == digest(bytes, 10000));
		sk_hash_init(&h);
		assert_int_equal(sk_hash_pread(&h, fd, 9999, 1, buf,
		    sizes[i]), 0);
		assert_true(sk_hash_final(&h) == digest(bytes + 9999, 1));
		sk_hash_init(&h);
		errno = 0;
		assert_int_equal(sk_hash_pread(&h, fd, 5000, 5001, buf,
		    sizes[i]), -1);
		assert_int_equal(errno, EIO);
		errno = 0;
		assert_int_equal(sk_hash_pread(&h, fd, 10000, 1, buf,
		    sizes[i]), -1);
		assert_int_equal(errno, EIO);
	}
	/* Nothing to read: nothing read, even past the end. */
	sk_hash_init(&h);
	assert_int_equal(sk_hash_pread(&h, fd, 20000, 0, buf, 1), 0);
	assert_true(sk_hash_final(&h) == digest("", 0));
	close(fd);
	free(bytes);
	assert_int_equal(pipe(p), 0);
	assert_true(write(p[1], "hello", 5) == 5);
	sk_hash_init(&h);
	errno = 0;
	assert_int_equal(sk_hash_pread(&h, p[0], 0, 5, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ESPIPE);
	close(p[0]);
	close(p[1]);
}

/*
 * Past the end of the file: the mapped pages fault (SIGBUS), which is
 * caught and reported as EIO; the process's SIGBUS action is put back.
 */
static void
test_file_short(void **state)
{
	struct sigaction	 before, after;
	struct sk_hash		 h;
	uint8_t			*bytes, buf[1000];
	int			 fd;

	(void)state;
	fd = temp_file(&bytes, 10000);
	assert_int_equal(sigaction(SIGBUS, NULL, &before), 0);
	sk_hash_init(&h);
	errno = 0;
	assert_int_equal(sk_hash_file(&h, fd, 0, 100000, buf, sizeof(buf)),
	    -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(sigaction(SIGBUS, NULL, &after), 0);
	assert_true(after.sa_handler == before.sa_handler);
	/* And it still works afterwards. */
	sk_hash_init(&h);
	assert_int_equal(sk_hash_file(&h, fd, 0, 10000, buf, sizeof(buf)),
	    0);
	assert_true(sk_hash_final(&h) == digest(bytes, 10000));
	close(fd);
	free(bytes);
}

/* What cannot be mapped (a pipe) is read through the buffer instead. */
static void
test_file_unmappable(void **state)
{
	struct sk_hash	 h;
	uint8_t		 buf[7];
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_true(write(p[1], "hello, world", 12) == 12);
	close(p[1]);
	sk_hash_init(&h);
	/* A pipe cannot be read at an offset either: pread fails. */
	assert_int_equal(sk_hash_file(&h, p[0], 0, 12, buf, sizeof(buf)), -1);
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_file_ranges),
		cmocka_unit_test(test_pread),
		cmocka_unit_test(test_file_short),
		cmocka_unit_test(test_file_unmappable),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
