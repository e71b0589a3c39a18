/* The fixture and helpers of the hook queue tests (test-hooks,
 * test-hooks-order). The hooks run as "nobody"; as another user than root
 * the tests that need root-owned scripts are skipped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "child-test-util.h"
#include "daemon/hooks.h"

#define OTHER_GID 12345
#define NO_USER "promvip-no-such-user"

enum { HOOK_MASTER, HOOK_BACKUP, HOOK_FAULT, HOOK_STOP, HOOK_ANY, _HOOK_MAX };

typedef struct Fixture {
        sd_event *event;
        HookQueue *q;
        size_t n_fds;
        /* An instance "prom", vrid 51, two VIPs; hooks set by set_hook(). */
        InstanceConfig cfg;
        char name[8];
        IpPrefix vips[2];
        char *argv[_HOOK_MAX][2];
        char paths[_HOOK_MAX][512];
        /* The log while capturing, see capture_begin(). */
        FILE *capture;
        int saved_stderr;
        char *log;
} Fixture;

/* The scripts' directory, and the user they run as (nobody). */
extern char base[];
extern TestUser the_user;
/* The recorder: master.sh, backup.sh, fault.sh, stop.sh and any.sh. */
extern const char recorder[];

bool root(void);
/* base/name, in one of four rotating buffers. */
const char *at(const char *name);
/* base/name with `text` (each %s: base), root-owned, `mode`. */
void write_file(const char *name, const char *text, mode_t mode);
void read_file(const char *name, char *buf, size_t size);
void set_hook(Fixture *f, unsigned which, const char *script);
/* The recorder as each hook in `hooks` (BIT(HOOK_MASTER) | ...). */
#define BIT(h) (1U << (h))
void set_recorders(Fixture *f, unsigned hooks);
/* A transition, as promvipd queues it. */
void transition(Fixture *f, const char *user, VrrpState from, VrrpState to, uint8_t priority);
/* Runs the loop until no hook is queued or running. */
void wait_idle(Fixture *f, uint64_t max_usec);

/* The daemon's log (stderr) goes into f->log until capture_end(). */
void capture_begin(Fixture *f);
void capture_end(Fixture *f);
/* Occurrences of `text` in the captured log. */
size_t count_logged(const Fixture *f, const char *text);
/* A line of the captured log "<prefix>/<script> <middle><seconds><suffix>",
 * with the base directory and a duration ("0.123") in between. */
void assert_logged(const Fixture *f, const char *prefix, const char *script, const char *middle,
                   const char *suffix);
void assert_counters(const Fixture *f, uint64_t runs, uint64_t failures, uint64_t refused, uint64_t dropped);

/* The recorder hooks wait at the gate while it exists. */
void gate_close(void);
void gate_open(void);
/* Lines of the hooks' log file that start with "start ". */
unsigned count_starts(void);
/* Runs the loop until `n` hooks in all have started. */
void wait_started(Fixture *f, unsigned n);

int hooks_test_setup(void **state);
int hooks_test_teardown(void **state);
int hooks_test_group_setup(void **state);
int hooks_test_group_teardown(void **state);
