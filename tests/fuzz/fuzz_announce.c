/*
 * fuzz_announce.c - libFuzzer harness for the LAN announce parser.  The
 * whole input is one datagram.  The NAME must lie inside it and pass the
 * NAME rule, the port be 1-65535, a parse must not depend on bytes past
 * the datagram (it is parsed again from a copy with garbage after it),
 * and what is taken must format back to the same datagram, line end
 * aside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/announce.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*name, *name2;
	uint8_t		*copy, *wide;
	char		 nm[SK_ANN_NAMEMAX + 1], why[SK_ANN_WHYLEN];
	char		 out[SK_ANN_DGRAMMAX + 1];
	size_t		 namelen, namelen2;
	int		 port, port2, n;

	/* Exactly size bytes on the heap: ASan sees any overread. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if ((wide = malloc(size + 8)) == NULL) {
		free(copy);
		return 0;
	}
	memcpy(copy, data, size);
	memcpy(wide, data, size);
	memset(wide + size, '7', 8);
	if (sk_ann_parse(copy, size, &name, &namelen, &port) == 0) {
		if (name < copy || name + namelen > copy + size ||
		    namelen > SK_ANN_NAMEMAX || port < 1 || port > 65535 ||
		    sk_ann_name_bad((const char *)name, namelen, why,
		    sizeof(why)) != NULL)
			abort();
		if (sk_ann_parse(wide, size, &name2, &namelen2, &port2) != 0 ||
		    namelen2 != namelen || port2 != port)
			abort();
		memcpy(nm, name, namelen);
		nm[namelen] = '\0';
		n = sk_ann_format(out, sizeof(out), nm, port);
		/* The same bytes, but for an optional "\n" or "\r\n". */
		if (n < 1 || (size_t)n - 1 > size ||
		    memcmp(out, copy, (size_t)n - 1) != 0)
			abort();
	}
	free(copy);
	free(wide);
	return 0;
}
