/*
 * fuzz_msg.c - libFuzzer harness for the chat-line parser and cleaner.
 * The first byte is skipped (it picked chat or a fileserve request, which
 * fuzz_fsproto.c now covers); the rest is one line.  Views must lie inside
 * the input, and a cleaned line holds no control byte but tab.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/msg.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sk_chat_kind	 k;
	const uint8_t		*arg, *p;
	uint8_t			*copy, *clean = NULL;
	size_t			 n, argn, i;

	if (size < 1)
		return 0;
	n = size - 1;
	if ((copy = malloc(n ? n : 1)) == NULL ||
	    (clean = malloc(n ? n : 1)) == NULL) {
		free(copy);
		return 0;
	}
	memcpy(copy, data + 1, n);
	p = copy;
	k = sk_chat_parse(p, n, &arg, &argn);
	if (k == SK_CHAT_NICK && (arg < p || arg + argn > p + n))
		abort();
	if (k == SK_CHAT_NICK)
		(void)sk_chat_nick_ok(arg, argn, 32);
	sk_chat_clean(p, n, clean);
	for (i = 0; i < n; i++)
		if ((clean[i] < 0x20 && clean[i] != '\t') || clean[i] == 0x7f)
			abort();
	free(copy);
	free(clean);
	return 0;
}
