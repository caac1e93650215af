/* newlib's system calls on ARM semihosting (QEMU -semihosting): the console and host files
 * (tests read vectors/ through fopen), the heap above the stack with its high-water mark, and the
 * exit status. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "board.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

#define MAX_FILES 16

static int handle[MAX_FILES]; /* fd -> host handle, -1 free */
static long position[MAX_FILES];

static int semihost(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int host_open(const char *path, int mode)
{
    const uintptr_t args[3] = {(uintptr_t)path, (uintptr_t)mode, strlen(path)};
    return semihost(SYS_OPEN, args);
}

void board_semihost_init(void)
{
    for (int i = 0; i < MAX_FILES; i++)
        handle[i] = -1;
    handle[0] = host_open(":tt", 0); /* "r" */
    handle[1] = host_open(":tt", 4); /* "w" */
    handle[2] = host_open(":tt", 8); /* "a" */
}

void board_exit(int status)
{
    const uintptr_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
    for (;;)
        semihost(SYS_EXIT_EXTENDED, args);
}

void _exit(int status)
{
    board_exit(status);
}

int _open(const char *path, int flags, ...)
{
    int fd = 3;
    while (fd < MAX_FILES && handle[fd] >= 0)
        fd++;
    if (fd == MAX_FILES) {
        errno = EMFILE;
        return -1;
    }
    /* fopen modes as semihosting numbers them, binary: rb 1, wb 5, ab 9, r+b 3, w+b 7 */
    int mode = 1;
    if (flags & O_APPEND)
        mode = 9;
    else if ((flags & O_ACCMODE) == O_WRONLY)
        mode = 5;
    else if ((flags & O_ACCMODE) == O_RDWR)
        mode = (flags & O_TRUNC) ? 7 : 3;
    const int h = host_open(path, mode);
    if (h < 0) {
        errno = ENOENT;
        return -1;
    }
    handle[fd] = h;
    position[fd] = 0;
    return fd;
}

int _close(int fd)
{
    if (fd < 3 || fd >= MAX_FILES || handle[fd] < 0)
        return 0;
    const uintptr_t args[1] = {(uintptr_t)handle[fd]};
    handle[fd] = -1;
    return semihost(SYS_CLOSE, args) == 0 ? 0 : -1;
}

int _write(int fd, const char *buf, int len)
{
    if (fd < 0 || fd >= MAX_FILES || handle[fd] < 0) {
        errno = EBADF;
        return -1;
    }
    const uintptr_t args[3] = {(uintptr_t)handle[fd], (uintptr_t)buf, (uintptr_t)len};
    const int left = semihost(SYS_WRITE, args); /* bytes not written */
    position[fd] += len - left;
    return len - left;
}

int _read(int fd, char *buf, int len)
{
    if (fd < 0 || fd >= MAX_FILES || handle[fd] < 0) {
        errno = EBADF;
        return -1;
    }
    const uintptr_t args[3] = {(uintptr_t)handle[fd], (uintptr_t)buf, (uintptr_t)len};
    const int left = semihost(SYS_READ, args); /* bytes not read */
    position[fd] += len - left;
    return len - left;
}

off_t _lseek(int fd, off_t off, int whence)
{
    if (fd < 3 || fd >= MAX_FILES || handle[fd] < 0) {
        errno = ESPIPE;
        return -1;
    }
    long to = (long)off;
    if (whence == SEEK_CUR) {
        to += position[fd];
    } else if (whence == SEEK_END) {
        const uintptr_t args[1] = {(uintptr_t)handle[fd]};
        to += semihost(SYS_FLEN, args);
    }
    const uintptr_t args[2] = {(uintptr_t)handle[fd], (uintptr_t)to};
    if (semihost(SYS_SEEK, args) != 0) {
        errno = EINVAL;
        return -1;
    }
    position[fd] = to;
    return to;
}

int _fstat(int fd, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = fd <= 2 ? S_IFCHR : S_IFREG;
    return 0;
}

int _isatty(int fd)
{
    return fd <= 2;
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}

extern char _heap_start, _heap_end;
static char *brk = &_heap_start;

void *_sbrk(ptrdiff_t incr)
{
    if (brk + incr > &_heap_end || brk + incr < &_heap_start) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = brk;
    brk += incr;
    return old;
}

size_t board_heap_used(void)
{
    return (size_t)(brk - &_heap_start);
}

size_t board_heap_in_use(void)
{
    return (size_t)mallinfo().uordblks;
}
