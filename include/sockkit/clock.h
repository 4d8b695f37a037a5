/*
 * clock.h - the one monotonic clock of the core, for deadlines, timers and
 * rates.  CLOCK_MONOTONIC: it never jumps when the wall clock is set, and
 * its origin is unspecified (only differences mean anything).
 */
#ifndef SOCKKIT_CLOCK_H
#define SOCKKIT_CLOCK_H

/* Milliseconds and microseconds on the monotonic clock. */
long long	sk_clock_ms(void);
long long	sk_clock_us(void);

#endif /* SOCKKIT_CLOCK_H */
