/* Replays corpus files through a fuzz target without libFuzzer, so every
 * build runs the corpus as a test. Arguments: files or directories.
 * Output is TAP, one line per input. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, unsigned n) {
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        long len;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
            !(buf = malloc((size_t) len + 1)) || fread(buf, 1, (size_t) len, f) != (size_t) len) {
                printf("not ok %u - %s: cannot read\n", n, path);
                if (f)
                        fclose(f);
                free(buf);
                return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) len);
        free(buf);
        printf("ok %u - %s\n", n, path);
        return 0;
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int main(int argc, char **argv) {
        char *files[4096];
        unsigned n = 0, failed = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *d;
                struct dirent *de;

                if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
                        if (n < 4096)
                                files[n++] = strdup(argv[i]);
                        continue;
                }
                d = opendir(argv[i]);
                while (d && (de = readdir(d)) && n < 4096) {
                        char *p;
                        if (de->d_name[0] == '.' || asprintf(&p, "%s/%s", argv[i], de->d_name) < 0)
                                continue;
                        files[n++] = p;
                }
                if (d)
                        closedir(d);
        }
        qsort(files, n, sizeof(files[0]), cmp);
        printf("1..%u\n", n);
        for (unsigned i = 0; i < n; i++) {
                failed += files[i] ? (unsigned) replay(files[i], i + 1) : 1;
                free(files[i]);
        }
        return failed ? 1 : 0;
}
