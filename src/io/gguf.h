/* gguf.h - library-internal: the metadata of GGUF model files (llama.cpp, stable-diffusion.cpp,
 * ComfyUI-GGUF) as text, for the inventory's search for dataset names (docs/inventory.md). */
#ifndef DV_GGUF_H
#define DV_GGUF_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the fixed header of versions 2 and 3 (magic, version, tensor and key counts);
 * version 1 has 32-bit counts and 16. */
#define DV__GGUF_HEAD 24
/* Arrays inside arrays deeper than this stop the reading (the format sets no limit; the
 * files written by llama.cpp's gguf-py nest none). */
#define DV__GGUF_MAX_DEPTH 16
/* Keys longer than this are not GGUF (its spec: at most 65535 bytes). */
#define DV__GGUF_MAX_KEY 65535u

typedef struct dv__gguf_info {
    uint32_t version;    /* 1, 2 or 3; with DV_EFORMAT, the version field as little-endian */
    int big_endian;      /* the version field (and every number) is big-endian */
    uint64_t tensors;    /* as the header says */
    uint64_t keys;       /* key-value pairs, as the header says */
    uint64_t keys_read;  /* pairs read whole from the bytes given */
    size_t end;          /* offset just past the last pair read whole */
    size_t text_len;     /* bytes written to text, its NUL not counted */
    const char *stop;    /* NULL when every pair was read; else why reading stopped (fixed
                            text: the bytes given end inside the metadata, a type that is not
                            GGUF's, arrays nested too deep, a key too long, the text full) */
} dv__gguf_info;

/* Read the header and the key-value pairs from the first len bytes of a GGUF file, without
 * allocating: every length and count is checked against the bytes left, so a count of 2^63
 * costs nothing. Into text (capacity cap, always NUL-terminated when cap > 0; NULL: only
 * the header and counts) goes one line "key: value\n" for each string value and each string
 * of an array (arrays of arrays included), in file order: whole values only (one cut by the
 * end of buf is left out), NUL bytes written as spaces, a line that does not fit ends the
 * reading. Values of keys starting "tokenizer." are not written: vocabularies, merges and
 * chat templates are words of every kind, not statements about the model.
 * DV_OK: a GGUF header of version 1 (32-bit lengths and counts), 2 or 3, in either byte
 * order; out says how far the pairs were read. DV_EFORMAT: not GGUF (magic) or another
 * version; DV_ECORRUPT: buf ends inside the fixed header. */
int dv__gguf_read(const void *buf, size_t len, char *text, size_t cap, dv__gguf_info *out);

#endif /* DV_GGUF_H */
