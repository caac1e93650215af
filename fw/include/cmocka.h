/* The part of cmocka's API the project's tests use, for the firmware build (no cmocka for
 * arm-none-eabi): the same test sources compile for the target. A failed assertion prints
 * where and why, and the test ends (longjmp back to the runner); cmocka_run_group_tests
 * returns the number of failed tests, which becomes the program's exit status. Include
 * <setjmp.h>, <stdarg.h>, <stddef.h> before it, as with cmocka. */
#ifndef PLC_FW_CMOCKA_H
#define PLC_FW_CMOCKA_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
};
#define cmocka_unit_test(f) {#f, f}

extern jmp_buf fw_cmocka_jump;
void fw_cmocka_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* newlib-nano's printf has no %lld: 64-bit values are written by hand (buf of 24) */
const char *fw_cmocka_ll(long long v, char *buf);
void fw_cmocka_fail_ll(const char *file, int line, long long a, const char *op, long long b)
    __attribute__((noreturn));
typedef int (*CMFixtureFunction)(void **state);
int fw_cmocka_run(const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
                  CMFixtureFunction teardown);
#define cmocka_run_group_tests(t, setup, teardown) \
    fw_cmocka_run((t), sizeof(t) / sizeof((t)[0]), (setup), (teardown))

#define print_message(...) printf(__VA_ARGS__)
#define fail_msg(...) fw_cmocka_fail(__FILE__, __LINE__, __VA_ARGS__)
#define fail() fw_cmocka_fail(__FILE__, __LINE__, "failure")
void fw_cmocka_skip(void) __attribute__((noreturn));
#define skip() fw_cmocka_skip()
#define assert_true(c) \
    do { if (!(c)) fw_cmocka_fail(__FILE__, __LINE__, "%s", #c); } while (0)
#define assert_false(c) \
    do { if (c) fw_cmocka_fail(__FILE__, __LINE__, "!(%s)", #c); } while (0)
#define assert_int_equal(a, b) \
    do { const long long a_ = (long long)(a), b_ = (long long)(b); \
         if (a_ != b_) fw_cmocka_fail_ll(__FILE__, __LINE__, a_, "!=", b_); } while (0)
#define assert_int_not_equal(a, b) \
    do { const long long a_ = (long long)(a), b_ = (long long)(b); \
         if (a_ == b_) fw_cmocka_fail_ll(__FILE__, __LINE__, a_, "==", b_); } while (0)
#define assert_in_range(v, lo, hi) \
    do { const long long v_ = (long long)(v); \
         if (v_ < (long long)(lo) || v_ > (long long)(hi)) \
             fw_cmocka_fail_ll(__FILE__, __LINE__, v_, "out of range, limit", \
                               v_ < (long long)(lo) ? (long long)(lo) : (long long)(hi)); } while (0)
#define assert_null(p) \
    do { if ((p) != NULL) fw_cmocka_fail(__FILE__, __LINE__, "%s not NULL", #p); } while (0)
#define assert_non_null(p) \
    do { if ((p) == NULL) fw_cmocka_fail(__FILE__, __LINE__, "%s is NULL", #p); } while (0)
#define assert_memory_equal(a, b, n) \
    do { if (memcmp((a), (b), (n))) fw_cmocka_fail(__FILE__, __LINE__, "%s and %s differ", #a, #b); } while (0)
#define assert_memory_not_equal(a, b, n) \
    do { if (!memcmp((a), (b), (n))) fw_cmocka_fail(__FILE__, __LINE__, "%s and %s equal", #a, #b); } while (0)
#define assert_string_equal(a, b) \
    do { if (strcmp((a), (b))) fw_cmocka_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"", (a), (b)); } while (0)
#define assert_string_not_equal(a, b) \
    do { if (!strcmp((a), (b))) fw_cmocka_fail(__FILE__, __LINE__, "\"%s\" == \"%s\"", (a), (b)); } while (0)

#endif
