/*
 * cmd.c - what every subcommand shares in talking to its user: messages
 * ("sockkit: CMD: ..."), the common options and their errors, numbers and
 * seconds, the probe options, and peer bytes written safe for a terminal
 * or as JSON.  Operands and hosts are in cmd_addr.c, a server's socket and
 * accept loop in cmd_server.c, signals, stdout and the exit in
 * cmd_signal.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/announce.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "cmd.h"

static void
vmsg(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
	char	line[1024], safe[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* An operand quoted in a message may hold any byte: none of them
	 * may drive the terminal (text and \xHH escapes pass unchanged). */
	(void)sk_text_escape(safe, sizeof(safe), (const uint8_t *)line,
	    strlen(line), 0);
	if (hint != NULL)
		fprintf(stderr, "sockkit: %s: %s (see 'sockkit %s --help')\n",
		    cmd, safe, hint);
	else
		fprintf(stderr, "sockkit: %s: %s\n", cmd, safe);
}

void
cmd_err(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg(cmd, NULL, fmt, ap);
	va_end(ap);
}

int
cmd_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg(cmd, cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int
cmd_help(const char *usage)
{
	fputs(usage, stdout);
	return cmd_finish_stdout("help");
}

static const struct option	*longopts_seen;

void
cmd_longopts(const struct option *lo)
{
	longopts_seen = lo;
}

/*
 * The option getopt_long() stopped at, when it was a long one: glibc
 * leaves it in argv[optind-1] (musl may have moved optind past argv's
 * end).  NULL for a short one (in optopt).
 */
static const char *
long_arg(char **argv)
{
	const char	*a;

	if (optind < 1 || (a = argv[optind - 1]) == NULL)
		return NULL;
	return a[0] == '-' && a[1] == '-' && a[2] != '\0' && a[2] != '=' ?
	    a : NULL;
}

/* How many long options name (len bytes) is the start of; *full the
 * last, or the one it names exactly. */
static int
long_matches(const char *name, size_t len, const char **full)
{
	const struct option	*lo;
	int			 n = 0;

	for (lo = longopts_seen; lo != NULL && lo->name != NULL; lo++)
		if (strncmp(lo->name, name, len) == 0) {
			*full = lo->name;
			if (lo->name[len] == '\0')
				return 1;
			n++;
		}
	return n;
}

/*
 * One line for each way an option can be wrong, in our own words (the
 * command sets opterr = 0 and ':' first in its optstring, so getopt_long
 * prints nothing itself): unknown, ambiguous, missing its value, or a
 * value given to one that takes none ("--json=1").
 */
static void
opt_error(const char *cmd, int ch, char **argv)
{
	const char	*a = long_arg(argv), *full = NULL;
	size_t		 len;
	int		 n;

	/* A short option's error leaves optopt its letter; a long one's
	 * 0 or its value, which for "--help=x" is 'h' too: an element
	 * "--help=x" then decides it, not optopt. */
	if (a != NULL && ch == '?' && optopt != 0 && optopt <= 0x7f &&
	    (strchr(a, '=') == NULL || a[2] != optopt))
		a = NULL;
	if (a == NULL) {
		if (optopt > ' ' && optopt < 0x7f)
			cmd_usage_err(cmd, ch == ':' ? "option '-%c' needs a "
			    "value" : "unknown option '-%c'", optopt);
		else if (optind >= 1 && argv[optind - 1] != NULL)
			cmd_usage_err(cmd, ch == ':' ? "option '%s' needs a "
			    "value" : "unknown option '%s'", argv[optind - 1]);
		else
			cmd_usage_err(cmd, ch == ':' ? "an option needs a "
			    "value" : "unknown option");
		return;
	}
	len = strcspn(a + 2, "=");
	n = long_matches(a + 2, len, &full);
	if (n != 1)
		full = NULL;
	if (ch == ':')
		cmd_usage_err(cmd, "option '--%s' needs a value",
		    full != NULL ? full : a + 2);
	else if (optopt != 0 && a[2 + len] == '=')
		cmd_usage_err(cmd, "option '--%.*s' takes no value ('%s')",
		    full != NULL ? (int)strlen(full) : (int)len,
		    full != NULL ? full : a + 2, a);
	else if (n > 1) {
		const struct option	*lo;
		char			 list[512];
		size_t			 used = 0;

		list[0] = '\0';
		for (lo = longopts_seen; lo->name != NULL; lo++)
			if (strncmp(lo->name, a + 2, len) == 0 &&
			    used < sizeof(list))
				used += (size_t)snprintf(list + used,
				    sizeof(list) - used, "%s--%s",
				    used > 0 ? ", " : "", lo->name);
		cmd_usage_err(cmd, "ambiguous option '--%.*s' (%s)", (int)len,
		    a + 2, list);
	}
	else
		cmd_usage_err(cmd, "unknown option '--%.*s'", (int)len, a + 2);
}

int
cmd_common(const char *cmd, struct common_opts *o, int ch, char **argv)
{
	const char *const	*b;

	switch (ch) {
	case '4':
	case '6':
		if (o->family == (ch == '4' ? AF_INET6 : AF_INET)) {
			cmd_usage_err(cmd, "-4 and -6 do not go together");
			return -1;
		}
		o->family = ch == '4' ? AF_INET : AF_INET6;
		return 1;
	case 'v':
		o->verbose++;
		return 1;
	case 'h':
		o->help = 1;
		return 1;
	case OPT_JSON:
		o->json = 1;
		return 1;
	case OPT_BACKEND:
		for (b = sk_loop_backends(); *b != NULL; b++)
			if (strcmp(*b, optarg) == 0) {
				o->backend = *b;
				return 1;
			}
		cmd_usage_err(cmd, "--backend: unknown backend '%s'", optarg);
		return -1;
	case ':':
	case '?':
		opt_error(cmd, ch, argv);
		return -1;
	}
	return 0;
}

int
cmd_number(const char *cmd, const char *what, const char *s, long long min,
    long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		cmd_usage_err(cmd, "%s: invalid number '%s' (%lld-%lld)", what,
		    s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cmd_port(const char *cmd, const char *what, const char *s, int zero_ok)
{
	int	port;

	if ((port = sk_net_parse_port(NULL, s, zero_ok)) != -1)
		return port;
	cmd_usage_err(cmd, "%s%sinvalid port '%s'", what != NULL ? what : "",
	    what != NULL ? ": " : "", s);
	return -1;
}

int
cmd_seconds(const char *cmd, const char *what, const char *s,
    long long min_ms, long long max_ms, long long *ms)
{
	long long	whole = 0, frac = 0, scale = 1000;
	const char	*p = s;
	int		digits = 0;

	/* Digits, then at most three decimals: no signs, exponents, hex,
	 * "inf" or "nan", which strtod would take. */
	for (; *p >= '0' && *p <= '9' && whole <= 86400LL * 3650; p++, digits++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (digits == 0 || *p != '\0' || whole > 86400LL * 3650 ||
	    whole * 1000 + frac < min_ms || whole * 1000 + frac > max_ms) {
		cmd_usage_err(cmd, "%s: invalid seconds '%s' (%.10g-%.10g)",
		    what, s, (double)min_ms / 1000, (double)max_ms / 1000);
		return -1;
	}
	*ms = whole * 1000 + frac;
	return 0;
}

int
cmd_probe_opt(const char *cmd, struct probe_opts *p, int ch)
{
	long	n;

	switch (ch) {
	case OPT_SEND:
		p->send = optarg;
		if ((n = cmd_unescape(p->send)) == -1) {
			cmd_usage_err(cmd, "--send: bad escape (use \\r \\n "
			    "\\t \\0 \\\\ \\xHH)");
			return -1;
		}
		p->sendlen = (size_t)n;
		return 1;
	case OPT_EXPECT:
		if (*optarg == '\0') {
			cmd_usage_err(cmd, "--expect: empty TEXT");
			return -1;
		}
		p->expect = optarg;
		return 1;
	}
	return 0;
}

long
cmd_unescape(char *s)
{
	static const char	 from[] = "rnt0\\", to[] = "\r\n\t\0\\";
	const char		*e;
	char			*d = s, *p = s;
	int			 hi, lo;

	while (*p != '\0') {
		if (*p != '\\') {
			*d++ = *p++;
			continue;
		}
		if (p[1] == 'x') {
			if ((hi = sk_text_hexval(p[2])) < 0 ||
			    (lo = sk_text_hexval(p[3])) < 0)
				return -1;
			*d++ = (char)(hi << 4 | lo);
			p += 4;
		} else if (p[1] != '\0' && (e = strchr(from, p[1])) != NULL) {
			*d++ = to[e - from];
			p += 2;
		} else
			return -1;
	}
	*d = '\0';
	return (long)(d - s);
}

void
cmd_put_text(FILE *f, const void *p, size_t n, int flags)
{
	const uint8_t	*b = p;
	char		 out[1024];
	size_t		 took;

	while (n > 0) {
		took = sk_text_escape(out, sizeof(out), b, n, flags);
		fputs(out, f);
		b += took;
		n -= took;
	}
}

void
cmd_print_line(FILE *f, const uint8_t *p, size_t n)
{
	/* One line end, "\n" or "\r\n"; a CR with no newline after it is
	 * shown (\x0d), or "cr\r" and "cr" would print alike. */
	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r')
			n--;
	}
	/* '\\' as "\\\\": else the four bytes \x1b print as ESC does. */
	cmd_put_text(f, p, n, SK_TEXT_TAB | SK_TEXT_BACKSLASH);
	fputc('\n', f);
}

void
cmd_hexdump(FILE *f, const uint8_t *p, size_t n)
{
	size_t	off, i;

	for (off = 0; off < n; off += 16) {
		fprintf(f, "%08zx ", off);
		for (i = off; i < off + 16; i++) {
			if (i % 8 == 0)
				fputc(' ', f);
			if (i < n)
				fprintf(f, "%02x ", p[i]);
			else
				fputs("   ", f);
		}
		fputs(" |", f);
		for (i = off; i < off + 16 && i < n; i++)
			fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
		fputs("|\n", f);
	}
}

void
cmd_json_str(FILE *f, const char *s)
{
	cmd_json_strn(f, s, strlen(s));
}

/*
 * Valid UTF-8 goes as it is (C1 controls escaped), '"' and '\\' escaped,
 * and every other byte -- C0, DEL, a NUL, a byte of broken UTF-8 -- as
 * \u00XX: the output is valid JSON whatever the peer sent, and one byte
 * always stands for one escape (as ipcalc --json has written it).
 */
void
cmd_json_strn(FILE *f, const char *s, size_t n)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i, len;

	for (i = 0; i < n; i += len) {
		len = sk_text_has_ctl(p + i, 1, 0) ? 0 : 1;
		if (p[i] >= 0x80) {
			/* The length of a valid character here, or 0. */
			len = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 :
			    p[i] >= 0xc2 ? 2 : 0;
			if (len > n - i || sk_text_has_ctl(p + i, len, 0))
				len = 0;
		}
		if (len == 0) {
			fprintf(f, "\\u%04x", p[i]);
			len = 1;
		} else if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else
			fwrite(p + i, 1, len, f);
	}
}

int
cmd_announce_name(const char *cmd, const char *what, const char *name)
{
	const char	*why;
	char		 buf[SK_ANN_WHYLEN];
	size_t		 n = strlen(name);

	if ((why = sk_ann_name_bad(name, n, buf, sizeof(buf))) == NULL)
		return 0;
	cmd_usage_err(cmd, "%s%sa NAME is 1-%d bytes of text, no spaces or "
	    "control bytes: '%.*s%s' %s", what != NULL ? what : "",
	    what != NULL ? ": " : "", SK_ANN_NAMEMAX, SK_ANN_NAMEMAX, name,
	    n > SK_ANN_NAMEMAX ? "..." : "", why);
	return -1;
}
