/* The runner behind fw/include/cmocka.h. */
#include <stdarg.h>
#include <stddef.h>

#include "board.h"
#include "cmocka.h"

jmp_buf fw_cmocka_jump;

void fw_cmocka_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[  ERROR   ] --- ");
    vprintf(fmt, ap);
    printf("\n[   LINE   ] --- %s:%d: error: Failure!\n", file, line);
    va_end(ap);
    longjmp(fw_cmocka_jump, 1);
}

const char *fw_cmocka_ll(long long v, char *buf)
{
    char tmp[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int k = 0;
    if (v < 0)
        buf[k++] = '-';
    while (n)
        buf[k++] = tmp[--n];
    buf[k] = 0;
    return buf;
}

void fw_cmocka_fail_ll(const char *file, int line, long long a, const char *op, long long b)
{
    char x[24], y[24];
    fw_cmocka_fail(file, line, "%s %s %s", fw_cmocka_ll(a, x), op, fw_cmocka_ll(b, y));
}

void fw_cmocka_skip(void)
{
    longjmp(fw_cmocka_jump, 2);
}

int fw_cmocka_run(const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
                  CMFixtureFunction teardown)
{
    void *group = NULL;
    if (setup && setup(&group) != 0) {
        printf("[  ERROR   ] group setup failed\n");
        return (int)n;
    }
    volatile int failed = 0; /* kept across the longjmp */
    printf("[==========] Running %u test(s) on the target.\n", (unsigned)n);
    for (size_t i = 0; i < n; i++) {
        printf("[ RUN      ] %s\n", tests[i].name);
        const uint64_t i0 = board_instructions();
        const int jumped = setjmp(fw_cmocka_jump);
        if (jumped == 0) {
            void *state = group;
            tests[i].test_func(&state);
            char k[24];
            printf("[       OK ] %s (%s instructions)\n", tests[i].name,
                   fw_cmocka_ll((long long)(board_instructions() - i0), k));
        } else if (jumped == 2) {
            printf("[  SKIPPED ] %s\n", tests[i].name);
        } else {
            printf("[  FAILED  ] %s\n", tests[i].name);
            failed++;
        }
    }
    if (teardown)
        teardown(&group);
    printf("[==========] %u test(s) run, %d failed; stack peak %u bytes, heap %u bytes.\n",
           (unsigned)n, failed, (unsigned)board_stack_peak(), (unsigned)board_heap_used());
    return failed;
}
