/*
 * fuzz_msg.c - libFuzzer harness for the chat-line and fileserve-request
 * parsers.  The first byte picks which; the rest is one line.  Views must
 * lie inside the input, numbers be non-negative, and a parse must not
 * depend on bytes past the line (it is parsed again from a copy with
 * garbage after it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/msg.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_fs_req	 r, r2;
	const uint8_t		*arg, *p;
	uint8_t			*copy, *wide = NULL, *clean = NULL;
	size_t			 n, argn;
	int			 rc;

	if (size < 1)
		return 0;
	n = size - 1;
	if ((copy = malloc(n ? n : 1)) == NULL || (wide = malloc(n + 8)) ==
	    NULL || (clean = malloc(n ? n : 1)) == NULL) {
		free(copy);
		free(wide);
		free(clean);
		return 0;
	}
	memcpy(copy, data + 1, n);
	memcpy(wide, data + 1, n);
	memset(wide + n, 'Z', 8);
	p = copy;
	if (data[0] & 1) {
		enum sk_chat_kind	k = sk_chat_parse(p, n, &arg, &argn);

		if (k == SK_CHAT_NICK && (arg < p || arg + argn > p + n))
			abort();
		if (k == SK_CHAT_NICK)
			(void)sk_chat_nick_ok(arg, argn, 32);
		sk_chat_clean(p, n, clean);
		for (size_t i = 0; i < n; i++)
			if ((clean[i] < 0x20 && clean[i] != '\t') ||
			    clean[i] == 0x7f)
				abort();
	} else {
		rc = sk_fs_parse(p, n, &r);
		if (rc == 0) {
			if (r.num < 0 || (r.arg != NULL &&
			    ((const uint8_t *)r.arg < p ||
			    (const uint8_t *)r.arg + r.arg_len > p + n)))
				abort();
			if (sk_fs_parse(wide, n, &r2) != 0 || r2.verb != r.verb ||
			    r2.num != r.num || r2.arg_len != r.arg_len)
				abort();
		}
	}
	free(copy);
	free(wide);
	free(clean);
	return 0;
}
