/*
 * fuzz_frame.c - libFuzzer harness for the frame codec.
 *
 * The first byte picks a chunk size and the second a maximum frame size;
 * the rest is a byte stream.  It is decoded twice: by the pure decoder over
 * the whole input, and by the incremental decoder fed in chunks.  Both must
 * yield the same frames and agree on where an oversized frame stops them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/frame.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_frame_dec	 d;
	const uint8_t		*p, *payload, *want;
	uint32_t		 plen, wlen;
	size_t			 chunk, max, off = 0, woff, n;
	ssize_t			 w;
	int			 rc, dead = 0;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	max = (size_t)data[1] * 3;
	p = data + 2;
	size -= 2;

	sk_frame_dec_init(&d, max);
	woff = 0;
	while (off < size && !dead) {
		n = size - off < chunk ? size - off : chunk;
		if (sk_frame_dec_feed(&d, p + off, n) == -1)
			break;
		off += n;
		while ((rc = sk_frame_dec_next(&d, &payload, &plen)) == 1) {
			/* The pure decoder must find the same frame here. */
			w = sk_frame_decode(p + woff, size - woff, max, &want,
			    &wlen);
			if (w <= 0 || wlen != plen ||
			    memcmp(want, payload, plen) != 0)
				abort();
			woff += (size_t)w;
		}
		if (rc == -1) {
			if (sk_frame_decode(p + woff, size - woff, max, &want,
			    &wlen) != -1)
				abort();
			dead = 1;
		}
	}
	sk_frame_dec_release(&d);
	return 0;
}
