/*
 * hash.c - XXH64 (see hash.h), written from the published algorithm:
 * four 64-bit lanes over 32-byte stripes, then the tail and an avalanche.
 */
#define _GNU_SOURCE		/* MAP_POPULATE */

#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/hash.h>

#define MAPWIN	(8 << 20)	/* the most mapped at once */

#define P1	0x9E3779B185EBCA87ULL
#define P2	0xC2B2AE3D27D4EB4FULL
#define P3	0x165667B19E3779F9ULL
#define P4	0x85EBCA77C2B2AE63ULL
#define P5	0x27D4EB2F165667C5ULL

static inline uint64_t
rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* Little-endian loads whatever the host's order. */
static inline uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
round64(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}

static inline uint64_t
merge(uint64_t acc, uint64_t v)
{
	acc ^= round64(0, v);
	return acc * P1 + P4;
}

void
sk_hash_init(struct sk_hash *h)
{
	memset(h, 0, sizeof(*h));
	h->v[0] = P1 + P2;
	h->v[1] = P2;
	h->v[2] = 0;
	h->v[3] = 0 - P1;
}

static void
stripes(struct sk_hash *h, const uint8_t *p, size_t n)
{
	uint64_t	v0 = h->v[0], v1 = h->v[1], v2 = h->v[2], v3 = h->v[3];

	for (; n >= 32; p += 32, n -= 32) {
		v0 = round64(v0, le64(p));
		v1 = round64(v1, le64(p + 8));
		v2 = round64(v2, le64(p + 16));
		v3 = round64(v3, le64(p + 24));
	}
	h->v[0] = v0;
	h->v[1] = v1;
	h->v[2] = v2;
	h->v[3] = v3;
}

void
sk_hash_update(struct sk_hash *h, const void *data, size_t n)
{
	const uint8_t	*p = data;
	size_t		 take;

	h->total += n;
	if (h->npart > 0) {
		take = 32 - h->npart < n ? 32 - h->npart : n;
		memcpy(h->part + h->npart, p, take);
		h->npart += take;
		p += take;
		n -= take;
		if (h->npart < 32)
			return;
		stripes(h, h->part, 32);
		h->npart = 0;
	}
	take = n & ~(size_t)31;
	stripes(h, p, take);
	memcpy(h->part, p + take, n - take);
	h->npart = n - take;
}

uint64_t
sk_hash_final(const struct sk_hash *h)
{
	const uint8_t	*p = h->part;
	size_t		 n = h->npart;
	uint64_t	 acc;

	if (h->total >= 32) {
		acc = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) +
		    rotl(h->v[3], 18);
		acc = merge(acc, h->v[0]);
		acc = merge(acc, h->v[1]);
		acc = merge(acc, h->v[2]);
		acc = merge(acc, h->v[3]);
	} else
		acc = P5;
	acc += h->total;
	for (; n >= 8; p += 8, n -= 8) {
		acc ^= round64(0, le64(p));
		acc = rotl(acc, 27) * P1 + P4;
	}
	if (n >= 4) {
		acc ^= (uint64_t)le32(p) * P1;
		acc = rotl(acc, 23) * P2 + P3;
		p += 4;
		n -= 4;
	}
	for (; n > 0; p++, n--) {
		acc ^= *p * P5;
		acc = rotl(acc, 11) * P1;
	}
	acc ^= acc >> 33;
	acc *= P2;
	acc ^= acc >> 29;
	acc *= P3;
	acc ^= acc >> 32;
	return acc;
}

static sigjmp_buf		bus_jmp;
static volatile sig_atomic_t	bus_armed;

static void
on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	/* Not ours: the default action, as if we had never been here. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Hash through a mapping; 1 when the file cannot be mapped at all. */
static int
hash_mapped(struct sk_hash *h, int fd, off_t at, off_t len)
{
	struct sigaction	 sa, old;
	long			 page = sysconf(_SC_PAGESIZE);
	off_t			 base;
	size_t			 lead, n, maplen;
	uint8_t			*volatile map = MAP_FAILED;
	volatile size_t		 vmaplen = 0;
	volatile off_t		 vat = at, vlen = len;
	int			 rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_bus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old) == -1)
		return 1;
	if (sigsetjmp(bus_jmp, 1) != 0) {
		/* A page past the end of the file: it shrank. */
		bus_armed = 0;
		errno = EIO;
		goto out;
	}
	while (vlen > 0) {
		base = vat - vat % page;
		lead = (size_t)(vat - base);
		n = vlen < MAPWIN ? (size_t)vlen : MAPWIN;
		maplen = lead + n;
		map = mmap(NULL, maplen, PROT_READ, MAP_SHARED
#ifdef MAP_POPULATE
		    | MAP_POPULATE
#endif
		    , fd, base);
		if (map == MAP_FAILED) {
			rc = vat == at ? 1 : -1;
			goto out;
		}
		vmaplen = maplen;
		bus_armed = 1;
		sk_hash_update(h, map + lead, n);
		bus_armed = 0;
		munmap(map, maplen);
		map = MAP_FAILED;
		vat += (off_t)n;
		vlen -= (off_t)n;
	}
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, vmaplen);
	sigaction(SIGBUS, &old, NULL);
	return rc;
}

int
sk_hash_pread(struct sk_hash *h, int fd, off_t at, off_t len, void *buf,
    size_t bufsize)
{
	ssize_t	n;

	for (; len > 0; at += n, len -= n) {
		n = pread(fd, buf, (off_t)bufsize < len ? bufsize :
		    (size_t)len, at);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		sk_hash_update(h, buf, (size_t)n);
	}
	return 0;
}

int
sk_hash_file(struct sk_hash *h, int fd, off_t at, off_t len, void *buf,
    size_t bufsize)
{
	int	rc;

	if (len <= 0)
		return 0;
	if ((rc = hash_mapped(h, fd, at, len)) != 1)
		return rc;
	return sk_hash_pread(h, fd, at, len, buf, bufsize);
}
