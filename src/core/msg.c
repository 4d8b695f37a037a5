/*
 * msg.c - chat lines and fileserve requests (see msg.h).
 */
#include <limits.h>
#include <string.h>

#include <sockkit/msg.h>
#include <sockkit/text.h>

enum sk_chat_kind
sk_chat_parse(const uint8_t *p, size_t n, const uint8_t **arg, size_t *argn)
{
	*arg = NULL;
	*argn = 0;
	if (n >= 5 && memcmp(p, "/nick", 5) == 0 && (n == 5 || p[5] == ' ')) {
		*arg = p + (n > 5 ? 6 : 5);
		*argn = n - (n > 5 ? 6 : 5);
		return SK_CHAT_NICK;
	}
	if (n == 4 && memcmp(p, "/who", 4) == 0)
		return SK_CHAT_WHO;
	if (n == 5 && memcmp(p, "/quit", 5) == 0)
		return SK_CHAT_QUIT;
	return SK_CHAT_SAY;
}

int
sk_chat_nick_ok(const uint8_t *p, size_t n, size_t max)
{
	size_t	i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] == 0x7f || p[i] == '<' || p[i] == '>')
			return 0;
	/* Shown to everyone: no C1 controls, no broken UTF-8 (0x9b is CSI). */
	return !sk_text_has_ctl(p, n, 0);
}

void
sk_chat_clean(const uint8_t *p, size_t n, uint8_t *out)
{
	sk_text_clean(p, n, out);
}

/* Decimal digits at p (at least one, no sign): the count, or 0. */
static size_t
number(const uint8_t *p, size_t n, long long *out)
{
	long long	v = 0;
	size_t		i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (LLONG_MAX - 9) / 10)
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return i;
}

static int
verb(const uint8_t *p, size_t n, const char *v)
{
	size_t	k = strlen(v);

	return n > k && memcmp(p, v, k) == 0 && p[k] == ' ';
}

int
sk_fs_parse(const uint8_t *p, size_t n, struct sk_fs_req *req)
{
	size_t	k;

	memset(req, 0, sizeof(*req));
	if (memchr(p, '\0', n) != NULL)
		return -1;
	if (verb(p, n, "HELLO")) {
		req->verb = SK_FS_HELLO;
		if ((k = number(p + 6, n - 6, &req->num)) == 0 || 6 + k != n)
			return -1;
		return 0;
	}
	if (verb(p, n, "LS") || verb(p, n, "STAT") || verb(p, n, "SUM")) {
		req->verb = p[0] == 'L' ? SK_FS_LS : p[1] == 'T' ? SK_FS_STAT :
		    SK_FS_SUM;
		k = req->verb == SK_FS_LS ? 3 : req->verb == SK_FS_STAT ? 5 : 4;
		req->arg = (const char *)p + k;
		req->arg_len = n - k;
		return 0;
	}
	if (verb(p, n, "GET") || verb(p, n, "PUT")) {
		req->verb = p[0] == 'G' ? SK_FS_GET : SK_FS_PUT;
		if ((k = number(p + 4, n - 4, &req->num)) == 0 ||
		    4 + k >= n || p[4 + k] != ' ')
			return -1;
		req->arg = (const char *)p + 4 + k + 1;
		req->arg_len = n - 4 - k - 1;
		return 0;
	}
	return -1;
}
