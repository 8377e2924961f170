#ifndef BACKUPD_CZLIB_SHIM_H
#define BACKUPD_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2 / inflateInit2 are macros Swift cannot import. windowBits 15 + 16 writes a gzip
// wrapper; 15 + 32 reads either a gzip or a zlib wrapper.
static inline int bd_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
static inline int bd_inflate_init_gzip(z_stream *s) {
    return inflateInit2(s, 15 + 32);
}
#endif
