/*
 * no_openat2.c - an LD_PRELOAD shim for the tests: openat2 fails with
 * ENOSYS, as on a kernel before 5.6, under a seccomp filter or on the
 * BSDs, so sockkit takes its portable path walk (core/path.c).  Every
 * other system call made through syscall(3) goes through unchanged.
 *
 *     cc -shared -fPIC -o no_openat2.so no_openat2.c -ldl
 *     LD_PRELOAD=./no_openat2.so sockkit http ...
 */
#define _GNU_SOURCE

#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>

long
syscall(long number, ...)
{
	static long	(*real)(long, ...);
	va_list		ap;
	long		a[6];
	int		i;

	if (number == SYS_openat2) {
		errno = ENOSYS;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "syscall");
	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
