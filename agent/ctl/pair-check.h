/* promvipctl check-pair, the analysis: the configurations of every host of
 * a set of virtual routers, matched into routers, and for each router who
 * is master when all is well and after each failure the configurations
 * foresee, with the errors and warnings found. Pure: no I/O, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "probe/priority.h"

/* PairScenario.master and .back when no single host is master. */
#define PAIR_NOBODY SIZE_MAX
#define PAIR_TIE (SIZE_MAX - 1)

typedef struct PairHost {
        const char *label; /* shown in tables and messages: router_id or path */
        const Config *config;
} PairHost;

/* What can fail and move an instance's priority; see pair_sources_build(). */
typedef enum PairSourceKind {
        PAIR_SOURCE_PROBE,     /* a tracked http, promql or exec probe */
        PAIR_SOURCE_INTERFACE, /* a tracked interface (issue 17's track_interfaces) */
        PAIR_SOURCE_FILE,      /* a file probe (issue 17's type = "file"), failed = 1 (drained) */
        _PAIR_SOURCE_KIND_MAX,
} PairSourceKind;

typedef struct PairSource {
        const char *name;           /* borrowed from the Config */
        PairSourceKind kind;
        int weight;                 /* as configured, for display */
        TrackState healthy, failed; /* as priority_effective() sees the source */
        uint64_t detect_usec;       /* worst time from a failure to its effect; 0: unknown */
        const ProbeConfig *probe;   /* PAIR_SOURCE_PROBE, PAIR_SOURCE_FILE: its definition; NULL for an interface */
} PairSource;

typedef struct PairMember {
        size_t host; /* index into the hosts */
        const InstanceConfig *instance;
        PairSource *sources;
        size_t n_sources;
        TrackState *scratch; /* n_sources, for priority_effective() */
} PairMember;

typedef enum PairScenarioKind {
        PAIR_ALL_WELL,
        PAIR_FAILS_ON_MASTER,  /* one source fails on the master (all well's) */
        PAIR_MASTER_DIES,      /* the master host is gone */
        PAIR_FAILS_EVERYWHERE, /* one source fails on every host that has it */
        _PAIR_SCENARIO_KIND_MAX,
} PairScenarioKind;

typedef struct PairMemberState {
        uint8_t priority; /* effective */
        bool fault;       /* a source with weight 0 failed */
        bool gone;        /* the host is down */
        bool tied;        /* one of the hosts of a tie for master */
} PairMemberState;

typedef struct PairScenario {
        PairScenarioKind kind;
        const char *source;      /* FAILS_*: the source's name */
        uint64_t detect_usec;    /* FAILS_ON_MASTER: its detection time on the master */
        PairMemberState *states; /* one per member */
        size_t master;           /* member index, PAIR_NOBODY or PAIR_TIE */
        size_t back;             /* FAILS_ON_MASTER, MASTER_DIES: master once all is well again */
} PairScenario;

typedef struct PairRouter {
        uint8_t vrid;
        int family;
        const char *interface; /* set when matched by interface too (one host has the VRID twice) */
        PairMember *members;
        size_t n_members;
        PairScenario *scenarios; /* none when no master is known when all is well */
        size_t n_scenarios;
} PairRouter;

typedef enum PairSeverity {
        PAIR_WARNING,
        PAIR_ERROR,
} PairSeverity;

typedef struct PairFinding {
        PairSeverity severity;
        size_t router; /* index, or SIZE_MAX: about several */
        char *message;
} PairFinding;

typedef struct PairOptions {
        uint64_t target_usec; /* a failed source must be detected within this; 0: no target */
} PairOptions;

typedef struct PairReport {
        const PairHost *hosts; /* borrowed */
        size_t n_hosts;
        PairRouter *routers;
        size_t n_routers;
        PairFinding *findings;
        size_t n_findings;
        size_t n_errors, n_warnings;
} PairReport;

/* A source that fails by going DOWN (probes, interfaces): its weight
 * applies while DOWN when negative, while UP when positive; 0: FAULT. */
void pair_source_set_down_weight(PairSource *s, int weight);
/* A source whose contribution is value x weight, healthy at 0 and failed
 * at 1 (a file probe: 1 = drained); weight 0: FAULT at 1. */
void pair_source_set_value_weight(PairSource *s, int weight);

/* The failure sources of an instance: 0, or -ENOMEM. */
int pair_sources_build(const Config *c, const InstanceConfig *in, PairSource **ret, size_t *ret_n);

/* Matches the hosts' instances into routers (by VRID and address family;
 * by interface name too for a VRID one host has on two interfaces), runs
 * the scenarios and collects the findings. 0, or -ENOMEM. */
int pair_check(const PairHost *hosts, size_t n_hosts, const PairOptions *o, PairReport *ret);
void pair_report_clear(PairReport *r);

const char *pair_source_kind_to_string(PairSourceKind k);
