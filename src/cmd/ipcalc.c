/*
 * ipcalc.c - sockkit ipcalc: what network an IPv4 or IPv6 address is in,
 * its mask, broadcast, host range and count, class and type, for people
 * (an aligned report, --binary) and for scripts (--json, one object per
 * input; a bulk mode reading one input per stdin line).  --split streams
 * the subnets of a network, --range the CIDR blocks covering a range,
 * --reverse gives the DNS name, --contains answers by exit status.  The
 * arithmetic is the core's (sk_ip_*).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/ipaddr.h>
#include <sockkit/text.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit ipcalc [-46] [-b | --json] ADDRESS[/PREFIX] | ADDRESS NETMASK\n"
"       sockkit ipcalc [-46] [--json] --split PREFIX [--limit N]\n"
"           ADDRESS[/PREFIX] | ADDRESS NETMASK\n"
"       sockkit ipcalc [-46] [--json] --range A-B\n"
"       sockkit ipcalc [-46] --reverse ADDRESS[/PREFIX] | ADDRESS NETMASK | -\n"
"       sockkit ipcalc [-46] --contains ADDR NETWORK [NETMASK]\n"
"       sockkit ipcalc [-46] [--json] -\n"
"\n"
"The network an address is in: netmask, wildcard, network, broadcast,\n"
"first and last host, host count, class and type (IPv4); compressed and\n"
"expanded forms, network, last address, address count, type (IPv6).  A\n"
"bare address is a /32 (/128).  - reads one input per line from stdin\n"
"(ADDRESS[/PREFIX] or ADDRESS NETMASK; blank lines and # comments skipped).\n"
"\n"
"options:\n"
"  -4, -6                   only IPv4, only IPv6: the other is an error\n"
"      --json               one JSON object per input (JSON Lines)\n"
"  -b, --binary             also each field in binary, network and host\n"
"                           bits apart\n"
"      --split PREFIX       the subnets of that size in the network\n"
"      --limit N            --split: at most N of them\n"
"      --range A-B          the fewest CIDR blocks covering A..B\n"
"      --reverse            the in-addr.arpa / ip6.arpa name\n"
"      --contains ADDR      exit 0 if all of ADDR (an address or a\n"
"                           network) is inside NETWORK, 1 if not\n"
"  -h, --help               this text\n"
"\n"
"One of --split, --range, --reverse, --contains at a time.  Bad input:\n"
"\"sockkit: ipcalc: invalid address '...'\" (or what is wrong with the\n"
"prefix or netmask) and exit 2 (in bulk mode after every other line is\n"
"done).  Colour only on a terminal, never with NO_COLOR set or TERM=dumb.\n";

#define CMD		"ipcalc"
#define LINE_MAX_IN	256		/* a longer input line is invalid */
#define STR2(x)		#x
#define STR(x)		STR2(x)

struct ipcalc_opts {
	struct common_opts	 c;
	int			 binary;
	int			 split;		/* -1: none */
	long long		 limit;		/* 0: none */
	const char		*range;
	int			 reverse;
	const char		*contains;
	int			 colour;
	const char		*input;		/* ADDRESS[/PREFIX] or "-" */
	const char		*mask;		/* NETMASK, or NULL */
};

enum {
	OPT_SPLIT = OPT_FIRST_CMD,
	OPT_LIMIT,
	OPT_RANGE,
	OPT_REVERSE,
	OPT_CONTAINS
};

/* Colour on a terminal that can show it, unless NO_COLOR asks not to. */
static int
want_colour(void)
{
	const char	*nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0') &&
	    term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

/* What the user typed, safe to print: controls as \xHH, cut short.
 * Returns out. */
static const char *
shown(const char *s, size_t n, char *out, size_t size)
{
	size_t	took;

	took = sk_text_escape(out, size - 3, (const uint8_t *)s, n,
	    SK_TEXT_BACKSLASH);
	if (took < n)
		strcat(out, "...");
	return out;
}

/*
 * Every option combination is settled here: the four modes (--split,
 * --range, --reverse, --contains) exclude each other; --limit needs
 * --split; --binary belongs to the report alone; --json to what prints
 * networks.  -v and --backend mean nothing to a calculator, so they are
 * refused rather than ignored.  -4 and -6 keep their meaning: an address
 * of the other family is an error (in take()).  Returns 0, or EXIT_USAGE
 * after saying why.
 */
static int
parse_args(int argc, char **argv, struct ipcalc_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "binary",	no_argument,	   NULL, 'b' },
		{ "split",	required_argument, NULL, OPT_SPLIT },
		{ "limit",	required_argument, NULL, OPT_LIMIT },
		{ "range",	required_argument, NULL, OPT_RANGE },
		{ "reverse",	no_argument,	   NULL, OPT_REVERSE },
		{ "contains",	required_argument, NULL, OPT_CONTAINS },
		{ NULL,		0,		   NULL, 0 }
	};
	const char	*mode[4], *dash;
	char		 a[120], b[120];
	long long	 v;
	int		 ch, rc, nmode = 0, bulk;

	memset(o, 0, sizeof(*o));
	o->input = "";		/* a string on every path, for the analyzer */
	o->split = -1;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "bsrd",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return EXIT_USAGE;
		if (rc == 1)
			continue;
		switch (ch) {
		case 's':	/* sipcalc's and Debian ipcalc's split */
			return cmd_usage_err(CMD, "-s: to split use --split "
			    "PREFIX ADDRESS/PREFIX");
		case 'r':	/* Debian ipcalc -r, Red Hat's -d: deaggregate */
		case 'd':
			return cmd_usage_err(CMD, "-%c: for the blocks of a "
			    "range use --range A-B", ch);
		case 'b':
			o->binary = 1;
			break;
		case OPT_SPLIT:
			if (cmd_number(CMD, "--split", optarg[0] == '/' ?
			    optarg + 1 : optarg, 0, 128, &v) == -1)
				return EXIT_USAGE;
			o->split = (int)v;
			break;
		case OPT_LIMIT:
			if (cmd_number(CMD, "--limit", optarg, 1, LLONG_MAX,
			    &o->limit) == -1)
				return EXIT_USAGE;
			break;
		case OPT_RANGE:
			o->range = optarg;
			break;
		case OPT_REVERSE:
			o->reverse = 1;
			break;
		case OPT_CONTAINS:
			o->contains = optarg;
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (o->c.verbose)
		return cmd_usage_err(CMD, "-v: ipcalc has nothing more to say");
	if (o->c.backend != NULL)
		return cmd_usage_err(CMD, "--backend: ipcalc has no event "
		    "loop");
	if (o->split >= 0)
		mode[nmode++] = "--split";
	if (o->range != NULL)
		mode[nmode++] = "--range";
	if (o->reverse)
		mode[nmode++] = "--reverse";
	if (o->contains != NULL)
		mode[nmode++] = "--contains";
	if (nmode > 1)
		return cmd_usage_err(CMD, "%s and %s do not go together",
		    mode[0], mode[1]);
	if (o->limit > 0 && o->split < 0)
		return cmd_usage_err(CMD, "--limit goes with --split only");
	if (o->binary && o->c.json)
		return cmd_usage_err(CMD, "--binary and --json do not go "
		    "together");
	if (o->binary && nmode > 0)
		return cmd_usage_err(CMD, "--binary and %s do not go together "
		    "(--binary is for the report)", mode[0]);
	if (o->c.json && (o->reverse || o->contains != NULL))
		return cmd_usage_err(CMD, "--json and %s do not go together "
		    "(%s)", mode[0], o->reverse ? "--reverse prints a name" :
		    "--contains answers by its exit status");

	if (o->range != NULL) {
		if (argc > 0)
			return cmd_usage_err(CMD, "--range A-B takes no other "
			    "operand: '%s'", argv[0]);
		return 0;
	}
	if (argc == 0)
		return cmd_usage_err(CMD, o->contains != NULL ?
		    "--contains ADDR: no NETWORK given" : "no ADDRESS given");
	if (argc == 3 && strcmp(argv[1], "-") == 0) {
		/* Debian ipcalc's "ipcalc A - B" deaggregates. */
		shown(argv[0], strlen(argv[0]), a, sizeof(a));
		shown(argv[2], strlen(argv[2]), b, sizeof(b));
		return cmd_usage_err(CMD, "a range is one operand of --range: "
		    "'sockkit ipcalc --range %s-%s'", a, b);
	}
	if (argc > 2)
		return cmd_usage_err(CMD, "too many operands: '%s'", argv[2]);
	/* "A-B" where --range A-B was meant: still an invalid address
	 * (the contract's words), with the way to a range. */
	dash = argc == 1 && o->contains == NULL ? strchr(argv[0], '-') : NULL;
	if (dash != NULL && dash != argv[0] && dash[1] != '\0' &&
	    strchr(argv[0], '/') == NULL) {
		shown(argv[0], strlen(argv[0]), a, sizeof(a));
		return cmd_usage_err(CMD, "invalid address '%s' (a range? "
		    "'sockkit ipcalc --range %s')", a, a);
	}
	o->input = argv[0];
	o->mask = argc == 2 ? argv[1] : NULL;
	bulk = strcmp(o->input, "-") == 0;
	if (bulk && o->mask != NULL)
		return cmd_usage_err(CMD, "- (bulk mode) takes no NETMASK: "
		    "put it on each line");
	if (bulk && (o->split >= 0 || o->contains != NULL || o->binary))
		return cmd_usage_err(CMD, "- (bulk mode) and %s do not go "
		    "together", o->binary ? "--binary" : mode[0]);
	o->colour = o->binary && want_colour();
	return 0;
}

/*
 * Bad input: one line on stderr, after what stdout holds (so a reader of
 * both sees the answers and the complaints in order); brief (a few words,
 * for a JSON error object) into why, SK_IP_ERRLEN bytes.  Returns -1.
 */
static int
refuse(char *why, const char *brief, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)fflush(stdout);
	cmd_err(CMD, "%s", msg);
	snprintf(why, SK_IP_ERRLEN, "%s", brief);
	return -1;
}

/*
 * One input: s (n bytes) as ADDRESS[/PREFIX], or with mask (mlen bytes;
 * NULL: none) as ADDRESS NETMASK, of the family -4/-6 asks for.  Returns
 * 0, or -1 after refuse(): the CLI's "invalid address '...'" for the
 * address itself, else what is wrong with the prefix or netmask.
 */
static int
take(const struct ipcalc_opts *o, const char *s, size_t n, const char *mask,
    size_t mlen, struct sk_ip *ip, char *why)
{
	char	a[120], err[SK_IP_ERRLEN];
	int	p, want;

	memset(ip, 0, sizeof(*ip));	/* the analyzer's comfort on -1 */
	if (n > LINE_MAX_IN)
		return refuse(why, "over " STR(LINE_MAX_IN) " bytes",
		    "invalid address '%s': over %d bytes",
		    shown(s, n, a, sizeof(a)), LINE_MAX_IN);
	if (sk_ip_parse_err(err, s, n, ip) == -1)
		return err[0] == '\0' ? refuse(why, "invalid address",
		    "invalid address '%s'", shown(s, n, a, sizeof(a))) :
		    refuse(why, err, "'%s': %s", shown(s, n, a, sizeof(a)),
		    err);
	if (mask != NULL) {
		if (memchr(s, '/', n) != NULL)
			return refuse(why, "a prefix and a netmask", "'%s' has "
			    "a prefix already: give a /PREFIX or a NETMASK, "
			    "not both", shown(s, n, a, sizeof(a)));
		if (mlen > 0 && mask[0] == '/') {
			mask++;
			mlen--;
		}
		if (sk_ip_parse_mask_err(err, mask, mlen, ip->family,
		    &p) == -1)
			return refuse(why, err, "'%s': %s", shown(mask, mlen, a,
			    sizeof(a)), err);
		ip->prefix = p;
	}
	want = o->c.family == AF_INET ? 4 : o->c.family == AF_INET6 ? 6 : 0;
	if (want != 0 && ip->family != want)
		return refuse(why, want == 4 ? "not IPv4 (-4)" :
		    "not IPv6 (-6)", "'%s' is an IPv%d address, and -%d asks "
		    "for IPv%d", shown(s, n, a, sizeof(a)), ip->family, want,
		    want);
	return 0;
}

/* The binary form, octets apart, a space where the network part ends. */
static void
put_binary(FILE *f, const struct sk_ip *ip, struct sk_u128 a, int colour)
{
	int	w = ip->family == 4 ? 32 : 128, i;

	if (colour)
		fputs("\033[34m", f);
	for (i = 0; i < w; i++) {
		if (i == ip->prefix) {
			if (colour)
				fputs("\033[33m", f);
			if (i > 0)
				fputc(' ', f);
		}
		fputc('0' + sk_u128_bit(a, w - 1 - i), f);
		if (i + 1 < w && (i + 1) % (ip->family == 4 ? 8 : 16) == 0)
			fputc(ip->family == 4 ? '.' : ':', f);
	}
	if (colour)
		fputs("\033[0m", f);
}

static void
field(FILE *f, const struct ipcalc_opts *o, const struct sk_ip *ip,
    const char *label, const char *text, const struct sk_u128 *bits)
{
	fprintf(f, "%-11s%s", label, text);
	if (o->binary && bits != NULL) {
		fprintf(f, "%*s", text[0] && strlen(text) < 40 ?
		    (int)(40 - strlen(text)) : 1, "");
		put_binary(f, ip, *bits, o->colour);
	}
	fputc('\n', f);
}

/* An address-valued field: its text, and its bits with --binary. */
static void
addr_field(FILE *f, const struct ipcalc_opts *o, const struct sk_ip *ip,
    const char *label, struct sk_u128 x)
{
	char	a[SK_IP_STRLEN];

	sk_ip_str(ip->family, x, a);
	field(f, o, ip, label, a, &x);
}

/* The human report, aligned as ipcalc's. */
static void
report(FILE *f, const struct ipcalc_opts *o, const struct sk_ip *ip)
{
	char		a[SK_IP_STRLEN], b[SK_IP_STRLEN * 2];
	struct sk_u128	m = sk_ip_mask(ip->family, ip->prefix), x;
	int		v4 = ip->family == 4;

	sk_ip_str(ip->family, ip->addr, a);
	snprintf(b, sizeof(b), "%s%s%s", a, ip->zone[0] ? "%" : "",
	    ip->zone);
	field(f, o, ip, "Address:", b, &ip->addr);
	if (v4) {
		sk_ip_str(4, m, a);
		snprintf(b, sizeof(b), "%s = %d", a, ip->prefix);
		field(f, o, ip, "Netmask:", b, &m);
		addr_field(f, o, ip, "Wildcard:", sk_ip_wildcard(4,
		    ip->prefix));
	} else {
		sk_ip6_expanded(ip->addr, a);
		field(f, o, ip, "Expanded:", a, NULL);
		snprintf(b, sizeof(b), "%d", ip->prefix);
		field(f, o, ip, "Prefix:", b, &m);
	}
	x = sk_ip_network(ip);
	sk_ip_str(ip->family, x, a);
	snprintf(b, sizeof(b), "%s/%d", a, ip->prefix);
	field(f, o, ip, "Network:", b, &x);
	addr_field(f, o, ip, v4 ? "Broadcast:" : "Last:", sk_ip_last(ip));
	addr_field(f, o, ip, "HostMin:", sk_ip_first_host(ip));
	addr_field(f, o, ip, "HostMax:", sk_ip_last_host(ip));
	sk_ip_count_str(ip, a);
	field(f, o, ip, v4 ? "Hosts/Net:" : "Addresses:", a, NULL);
	if (v4) {
		snprintf(b, sizeof(b), "%c", sk_ip4_class((uint32_t)
		    ip->addr.lo));
		field(f, o, ip, "Class:", b, NULL);
	}
	field(f, o, ip, "Type:", sk_ip_type(ip->family, ip->addr), NULL);
}

/* One line for bulk mode: key=value fields a script can split (netmask
 * and wildcard last, so the older fields keep their places). */
static void
line_out(FILE *f, const struct sk_ip *ip)
{
	char		a[SK_IP_STRLEN], n[SK_IP_STRLEN], l[SK_IP_STRLEN];
	char		fh[SK_IP_STRLEN], lh[SK_IP_STRLEN], c[SK_IP_STRLEN];
	char		m[SK_IP_STRLEN], w[SK_IP_STRLEN];
	struct sk_u128	mask = sk_ip_mask(ip->family, ip->prefix);

	sk_ip_str(ip->family, ip->addr, a);
	sk_ip_str(ip->family, sk_ip_network(ip), n);
	sk_ip_str(ip->family, sk_ip_last(ip), l);
	sk_ip_str(ip->family, sk_ip_first_host(ip), fh);
	sk_ip_str(ip->family, sk_ip_last_host(ip), lh);
	sk_ip_count_str(ip, c);
	if (ip->family == 4) {
		sk_ip_str(4, mask, m);
		sk_ip_str(4, sk_ip_wildcard(4, ip->prefix), w);
		fprintf(f, "%s/%d network=%s broadcast=%s first_host=%s "
		    "last_host=%s hosts=%s class=%c type=%s netmask=%s "
		    "wildcard=%s\n", a, ip->prefix, n, l, fh, lh, c,
		    sk_ip4_class((uint32_t)ip->addr.lo),
		    sk_ip_type(4, ip->addr), m, w);
	} else
		fprintf(f, "%s%s%s/%d network=%s last_address=%s "
		    "first_host=%s last_host=%s hosts=%s type=%s\n", a,
		    ip->zone[0] ? "%" : "", ip->zone, ip->prefix, n, l, fh, lh,
		    c, sk_ip_type(6, ip->addr));
}

/*
 * The JSON object is built in memory and written with one fwrite: bulk
 * mode prints a million of them, and stdio's formatting was most of the
 * time.  Each piece is short; an object is under 400 bytes.
 */
struct obj {
	char	*p;
	char	 buf[1024];
};

static void
put(struct obj *j, const char *s)
{
	size_t	n = strlen(s);

	memcpy(j->p, s, n);
	j->p += n;
}

/* ,"KEY":"ADDRESS" */
static void
put_addr(struct obj *j, const char *key, int family, struct sk_u128 a)
{
	put(j, ",\"");
	put(j, key);
	put(j, "\":\"");
	j->p += sk_ip_str(family, a, j->p);
	*j->p++ = '"';
}

static void
json_out(FILE *f, const struct sk_ip *ip)
{
	struct obj	j;
	char		x[SK_IP_STRLEN];
	int		fam = ip->family;
	struct sk_u128	m = sk_ip_mask(fam, ip->prefix);

	j.p = j.buf;
	put(&j, "{\"address\":\"");
	j.p += sk_ip_str(fam, ip->addr, j.p);
	put(&j, fam == 4 ? "\",\"version\":4,\"prefix\":" :
	    "\",\"version\":6,\"prefix\":");
	snprintf(x, sizeof(x), "%d", ip->prefix);
	put(&j, x);
	if (fam == 4) {
		put_addr(&j, "netmask", 4, m);
		put_addr(&j, "wildcard", 4, sk_ip_wildcard(4, ip->prefix));
	} else {
		put(&j, ",\"expanded\":\"");
		j.p += sk_ip6_expanded(ip->addr, j.p);
		*j.p++ = '"';
		if (ip->zone[0] != '\0') {	/* [A-Za-z0-9_.-] only */
			put(&j, ",\"zone\":\"");
			put(&j, ip->zone);
			*j.p++ = '"';
		}
	}
	put_addr(&j, "network", fam, sk_ip_network(ip));
	put_addr(&j, fam == 4 ? "broadcast" : "last_address", fam,
	    sk_ip_last(ip));
	put_addr(&j, "first_host", fam, sk_ip_first_host(ip));
	put_addr(&j, "last_host", fam, sk_ip_last_host(ip));
	/* IPv4 hosts (at most 2^32) is a JSON number, exact in any
	 * reader's double; IPv6 (up to 2^128) a decimal string. */
	sk_ip_count_str(ip, x);
	put(&j, fam == 4 ? ",\"hosts\":" : ",\"hosts\":\"");
	put(&j, x);
	if (fam == 4) {
		put(&j, ",\"class\":\"");
		*j.p++ = sk_ip4_class((uint32_t)ip->addr.lo);
	}
	put(&j, "\",\"type\":\"");
	put(&j, sk_ip_type(fam, ip->addr));
	put(&j, "\"}\n");
	fwrite(j.buf, 1, (size_t)(j.p - j.buf), f);
}

/* The bad input as a JSON string: valid JSON whatever the line held. */
static void
json_error(FILE *f, const char *s, size_t n, const char *why)
{
	fputs("{\"input\":\"", f);
	cmd_json_strn(f, s, n);
	fputs("\",\"error\":\"", f);
	cmd_json_str(f, why);
	fputs("\"}\n", f);
}

/* One input in the chosen form. */
static void
show(const struct ipcalc_opts *o, const struct sk_ip *ip, int bulk)
{
	char	rev[128];

	if (o->reverse) {
		sk_ip_reverse(ip, rev, sizeof(rev));
		puts(rev);
	} else if (o->c.json)
		json_out(stdout, ip);
	else if (bulk)
		line_out(stdout, ip);
	else
		report(stdout, o, ip);
}

/* --split: the subnets, streamed; never a list in memory. */
static int
split(const struct ipcalc_opts *o, const struct sk_ip *ip)
{
	struct sk_ip	sub = *ip;
	struct sk_u128	at = sk_ip_network(ip), last = sk_ip_last(ip);
	long long	n = 0;
	int		w = ip->family == 4 ? 32 : 128, done = 0, hint;
	char		a[SK_IP_STRLEN];

	sk_ip_str(ip->family, ip->addr, a);
	if (o->split > w)
		return cmd_usage_err(CMD, "--split %d: IPv%d prefixes go up "
		    "to /%d", o->split, ip->family, w);
	/* A bare address is a /32: say so, and suggest a prefix (a /24 or
	 * /64, or the split's own when that is shorter). */
	hint = w == 32 ? 24 : 64;
	if (o->split < hint)
		hint = o->split;
	if (o->split < ip->prefix && ip->prefix == w)
		return cmd_usage_err(CMD, "--split %d: %s is a /%d, one "
		    "address; give the network to split, e.g. %s/%d",
		    o->split, a, w, a, hint);
	if (o->split < ip->prefix)
		return cmd_usage_err(CMD, "--split %d: %s/%d is smaller than "
		    "a /%d; split it into /%d to /%d", o->split, a,
		    ip->prefix, o->split, ip->prefix, w);
	sub.prefix = o->split;
	while (!done && (o->limit == 0 || n < o->limit)) {
		sub.addr = at;
		if (o->c.json)
			json_out(stdout, &sub);
		else {
			sk_ip_str(ip->family, at, a);
			printf("%s/%d\n", a, sub.prefix);
		}
		n++;
		if (sk_u128_cmp(sk_ip_last(&sub), last) == 0)
			done = 1;
		else	/* the next block: one past this one's last address */
			at = sk_u128_add(sk_ip_last(&sub), 1);
		/* A reader that left, or a full disk, ends it at once. */
		if (ferror(stdout))
			break;
	}
	return cmd_finish_stdout(CMD) == 0 ? 0 : EXIT_RUNTIME;
}

/* One end of --range A-B: an address, no prefix, of the family asked. */
static int
range_end(const struct ipcalc_opts *o, const char *s, size_t n,
    struct sk_ip *ip)
{
	char	a[120], why[SK_IP_ERRLEN];

	memset(ip, 0, sizeof(*ip));
	if (memchr(s, '/', n) != NULL)
		return cmd_usage_err(CMD, "--range: '%s' is a network; a "
		    "range is two addresses, A-B", shown(s, n, a, sizeof(a)));
	return take(o, s, n, NULL, 0, ip, why) == -1 ? EXIT_USAGE : 0;
}

/* --range A-B: the fewest CIDR blocks covering it. */
static int
range(const struct ipcalc_opts *o)
{
	const char	*dash = strchr(o->range, '-'), *end;
	struct sk_ip	a, b, block;
	size_t		alen;
	struct sk_u128	from;
	char		s[120];
	int		done = 0;

	if (dash == NULL)
		return cmd_usage_err(CMD, "--range '%s': not a range; give "
		    "it as A-B, e.g. 10.0.0.1-10.0.0.9", shown(o->range,
		    strlen(o->range), s, sizeof(s)));
	/* whois writes "inetnum: 10.0.0.0 - 10.255.255.255": spaces around
	 * the dash are taken, as pasted. */
	alen = (size_t)(dash - o->range);
	while (alen > 0 && (o->range[alen - 1] == ' ' ||
	    o->range[alen - 1] == '\t'))
		alen--;
	for (end = dash + 1; *end == ' ' || *end == '\t'; end++)
		;
	if (range_end(o, o->range, alen, &a) != 0 ||
	    range_end(o, end, strlen(end), &b) != 0)
		return EXIT_USAGE;
	shown(o->range, strlen(o->range), s, sizeof(s));
	if (a.family != b.family)
		return cmd_usage_err(CMD, "--range %s: mixes IPv4 and IPv6", s);
	if (sk_u128_cmp(a.addr, b.addr) > 0)
		return cmd_usage_err(CMD, "--range %s: the start is after "
		    "the end", s);
	from = a.addr;
	while (sk_ip_range_next(a.family, &from, b.addr, &done, &block)) {
		if (o->c.json)
			json_out(stdout, &block);
		else {
			sk_ip_str(block.family, block.addr, s);
			printf("%s/%d\n", s, block.prefix);
		}
		if (ferror(stdout))
			break;
	}
	return cmd_finish_stdout(CMD) == 0 ? 0 : EXIT_RUNTIME;
}

/* --contains ADDR NETWORK: all of ADDR (an address is a /32 or /128)
 * inside NETWORK is 0; anything less, or the other family, is 1. */
static int
contains(const struct ipcalc_opts *o)
{
	struct sk_ip	addr, net;
	char		why[SK_IP_ERRLEN];

	if (take(o, o->contains, strlen(o->contains), NULL, 0, &addr,
	    why) == -1 || take(o, o->input, strlen(o->input), o->mask,
	    o->mask != NULL ? strlen(o->mask) : 0, &net, why) == -1)
		return EXIT_USAGE;
	return sk_ip_covers(&net, &addr) ? 0 : 1;
}

/*
 * Bulk mode reads stdin through its own buffer, a line at a time, and
 * keeps of each line only what can matter: blanks at either end dropped,
 * a run of them inside as one space, a comment (from a '#' at the start
 * or after a blank) dropped, and at most LINE_MAX_IN + 1 bytes of the
 * rest; the remainder of a longer line is skipped unread into memory.
 */
struct reader {
	int	fd;
	size_t	at, end;
	int	eof;
	int	err;		/* errno of a failed read, or 0 */
	char	buf[1 << 16];
};

/*
 * Refill r.  Whatever stdout holds goes out first: a slow producer then
 * sees each answer at once, and a reader of ours that left stops us
 * before we wait for more input.  0; -1 with r->err when the read failed;
 * -2 when stdout is gone or failed (cmd_flush_stdout() has marked it).
 */
static int
refill(struct reader *r)
{
	struct pollfd	pfd;
	ssize_t		got;

	if (cmd_flush_stdout(CMD) == -1)
		return -2;
	for (;;) {
		got = read(r->fd, r->buf, sizeof(r->buf));
		if (got >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			r->err = errno;
			return -1;
		}
		/* A non-blocking stdin (inherited): wait until it has more. */
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
			r->err = errno;
			return -1;
		}
	}
	r->at = 0;
	r->end = (size_t)got;
	r->eof = got == 0;
	return 0;
}

/*
 * The next line into line (LINE_MAX_IN + 1 bytes), *len long (over
 * LINE_MAX_IN: too long); an empty one was blank or a comment.  Returns 1
 * with a line, 0 at the end of the input, or refill()'s -1 or -2.
 */
static int
next_line(struct reader *r, char *line, size_t *len)
{
	size_t		n = 0;
	int		blank = 0, skip = 0, any = 0, rc;
	unsigned char	c;
	const char	*nl;

	for (;;) {
		if (r->at == r->end) {
			if (!r->eof && (rc = refill(r)) != 0)
				return rc;
			if (r->eof)
				break;		/* a last line without '\n' */
		}
		any = 1;
		if (skip) {
			/* A comment, or past what a line can hold. */
			nl = memchr(r->buf + r->at, '\n', r->end - r->at);
			r->at = nl != NULL ? (size_t)(nl - r->buf) : r->end;
			if (nl == NULL)
				continue;
			skip = 0;
		}
		c = (unsigned char)r->buf[r->at++];
		if (c == '\n')
			break;
		if (c == ' ' || c == '\t' || c == '\r') {
			blank = n > 0;
			continue;
		}
		if (c == '#' && (n == 0 || blank)) {
			skip = 1;
			continue;
		}
		if (blank && n <= LINE_MAX_IN)
			line[n++] = ' ';
		blank = 0;
		if (n <= LINE_MAX_IN)
			line[n++] = (char)c;
		else
			skip = 1;
	}
	*len = n;
	return any ? 1 : 0;
}

/* Bulk mode: every line on its own; exit 2 at the end if any was bad. */
static int
bulk(const struct ipcalc_opts *o)
{
	static char	out[1 << 16];
	struct reader	r;
	char		line[LINE_MAX_IN + 1], why[SK_IP_ERRLEN], a[120];
	const char	*sp, *mask;
	size_t		n, alen;
	struct sk_ip	ip;
	int		bad = 0, rc;

	setvbuf(stdout, out, _IOFBF, sizeof(out));
	memset(&r, 0, offsetof(struct reader, buf));
	r.fd = STDIN_FILENO;
	while ((rc = next_line(&r, line, &n)) == 1) {
		if (n == 0)
			continue;		/* blank, or a comment */
		sp = n <= LINE_MAX_IN ? memchr(line, ' ', n) : NULL;
		alen = sp != NULL ? (size_t)(sp - line) : n;
		mask = sp != NULL ? sp + 1 : NULL;
		if (sp != NULL && memchr(mask, ' ', n - alen - 1) != NULL) {
			refuse(why, "too many fields", "'%s': one ADDRESS "
			    "and at most a NETMASK per line", shown(line, n, a,
			    sizeof(a)));
		} else if (take(o, line, alen, mask, mask != NULL ? n - alen -
		    1 : 0, &ip, why) == 0) {
			show(o, &ip, 1);
			if (ferror(stdout))
				break;
			continue;
		}
		if (o->c.json)
			json_error(stdout, line, n, why);
		bad = 1;
		if (ferror(stdout))
			break;
	}
	if (rc == -1) {
		(void)cmd_finish_stdout(CMD);
		cmd_err(CMD, "read stdin: %s", strerror(r.err));
		return EXIT_RUNTIME;
	}
	if (cmd_finish_stdout(CMD) != 0)
		return EXIT_RUNTIME;
	return bad ? EXIT_USAGE : 0;
}

int
cmd_ipcalc(int argc, char **argv)
{
	struct ipcalc_opts	o;
	struct sk_ip		ip;
	char			why[SK_IP_ERRLEN];

	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	if (o.range != NULL)
		return range(&o);
	if (o.contains != NULL)
		return contains(&o);
	if (strcmp(o.input, "-") == 0)
		return bulk(&o);
	if (take(&o, o.input, strlen(o.input), o.mask, o.mask != NULL ?
	    strlen(o.mask) : 0, &ip, why) == -1)
		return EXIT_USAGE;
	if (o.split >= 0)
		return split(&o, &ip);
	show(&o, &ip, 0);
	return cmd_finish_stdout(CMD) == 0 ? 0 : EXIT_RUNTIME;
}
