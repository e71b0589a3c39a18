/* The configuration model: libconfig text -> plain, validated structs.
 *
 * conf_load_file()/conf_load_string() either return a whole Config that
 * passed every check, or collect every error found (each with file:line) in
 * a ConfErrors list. They never log and never exit; the caller reports.
 * They read the files they are given and nothing else of the host: whether
 * the commands a Config names are safe to run is promvipd's own check
 * (daemon/conf-check.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/addr.h"
#include "shared/macro.h"

#define CONF_DEFAULT_PATH "/etc/promvip/promvip.conf"
#define CONF_DEFAULT_LISTEN "127.0.0.1:9662"
#define CONF_DEFAULT_CONTROL_SOCKET "/run/promvip/promvipd.sock"
#define CONF_DEFAULT_SCRIPT_USER "promvip"
#define CONF_NAME_MAX 64
#define CONF_REALTIME_PRIORITY_MAX 99 /* SCHED_RR's range on Linux is 1..99 */
#define CONF_DEFAULT_EVENT_HISTORY 100 /* events kept per instance */
#define CONF_EVENT_HISTORY_MAX 10000
#define CONF_TTL_DEFAULT 255          /* RFC 5798: adverts sent with TTL 255, nothing else accepted */

typedef struct ConfError {
        char *file;
        unsigned line; /* 0: no line (e.g. the file cannot be read) */
        char *message;
} ConfError;

typedef struct ConfErrors {
        ConfError *items;
        size_t n;
} ConfErrors;

/* A command without a shell: argv[0] is an absolute path; NULL-terminated.
 * file:line is where it is set, for errors found after loading (whether
 * the host's file is safe to run is the daemon's check, not the loader's). */
typedef struct Argv {
        char **argv;
        size_t argc;
        char *file;
        unsigned line;
} Argv;

typedef enum ProbeKind {
        PROBE_HTTP,
        PROBE_PROMQL,
        PROBE_EXEC,
        PROBE_FILE,   /* keepalived's track_file: an integer in a file, watched */
        _PROBE_KIND_MAX,
} ProbeKind;

/* HTTP client settings shared by the http and promql kinds. */
typedef struct HttpConfig {
        char *url;
        char *ca_file;
        char *cert_file;
        char *key_file;
        bool tls_skip_verify;
        char *username;
        char *password;
        char *bearer_token_file;
        char **headers; /* "Name: value" */
        size_t n_headers;
} HttpConfig;

typedef struct ProbeConfig {
        char *name;
        ProbeKind kind;
        unsigned line;
        uint64_t interval_usec;
        uint64_t timeout_usec;
        unsigned fall;
        unsigned rise;
        int weight;        /* default for tracks that do not set their own */
        HttpConfig http;   /* http, promql */
        char *query;       /* promql */
        double min, max;   /* promql: accepted range, -inf..+inf by default */
        Argv command;      /* exec */
        char *path;        /* file: absolute */
        int64_t missing;   /* file: the value while the file does not exist */
} ProbeConfig;

typedef struct TrackConfig {
        size_t probe;       /* index into Config.probes */
        char *probe_name;
        int weight;
} TrackConfig;

/* track_interfaces (conf-track.c): weight 0 = FAULT while the link is down. */
typedef struct TrackInterfaceConfig {
        char *interface;
        int weight;
} TrackInterfaceConfig;

typedef struct NotifyConfig {
        Argv master, backup, fault, stop, any;
        uint64_t timeout_usec;
} NotifyConfig;

typedef enum AuthType {
        AUTH_NONE,
        AUTH_PASS, /* VRRPv2 simple text password, keepalived's auth_type PASS */
} AuthType;

#define VRRP_AUTH_PASS_MAX 8

typedef struct InstanceConfig {
        char *name;
        char *interface;
        unsigned line;
        uint8_t vrid;
        uint8_t priority;
        uint8_t version;          /* 2 or 3 */
        int family;               /* of every address below */
        uint16_t advert_interval_cs;
        bool preempt;
        uint64_t preempt_delay_usec;
        bool rapid_preemption;    /* beyond RFC 5798, see VrrpFsmParams */
        IpPrefix *vips;           /* none: hooks move the address */
        size_t n_vips;
        IpAddr *unicast_peers;    /* empty: multicast */
        size_t n_unicast_peers;
        bool has_source_address;
        IpAddr source_address;
        TrackConfig *tracks;
        size_t n_tracks;
        TrackInterfaceConfig *track_interfaces; /* conf-track.c */
        size_t n_track_interfaces;
        NotifyConfig notify;
        AuthType auth_type;
        char auth_password[VRRP_AUTH_PASS_MAX + 1];
        bool checksum_pseudo_header; /* VRRPv3 over IPv4 only */
        /* Announcements on becoming master (keepalived's meanings): a burst of
         * garp_master_repeat rounds garp_interval apart, a second burst
         * garp_master_delay later (0: none), then one round every
         * garp_master_refresh (0: never). */
        unsigned garp_master_repeat;
        uint64_t garp_interval_usec;
        uint64_t garp_master_delay_usec;
        uint64_t garp_master_refresh_usec;
        /* Peers across a router (conf-instance-routed.c): the TTL / hop
         * limit sent to unicast_peers, and the lowest accepted from them. */
        uint8_t unicast_ttl;
        uint8_t unicast_min_ttl;
        char *sync_group;         /* the sync group it belongs to, or NULL (set from sync_groups) */
} InstanceConfig;

/* keepalived's vrrp_sync_group: instances that change state together. */
typedef struct SyncGroupConfig {
        char *name;
        unsigned line;
        size_t *instances;        /* indices into Config.instances, at least 2 */
        size_t n_instances;
        NotifyConfig notify;      /* the group's hooks; `any` gets GROUP <name> <STATE> 0 */
} SyncGroupConfig;

typedef struct GlobalConfig {
        char *router_id;
        char *listen;           /* "" disables the HTTP endpoint */
        char *control_socket;   /* absolute path; "" disables promvipctl release */
        IpAddr listen_addr;     /* valid when listen is not "" */
        uint16_t listen_port;
        char *script_user;
        int log_level;          /* LOG_*; -1: not set */
        int realtime_priority;  /* SCHED_RR priority 1..99 of the main thread; 0: off */
        bool lock_memory;       /* mlockall(MCL_CURRENT | MCL_FUTURE) */
        unsigned event_history; /* events kept per instance (/events); 0: none */
} GlobalConfig;

typedef struct Config {
        unsigned n_ref;         /* 1 when loaded; see conf_ref() */
        char *path;
        GlobalConfig global;
        ProbeConfig *probes;
        size_t n_probes;
        InstanceConfig *instances;
        size_t n_instances;
        SyncGroupConfig *sync_groups;
        size_t n_sync_groups;
} Config;

/* 0 with *ret set, or -EINVAL with the errors in *errs (-ENOMEM on OOM). */
int conf_load_file(const char *path, Config **ret, ConfErrors *errs);
/* As conf_load_file(), for text; `name` stands for the file name in errors. */
int conf_load_string(const char *text, const char *name, Config **ret, ConfErrors *errs);

/* A Config is shared by reference: an instance that hands over after a
 * reload removed it still reads its old settings. */
Config *conf_ref(Config *c);
/* Drops one reference; the last frees it. Returns NULL. */
Config *conf_unref(Config *c);
void conf_unrefp(Config **c);

void conf_errors_clear(ConfErrors *errs);

/* Appends "message" at file:line (line 0: none). 0, or -ENOMEM. */
int conf_errors_add(ConfErrors *errs, const char *file, unsigned line, const char *fmt, ...)
        _printf_(4, 5);

/* Sorts the errors from index `from` on by line within each file, keeping
 * equal lines in the order they were found: reports read best in file order. */
void conf_errors_sort(ConfErrors *errs, size_t from);

/* Every program shows an error as one line, "FILE:LINE: message", or
 * "FILE: message" when it has no line: print() gets that text for each. */
typedef void (*ConfErrorPrint)(const ConfError *e, const char *text, void *userdata);
void conf_errors_print(const ConfErrors *errs, ConfErrorPrint print, void *userdata);

/* How the probe runs is the same (its weight may differ). */
bool conf_probe_equal(const ProbeConfig *a, const ProbeConfig *b);

/* The same virtual router (interface, VRID, version, family, owner or not):
 * other settings can change without restarting it. */
bool conf_instance_same_router(const InstanceConfig *a, const InstanceConfig *b);

/* The instance named `name`, or NULL. */
const InstanceConfig *conf_instance_by_name(const Config *c, const char *name);

/* Same settings (tracks compared by probe name and weight). */
bool conf_instance_equal(const InstanceConfig *a, const InstanceConfig *b);

/* One line: "2 probes, 1 instance (prometheus: eth0 vrid 51 IPv4 v3)". */
char *conf_summary(const Config *c);

/* Whether anything runs as global.script_user: an exec probe or a hook. */
bool conf_runs_commands(const Config *c);

const char *probe_kind_to_string(ProbeKind k);
int probe_kind_from_string(const char *s);
