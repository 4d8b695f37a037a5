/*
 * fuzz_ipaddr.c - libFuzzer harness for the address parser.
 *
 * Any bytes are parsed as "ADDR[/MASK]".  What parses must print back to
 * text that parses to the same address (IPv4, and IPv6 without a zone);
 * the facts must be ordered (network <= first <= last host <= last), the
 * network must contain the address, and the range cover of [network,
 * last] must be that one block.  sk_ip_parse_err() must agree with
 * sk_ip_parse() and give a reason made of printable ASCII only, and a
 * network covers itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/ipaddr.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_ip	ip, back, blk;
	struct sk_u128	from;
	char		*copy, text[SK_IP_STRLEN], count[SK_IP_STRLEN];
	char		rev[128], err[SK_IP_ERRLEN];
	int		done = 0, n = 0, rc;
	size_t		i;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = sk_ip_parse(copy, size, &ip);
	if (sk_ip_parse_err(err, copy, size, &back) != rc)
		abort();
	for (i = 0; rc == -1 && err[i] != '\0'; i++)
		if (err[i] < ' ' || err[i] > '~')
			abort();
	if (rc == 0) {
		if (!sk_ip_covers(&ip, &ip))
			abort();
		sk_ip_str(ip.family, ip.addr, text);
		if (sk_ip_parse(text, strlen(text), &back) != 0 ||
		    sk_u128_cmp(back.addr, ip.addr) != 0 ||
		    back.family != ip.family)
			abort();
		if (!sk_ip_contains(&ip, ip.addr) ||
		    sk_u128_cmp(sk_ip_network(&ip), sk_ip_first_host(&ip)) > 0 ||
		    sk_u128_cmp(sk_ip_first_host(&ip), sk_ip_last_host(&ip)) > 0 ||
		    sk_u128_cmp(sk_ip_last_host(&ip), sk_ip_last(&ip)) > 0)
			abort();
		from = sk_ip_network(&ip);
		while (sk_ip_range_next(ip.family, &from, sk_ip_last(&ip),
		    &done, &blk))
			if (++n > 1 || blk.prefix != ip.prefix)
				abort();
		sk_ip_count_str(&ip, count);
		sk_ip_reverse(&ip, rev, sizeof(rev));
		(void)sk_ip_type(ip.family, ip.addr);
		if (ip.family == 6)
			sk_ip6_expanded(ip.addr, text);
	}
	free(copy);
	return 0;
}
