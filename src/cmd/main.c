/*
 * main.c - the sockkit binary: process-wide set-up, then dispatch to the
 * subcommand named by argv[1] through the table below.
 */
#include <sys/resource.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>

#include "cmd.h"

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
};

static const struct command commands[] = {
	{ "tcp-server", cmd_tcp_server,
	    "TCP server: stdio like nc -l, echo, upper, discard, chat" },
	{ "tcp-client", cmd_tcp_client,
	    "TCP client: pipe stdin and stdout through a connection" },
	{ "udp-server", cmd_udp_server,
	    "UDP server: print, echo, upper-case or time datagrams" },
	{ "udp-client", cmd_udp_client,
	    "UDP client: send stdin lines, print replies; probes" },
	{ "broadcast", cmd_broadcast,
	    "broadcast and multicast send/listen; LAN service discovery" },
	{ "fileserve", cmd_fileserve,
	    "verified, resumable file transfer: serve, get, put, ls" },
	{ "http", cmd_http, "static HTTP/1.1 file server" },
	{ "ipcalc", cmd_ipcalc, "subnet and class facts for IPv4 and IPv6" },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: sockkit COMMAND [options] [arguments]\n"
	    "       sockkit --help | --version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\n'sockkit COMMAND --help' lists a command's options; "
	    "'sockkit help COMMAND'\nexplains them (its part of 'man "
	    "sockkit').\n");
}

static void
version(void)
{
	const char *const	*b;

	printf("sockkit %s (event loop backends:", SOCKKIT_VERSION);
	for (b = sk_loop_backends(); *b != NULL; b++)
		printf(" %s", *b);
	printf(")\n");
}

/* Levenshtein distance, for "did you mean" on a mistyped command. */
static size_t
distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, tmp, row[32];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static int
unknown(const char *name)
{
	size_t	i, best = 3, d;
	int	hint = -1;

	for (i = 0; i < NCOMMANDS; i++)
		if ((d = distance(name, commands[i].name)) < best) {
			best = d;
			hint = (int)i;
		}
	if (hint >= 0)
		fprintf(stderr, "sockkit: %s: unknown command (did you mean "
		    "'%s'? see 'sockkit --help')\n", name,
		    commands[hint].name);
	else
		fprintf(stderr, "sockkit: %s: unknown command (see "
		    "'sockkit --help')\n", name);
	return EXIT_USAGE;
}

/* "sockkit help CMD": the command's part of the man page, as text. */
static int
help(const char *name)
{
	const struct cmd_manual	*m;
	const char *const	*l;

	if (strcmp(name, "help") == 0) {
		usage(stdout);
		return cmd_finish_stdout("help");
	}
	for (m = cmd_manual; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0) {
			for (l = m->lines; *l != NULL; l++)
				puts(*l);
			return cmd_finish_stdout("help");
		}
	return unknown(name);
}

/*
 * Started with stdin, stdout or stderr closed, the first sockets would
 * take those numbers: received bytes written to "stdout" would go back
 * into the connection, logs into a client.  Hold them on /dev/null, the
 * wrong way round, so they still behave as closed: stdin opened
 * write-only fails every read with EBADF, stdout and stderr opened
 * read-only every write.
 */
static void
hold_std_fds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDONLY)) != -1 && fd <= 2)
		if (fd == STDIN_FILENO) {
			close(fd);
			if ((fd = open("/dev/null", O_WRONLY)) != STDIN_FILENO)
				break;
		}
	if (fd > 2)
		close(fd);
}

/* Servers hold thousands of sockets: take all the fds we are allowed. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	const char	*name;
	size_t		 i;

	/*
	 * A peer that goes away must show up as EPIPE where we write, never
	 * kill the process.
	 */
	signal(SIGPIPE, SIG_IGN);
	hold_std_fds();
	raise_nofile();

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return cmd_exit(cmd_finish_stdout("help"));
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		version();
		return cmd_exit(cmd_finish_stdout("version"));
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return cmd_exit(cmd_finish_stdout("help"));
		}
		return cmd_exit(help(argv[2]));
	}
	if (name[0] == '-') {
		fprintf(stderr, "sockkit: unknown option '%s' (see 'sockkit "
		    "--help')\n", name);
		return EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		return cmd_exit(commands[i].fn(argc - 1, argv + 1));
	}
	return unknown(name);
}
