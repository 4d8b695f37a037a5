/*
 * msg.c - chat lines (see msg.h).
 */
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

/*
 * Code points that show nothing, or nothing but blank, where a nick is
 * read: Unicode's default-ignorable and format (Cf) characters, line and
 * paragraph separators and the spaces (Zs), Hangul fillers, the braille
 * blank.  One of them in a nick makes it look like another's.
 */
static const struct { uint32_t lo, hi; } unseen[] = {
	{ 0x00a0, 0x00a0 }, { 0x00ad, 0x00ad }, { 0x034f, 0x034f },
	{ 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 },
	{ 0x115f, 0x1160 }, { 0x1680, 0x1680 }, { 0x17b4, 0x17b5 },
	{ 0x180b, 0x180f }, { 0x2000, 0x200f }, { 0x2028, 0x202f },
	{ 0x205f, 0x206f }, { 0x2800, 0x2800 }, { 0x3000, 0x3000 },
	{ 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
	{ 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb }, { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
};

/* The code point of the valid UTF-8 character at p, its length in *len. */
static uint32_t
code_point(const uint8_t *p, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*len = 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*len = 3;
		return (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*len = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

int
sk_chat_nick_ok(const uint8_t *p, size_t n, size_t max)
{
	size_t		i, j, len;
	uint32_t	cp;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] == 0x7f || p[i] == '<' || p[i] == '>')
			return 0;
	/* Shown to everyone: no C1 controls, no broken UTF-8 (0x9b is CSI). */
	if (sk_text_has_ctl(p, n, 0))
		return 0;
	/* Valid UTF-8 from here on: no invisible characters. */
	for (i = 0; i < n; i += len) {
		cp = code_point(p + i, &len);
		for (j = 0; j < sizeof(unseen) / sizeof(unseen[0]); j++)
			if (cp >= unseen[j].lo && cp <= unseen[j].hi)
				return 0;
	}
	return 1;
}

int
sk_chat_nick_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t	i;
	int	x, y;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

void
sk_chat_clean(const uint8_t *p, size_t n, uint8_t *out)
{
	sk_text_clean(p, n, out);
}
