/*
 * tcp_client.h - what the parts of sockkit tcp-client share: the options
 * and the port scanner's entries.  tcp_client.c reads the command line
 * and runs the connection (relay, --send/--expect, -q, -w);
 * tcp_client_scan.c is -z: the PORTS operands and the scan.
 */
#ifndef SOCKKIT_TCP_CLIENT_H
#define SOCKKIT_TCP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

#define CMD	"tcp-client"

struct client_opts {
	struct common_opts	 c;
	long long		 wait_ms;	/* -w; 0: none */
	long long		 quit_ms;	/* -q; -1: none */
	int			 zero;		/* -z */
	int			 frame;
	int			 max_frame_set;
	long long		 max_frame;
	long long		 parallel;
	int			 parallel_set;
	int			 numeric;	/* -n */
	int			 halfclose;	/* -N */
	struct probe_opts	 p;		/* --send, --expect */
	const char		*src_host;
	const char		*src_port;
	const char		*unix_path;
	const char		*host;
	const char		*port;
	uint16_t		*ports;		/* -z: in the order given */
	size_t			 nports;
};

/*
 * -z's PORTS operands (argc of them) into o->ports, in the order given,
 * each port once.  Returns 0, or -1 after a usage error (or "out of
 * memory").
 */
int	tc_parse_ports(struct client_opts *o, int argc, char **argv);

/* -z: try each port, print each state; the exit status (0: one open). */
int	tc_scan(const struct client_opts *o);

#endif /* SOCKKIT_TCP_CLIENT_H */
