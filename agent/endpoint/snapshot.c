/* Freeing a Snapshot: it owns its arrays and, per instance, the VIP texts
 * and the tracked probes' names and weights (see snapshot.h). */
#include "endpoint/snapshot.h"

#include <stdlib.h>
#include <string.h>

static void snapshot_instance_clear(SnapshotInstance *in) {
        free(in->vips);
        for (size_t i = 0; i < in->n_tracks; i++)
                free(in->tracks ? in->tracks[i] : NULL);
        free(in->tracks);
        free(in->track_weights);
        free(in->track_interfaces);
        free(in->events);
        in->events = NULL;
        in->n_events = 0;
        in->track_interfaces = NULL;
        in->n_track_interfaces = 0;
        in->vips = NULL;
        in->n_vips = 0;
        in->tracks = NULL;
        in->track_weights = NULL;
        in->n_tracks = 0;
}

void snapshot_clear(Snapshot *s) {
        if (!s)
                return;
        for (size_t i = 0; s->instances && i < s->n_instances; i++)
                snapshot_instance_clear(&s->instances[i]);
        free(s->instances);
        free(s->probes);
        free(s->sockets);
        for (size_t i = 0; s->sync_groups && i < s->n_sync_groups; i++)
                free(s->sync_groups[i].instances);
        free(s->sync_groups);
        memset(s, 0, sizeof(*s));
}
