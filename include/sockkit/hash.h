/*
 * hash.h - XXH64, a fast 64-bit checksum, fed in pieces of any size.
 *
 * fileserve verifies every transfer end to end with it: the digest of the
 * whole file, resumed parts included.  It catches corruption (a bad disk,
 * a torn partial file, a changed file); it is not cryptographic and does
 * not protect against a malicious peer.  The digest equals the published
 * XXH64 (seed 0) of the same bytes, so `xxh64sum` can check a file too.
 */
#ifndef SOCKKIT_HASH_H
#define SOCKKIT_HASH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct sk_hash {
	uint64_t	v[4];
	uint64_t	total;
	uint8_t		part[32];	/* a stripe not yet complete */
	size_t		npart;
};

void		sk_hash_init(struct sk_hash *h);
void		sk_hash_update(struct sk_hash *h, const void *p, size_t n);
uint64_t	sk_hash_final(const struct sk_hash *h);

/*
 * Feed bytes [at, at + len) of the file fd to h, read through a mapping of
 * the page cache (no copy) or, where the file cannot be mapped, through buf
 * (bufsize bytes).  0, or -1 with errno set, and no err argument (EIO when
 * the file is shorter than that: shrunk under us).  Mapped pages of a file
 * truncated meanwhile fault with SIGBUS; that is caught for the duration
 * of the call (the previous SIGBUS action is put back), so it is not for
 * threaded callers.
 * After -1, h is undefined.
 */
int		sk_hash_file(struct sk_hash *h, int fd, off_t at, off_t len,
		    void *buf, size_t bufsize);

/*
 * The same, always read with pread(2) through buf (bufsize > 0 bytes), no
 * mapping and no signal handling: 0, or -1 with errno set, and no err
 * argument (EIO when the file is shorter).  For bytes just written or about
 * to be sent this copy, into a buffer that stays in the CPU's cache, costs
 * less than a mapping: populating and unmapping one per piece took half of
 * fileserve put's client time, the copy a third of that.
 * After -1, h is undefined.
 */
int		sk_hash_pread(struct sk_hash *h, int fd, off_t at, off_t len,
		    void *buf, size_t bufsize);

#endif /* SOCKKIT_HASH_H */
