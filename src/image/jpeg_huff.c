/* jpeg_huff.c - Huffman entropy decoding of JPEG (baseline and progressive), in place of
 * libjpeg-turbo's.
 *
 * libjpeg-turbo 2.1 decodes progressive scans about three times slower per byte than
 * baseline ones: its bit reader checks every byte for 0xFF and refills a few bits at a
 * time, and the refinement scans read one bit per call and test all 63 coefficients of
 * every block. Here each entropy-coded segment is first copied out with its stuffed
 * bytes removed, so the bit reader is a 64-bit big-endian load and a shift; refinement
 * scans keep a bitmap of each block's nonzero coefficients; and baseline AC codes
 * short enough are decoded with their value bits in one table lookup. libjpeg still does everything else (markers,
 * the coefficient buffer, IDCT, upsampling, colour): this object is plugged in through
 * the method table that libjpeg's own modules use (struct jpeg_entropy_decoder), and a
 * progressive scan of one component is consumed whole through coef->consume_data, in
 * place of libjpeg's loop that returns after each iMCU row.
 *
 * Exactness: the coefficients of a well-formed file are fixed by its bits, so they come
 * out identical to libjpeg's. For anything else (an invalid code, a scan whose data runs
 * past its marker, a bad progression, a restart marker out of place) this decoder gives
 * up through the caller's bail function, and the caller decodes the whole file again
 * with libjpeg's decoder, so the pixels are libjpeg's in every case. The unit tests
 * compare the two decoders pixel for pixel (DV_SIMD=scalar selects libjpeg's).
 * Baseline files get the same treatment when they have a single scan. */
#include "jpeg_internal.h"

#include <limits.h>
#include <string.h>

#include <jpegint.h>

#define LUT_BITS 10
/* Bits of the one-lookup tables (fast[]): a code with its value bits, or an end of block */
#define FAST_BITS 11
#define FAST_EOB 0x1000
/* A segment is padded with zeros: enough for one MCU read past its end (at most 63
 * codes of 16 bits plus 15 extra bits each, or 10 DC blocks), which is then refused. */
#define SEG_PAD 512

typedef struct jp_huff {
    uint16_t lut[1 << LUT_BITS]; /* (code length << 8) | symbol; 0: longer than LUT_BITS */
    /* Codes whose value bits also fit in FAST_BITS, decoded at once:
     * (value << 16) | (zero run << 8) | bits used; for an AC end of block (a zero size
     * with a run other than 15, as libjpeg takes it) FAST_EOB | (run << 8) | bits used (the
     * run, in a progressive scan, counts the extra bits of an end-of-band run, not in bits
     * used); 0: none of these */
    int32_t fast[1 << FAST_BITS];
    /* AC symbols passed over without their values: bits 0-7 bits used, 8-15 the positions
     * they move (zero runs + 1 each, an end of block not counted), bit 16 an end of block
     * among them; 0: the first symbol is not in fast[] */
    uint32_t skip[1 << FAST_BITS];
    int skip_built;
    int32_t maxcode[18];         /* largest code of each length, -1 if none */
    int32_t valoff[17];          /* symbol index = code + valoff[length] */
    uint8_t vals[256];
    /* What these tables were built from (a DHT's counts and symbols), and as which class
     * (1 DC, 2 AC; 0 none): most files carry the same few tables, built once */
    uint8_t src_bits[17];
    uint8_t built;
    uint8_t src_vals[256];
} jp_huff;

typedef struct jp_dec {
    struct jpeg_entropy_decoder pub;
    dv_decoder *d;
    dv__jprog_bail_fn bail;
    const uint8_t *seg; /* this segment's entropy bytes, unstuffed, SEG_PAD zeros after */
    uint64_t seg_bits;  /* its length in bits */
    struct br {
        const uint8_t *p; /* next byte to load */
        uint64_t buf;     /* cnt bits, from the top; zeros below */
        unsigned cnt;
    } br;
    unsigned eobrun;
    unsigned restarts_to_go;
    int last_dc[MAX_COMPS_IN_SCAN];
    const jp_huff *dc_tbl[MAX_COMPS_IN_SCAN]; /* per component of the scan */
    const jp_huff *ac_tbl;
    /* AC scans hold one component and visit its blocks in raster order, the same in
     * every scan: block n of a scan is block n of the component. For each block a
     * bitmap of its nonzero coefficients in zigzag order, so a refinement scan finds
     * the coefficients that take a correction bit without testing all 63. */
    uint64_t *nz[MAX_COMPONENTS];
    uint64_t *cur_nz; /* this scan's component */
    size_t nblocks;   /* of this scan's component */
    size_t blkno;     /* next block of this scan */
    /* baseline: per block of the MCU */
    const jp_huff *blk_dc[D_MAX_BLOCKS_IN_MCU], *blk_ac[D_MAX_BLOCKS_IN_MCU];
    uint8_t dc_needed[D_MAX_BLOCKS_IN_MCU], ac_needed[D_MAX_BLOCKS_IN_MCU];
    int skip_refine;       /* hash --fast: refinement scans are not decoded */
    int (*orig_consume)(j_decompress_ptr cinfo); /* libjpeg's coef->consume_data */
    /* last: not cleared between images (rebuilt per scan before use) */
    jp_huff tbl[2][NUM_HUFF_TBLS]; /* [0]: DC, [1]: AC */
} jp_dec;

/* The decoder object is kept in the dv_decoder between images: its 50 KB of tables
 * are not allocated and cleared for every file. */
static jp_dec *get_dec(dv_decoder *d)
{
    jp_dec *e = d->jhuff;
    if (e == NULL) {
        e = dv__malloc(d->alloc, sizeof(*e));
        if (e == NULL) return NULL;
        d->jhuff = e;
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < NUM_HUFF_TBLS; t++) e->tbl[c][t].built = 0;
    }
    memset(e, 0, offsetof(jp_dec, tbl));
    return e;
}

/* Zigzag index -> natural index, with 16 extra entries as libjpeg's table has, so a
 * position past the band (which we refuse anyway) can never index out of the block. */
static const uint8_t zz_natural[DCTSIZE2 + 16] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33,
    40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63};

typedef struct br br;

/* Tops the bit buffer up to 56..63 bits with one unaligned load (the segment is
 * padded, so the load never leaves the buffer). */
static inline void br_fill(br *r)
{
    uint64_t w;
    memcpy(&w, r->p, 8);
    r->buf |= __builtin_bswap64(w) >> r->cnt;
    r->p += (63 - r->cnt) >> 3;
    r->cnt |= 56;
}

/* Bits taken from the segment so far. */
static inline uint64_t br_used(const br *r, const uint8_t *seg)
{
    return (uint64_t)(r->p - seg) * 8 - r->cnt;
}

/* n in 1..16, with at least n bits in the buffer */
static inline unsigned br_get(br *r, int n)
{
    unsigned v = (unsigned)(r->buf >> (64 - n));
    r->buf <<= n;
    r->cnt -= (unsigned)n;
    return v;
}

static inline int extend(unsigned x, int s)
{
    return x < (1u << (s - 1)) ? (int)(x + ((~0u << s) + 1u)) : (int)x;
}

/* One Huffman symbol, or -1 for a code that is not in the table; needs 16 bits. */
static inline int huff_decode(const jp_huff *h, br *r)
{
    unsigned v = h->lut[r->buf >> (64 - LUT_BITS)];
    if (__builtin_expect(v != 0, 1)) {
        r->buf <<= v >> 8;
        r->cnt -= v >> 8;
        return (int)(v & 0xFF);
    }
    for (int l = LUT_BITS + 1; l <= 16; l++) {
        int32_t code = (int32_t)(r->buf >> (64 - l));
        if (code <= h->maxcode[l]) {
            r->buf <<= l;
            r->cnt -= (unsigned)l;
            return h->vals[(code + h->valoff[l]) & 0xFF];
        }
    }
    return -1;
}

/* The tables of jpeg_make_d_derived_tbl, with its checks; -1 where it would fail. */
static int build_huff(jp_huff *h, const JHUFF_TBL *t, int is_dc)
{
    uint8_t size[257];
    unsigned code[257];
    int n = 0, p, l;
    unsigned c;

    if (t == NULL) return -1;
    for (l = 1; l <= 16; l++) {
        int cnt = t->bits[l];
        if (cnt < 0 || n + cnt > 256) return -1;
        while (cnt--) size[n++] = (uint8_t)l;
    }
    size[n] = 0;
    /* canonical codes; each length's last code + 1 must still fit its width */
    c = 0;
    p = 0;
    l = size[0];
    while (size[p]) {
        while (size[p] == l) code[p++] = c++;
        if (c >= (1u << l)) return -1;
        c <<= 1;
        l++;
    }
    p = 0;
    for (l = 1; l <= 16; l++) {
        if (t->bits[l]) {
            h->valoff[l] = (int32_t)p - (int32_t)code[p];
            p += t->bits[l];
            h->maxcode[l] = (int32_t)code[p - 1];
        } else {
            h->maxcode[l] = -1;
        }
    }
    h->maxcode[17] = INT32_MAX;
    memset(h->lut, 0, sizeof(h->lut));
    p = 0;
    for (l = 1; l <= LUT_BITS; l++) {
        for (int i = 0; i < t->bits[l]; i++, p++) {
            unsigned first = code[p] << (LUT_BITS - l);
            unsigned cnt = 1u << (LUT_BITS - l);
            for (unsigned j = 0; j < cnt; j++)
                h->lut[first + j] = (uint16_t)((l << 8) | t->huffval[p]);
        }
    }
    for (int i = 0; i < n; i++) {
        h->vals[i] = t->huffval[i];
        if (is_dc && t->huffval[i] > 15) return -1;
    }
    memset(h->fast, 0, sizeof(h->fast));
    h->skip_built = 0;
    /* each short code with its value bits: every value, every trailing pattern */
    p = 0;
    for (l = 1; l <= FAST_BITS; l++) {
        for (int i = 0; i < t->bits[l]; i++, p++) {
            unsigned sym = t->huffval[p], r = sym >> 4, sz = sym & 15;
            unsigned tail, used = (unsigned)l + sz;
            if (!is_dc && sz == 0) {
                /* end of block; a run of 16 zeros is left to the slow path */
                if (r != 15) {
                    unsigned first = code[p] << (FAST_BITS - l);
                    for (unsigned j = 0; j < (1u << (FAST_BITS - l)); j++)
                        h->fast[first + j] = (int32_t)(FAST_EOB | r << 8 | l);
                }
                continue;
            }
            if (used > FAST_BITS) continue;
            tail = FAST_BITS - used;
            for (unsigned x = 0; x < (1u << sz); x++) {
                unsigned first = ((code[p] << sz) | x) << tail;
                int v = sz ? extend(x, (int)sz) : 0;
                int32_t f = (int32_t)((uint32_t)v << 16 | r << 8 | used);
                for (unsigned j = 0; j < (1u << tail); j++) h->fast[first + j] = f;
            }
        }
    }
    return 0;
}

/* skip[] from fast[]: for each window, the symbols it holds whole, up to an end of block */
static void build_skip(jp_huff *h)
{
    for (unsigned i = 0; i < (1u << FAST_BITS); i++) {
        unsigned used = 0, adv = 0, eob = 0;
        for (;;) {
            unsigned idx = (i << used) & ((1u << FAST_BITS) - 1);
            int32_t f = h->fast[idx];
            unsigned n;
            if (f == 0) break;
            n = (unsigned)f & 0xFF;
            if (used + n > FAST_BITS) break;
            used += n;
            if (f & FAST_EOB) {
                eob = 1;
                break;
            }
            adv += (((unsigned)f >> 8) & 15) + 1;
        }
        h->skip[i] = used ? (eob << 16 | adv << 8 | used) : 0;
    }
    h->skip_built = 1;
}

/* The scan's table t of class is_dc, built; libjpeg's error to report when it is
 * missing or bad, so the file goes back to libjpeg. */
static const jp_huff *table(j_decompress_ptr cinfo, jp_dec *e, int is_dc, int t)
{
    const JHUFF_TBL *src;
    jp_huff *h;
    int n = 0;
    if (t < 0 || t >= NUM_HUFF_TBLS) e->bail(cinfo);
    src = is_dc ? cinfo->dc_huff_tbl_ptrs[t] : cinfo->ac_huff_tbl_ptrs[t];
    h = &e->tbl[!is_dc][t];
    if (src != NULL) {
        for (int l = 1; l <= 16; l++) n += src->bits[l];
        if (n <= 256 && h->built == (is_dc ? 1 : 2) && memcmp(h->src_bits, src->bits, 17) == 0 &&
            memcmp(h->src_vals, src->huffval, (size_t)n) == 0)
            return h; /* built from this very table already */
    }
    h->built = 0;
    if (build_huff(h, src, is_dc) != 0) e->bail(cinfo);
    memcpy(h->src_bits, src->bits, 17);
    memcpy(h->src_vals, src->huffval, (size_t)n); /* n <= 256: build_huff checked it */
    h->built = is_dc ? 1 : 2;
    return h;
}

/* Copies the entropy-coded segment at the source position into the scratch buffer
 * without its stuffed zero bytes, and leaves the source at the marker that ends it
 * (the first 0xFF of any run of fill bytes before it), where libjpeg's marker
 * reader takes over. */
static void load_segment(j_decompress_ptr cinfo, jp_dec *e)
{
    struct jpeg_source_mgr *src = cinfo->src;
    const uint8_t *p = src->next_input_byte, *end = p + src->bytes_in_buffer;
    size_t need = src->bytes_in_buffer + SEG_PAD;
    uint8_t *out, *o;
    dv_decoder *d = e->d;

    if (need > d->ebufcap) {
        dv__free(d->alloc, d->ebuf);
        d->ebuf = dv__malloc(d->alloc, need);
        d->ebufcap = d->ebuf ? need : 0;
        d->ebufused = 0;
        if (d->ebuf == NULL) e->bail(cinfo);
    }
    out = o = d->ebuf;
    for (;;) {
        const uint8_t *ff = memchr(p, 0xFF, (size_t)(end - p));
        const uint8_t *q;
        if (ff == NULL) e->bail(cinfo); /* see below */
        memcpy(o, p, (size_t)(ff - p));
        o += ff - p;
        q = ff;
        while (q < end && *q == 0xFF) q++;
        if (q < end && *q == 0) {
            /* 0xFF 0xFF ... 0x00 is not valid JPEG, and libjpeg-turbo's two bit
             * readers disagree on it (its fast path takes 0xFF 0xFF for a marker):
             * whichever it does, it is libjpeg's to do */
            if (q - ff > 1) e->bail(cinfo);
            *o++ = 0xFF;
            p = q + 1;
            continue;
        }
        /* Data that ends with no marker is a cut file: libjpeg's bit reader runs
         * into the end while reading ahead, warns, and the file is refused as
         * truncated, even if the bits it lacked were never needed. Its call. */
        if (q == end) e->bail(cinfo);
        p = ff; /* the marker */
        break;
    }
    memset(o, 0, SEG_PAD);
    if ((size_t)(o - out) + SEG_PAD > d->ebufused) d->ebufused = (size_t)(o - out) + SEG_PAD;
    src->bytes_in_buffer -= (size_t)(p - src->next_input_byte);
    src->next_input_byte = p;
    e->seg = out;
    e->seg_bits = (uint64_t)(o - out) * 8;
    e->br.p = out;
    e->br.buf = 0;
    e->br.cnt = 0;
}

static boolean dc_first(j_decompress_ptr cinfo, JBLOCKROW *mcu);
static boolean ac_first(j_decompress_ptr cinfo, JBLOCKROW *mcu);
static boolean dc_refine(j_decompress_ptr cinfo, JBLOCKROW *mcu);
static boolean ac_refine(j_decompress_ptr cinfo, JBLOCKROW *mcu);
static void use_consumer(j_decompress_ptr cinfo, jp_dec *e);

/* Tables and method for the current scan; libjpeg has already read its SOS header. */
static void setup_scan(j_decompress_ptr cinfo, jp_dec *e)
{
    int is_dc = cinfo->Ss == 0;
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        const jpeg_component_info *comp = cinfo->cur_comp_info[ci];
        if (is_dc) {
            if (cinfo->Ah == 0) e->dc_tbl[ci] = table(cinfo, e, 1, comp->dc_tbl_no);
        } else {
            e->ac_tbl = table(cinfo, e, 0, comp->ac_tbl_no);
            if (comp->component_index < 0 || comp->component_index >= cinfo->num_components)
                e->bail(cinfo);
            e->cur_nz = e->nz[comp->component_index];
            e->nblocks = (size_t)comp->width_in_blocks * comp->height_in_blocks;
        }
        e->last_dc[ci] = 0;
    }
    if (cinfo->Ah == 0) e->pub.decode_mcu = is_dc ? dc_first : ac_first;
    else e->pub.decode_mcu = is_dc ? dc_refine : ac_refine;
    e->pub.insufficient_data = FALSE;
    e->eobrun = 0;
    e->blkno = 0;
    e->restarts_to_go = cinfo->restart_interval;
    load_segment(cinfo, e);
    use_consumer(cinfo, e);
}

static boolean skip_mcu(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    (void)cinfo;
    (void)mcu;
    return TRUE;
}

/* A scan of one component, whole, in place of libjpeg's consume_data (which returns after
 * each iMCU row and sets up every block as an MCU of its own): the same blocks in the same
 * order, each iMCU row's block rows left to right. Nothing to suspend: the source is in
 * memory, and whatever goes wrong bails out. A skipped scan's blocks are not visited. */
static int consume_scan(j_decompress_ptr cinfo)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    const jpeg_component_info *comp = cinfo->cur_comp_info[0];
    const JDIMENSION cols = cinfo->MCUs_per_row, vs = (JDIMENSION)comp->v_samp_factor;
    boolean (*decode)(j_decompress_ptr, JBLOCKROW *) = e->pub.decode_mcu;
    /* a first AC scan's run of blocks with nothing in the band (an end-of-band run) is
     * passed over here at once: ac_first would only count each off (with restart
     * markers it also checks for them, so there it does) */
    const int runs = decode == ac_first && cinfo->restart_interval == 0;
    if (decode != skip_mcu) {
        for (JDIMENSION r = cinfo->input_iMCU_row; r < cinfo->total_iMCU_rows; r++) {
            JBLOCKARRAY buf = (*cinfo->mem->access_virt_barray)(
                (j_common_ptr)cinfo, cinfo->coef->coef_arrays[comp->component_index], r * vs,
                vs, TRUE);
            JDIMENSION rows =
                r + 1 < cinfo->total_iMCU_rows ? vs : (JDIMENSION)comp->last_row_height;
            cinfo->master->last_good_iMCU_row = r;
            for (JDIMENSION y = 0; y < rows; y++) {
                JBLOCKROW row = buf[y];
                for (JDIMENSION x = 0; x < cols; x++) {
                    JBLOCKROW mcu[1];
                    if (runs && e->eobrun > 0) {
                        JDIMENSION m = cols - x;
                        if (m > e->eobrun) m = e->eobrun;
                        if (e->blkno + m > e->nblocks) e->bail(cinfo);
                        e->blkno += m;
                        e->eobrun -= m;
                        x += m - 1;
                        continue;
                    }
                    mcu[0] = row + x;
                    (void)decode(cinfo, mcu);
                }
            }
        }
    }
    cinfo->input_iMCU_row = cinfo->total_iMCU_rows;
    (*cinfo->inputctl->finish_input_pass)(cinfo);
    return JPEG_SCAN_COMPLETED;
}

/* Single-component scans are consumed whole by consume_scan, and so are skipped ones;
 * libjpeg's consume_data takes the other interleaved ones (jdinput.c copies
 * coef->consume_data after entropy->start_pass). */
static void use_consumer(j_decompress_ptr cinfo, jp_dec *e)
{
    cinfo->coef->consume_data =
        cinfo->comps_in_scan == 1 || e->pub.decode_mcu == skip_mcu ? consume_scan : e->orig_consume;
}

/* A scan of a component the output leaves out (chroma for greyscale output: its
 * coefficients are never read, so the pixels are libjpeg's), an AC scan of a component
 * decoded at 1/8 scale (its 1x1 IDCT reads the DC coefficient alone: libjpeg's pixels
 * too), or with
 * fast_skip_refine every refinement scan (the low bits the first scans left out, and the
 * AC coefficients that become nonzero only there; not exact), is passed over
 * undecoded: the source moves to the first marker after its
 * entropy data that is not a restart marker, and its blocks are left as they are
 * (the bookkeeping says complete, so there is no smoothing either). */
static void skip_scan(j_decompress_ptr cinfo, jp_dec *e)
{
    struct jpeg_source_mgr *src = cinfo->src;
    const uint8_t *p = src->next_input_byte, *end = p + src->bytes_in_buffer;
    const jpeg_component_info *comp = cinfo->cur_comp_info[0];
    /* libjpeg checks the scan's table before decoding it: a missing or bad one is
     * its error to report, decoded or not */
    if (cinfo->Ss != 0) (void)table(cinfo, e, 0, comp->ac_tbl_no);
    else if (cinfo->Ah == 0) (void)table(cinfo, e, 1, comp->dc_tbl_no);
    for (;;) {
        const uint8_t *ff = memchr(p, 0xFF, (size_t)(end - p)), *q;
        if (ff == NULL) e->bail(cinfo);
        q = ff;
        while (q < end && *q == 0xFF) q++;
        if (q == end) e->bail(cinfo);
        if (*q == 0 || (*q >= 0xD0 && *q <= 0xD7)) {
            p = q + 1;
            continue;
        }
        p = ff;
        break;
    }
    src->bytes_in_buffer -= (size_t)(p - src->next_input_byte);
    src->next_input_byte = p;
    e->pub.decode_mcu = skip_mcu;
    use_consumer(cinfo, e);
}

/* start_pass_phuff_decoder's checks and progression bookkeeping; where libjpeg only
 * warns (a scan out of order), we give the file back to libjpeg. */
static void start_pass(j_decompress_ptr cinfo)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    int is_dc = cinfo->Ss == 0, bad = 0;

    if (is_dc) {
        if (cinfo->Se != 0) bad = 1;
    } else {
        if (cinfo->Ss > cinfo->Se || cinfo->Se >= DCTSIZE2) bad = 1;
        if (cinfo->comps_in_scan != 1) bad = 1;
    }
    if (cinfo->Ah != 0 && cinfo->Al != cinfo->Ah - 1) bad = 1;
    if (cinfo->Al > 13) bad = 1;
    if (bad) e->bail(cinfo);
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        int *bits = cinfo->coef_bits[cinfo->cur_comp_info[ci]->component_index];
        if (!is_dc && bits[0] < 0) e->bail(cinfo);
        for (int k = cinfo->Ss; k <= cinfo->Se; k++) {
            int expected = bits[k] < 0 ? 0 : bits[k];
            if (cinfo->Ah != expected) e->bail(cinfo);
        }
    }
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        int *bits = cinfo->coef_bits[cinfo->cur_comp_info[ci]->component_index];
        for (int k = cinfo->Ss; k <= cinfo->Se; k++) bits[k] = cinfo->Al;
    }
    int needed = 0;
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++)
        needed |= cinfo->cur_comp_info[ci]->component_needed;
    if (!needed ||
        (cinfo->comps_in_scan == 1 &&
         ((!is_dc && cinfo->cur_comp_info[0]->DCT_scaled_size == 1) ||
          (e->skip_refine && !is_dc && cinfo->Ah != 0))) ||
        (e->skip_refine && is_dc && cinfo->Ah != 0)) {
        skip_scan(cinfo, e);
        return;
    }
    setup_scan(cinfo, e);
}

/* The source sits at the marker that ended the segment: libjpeg reads the RSTn. */
static void restart(j_decompress_ptr cinfo, jp_dec *e)
{
    if (!(*cinfo->marker->read_restart_marker)(cinfo) || cinfo->unread_marker != 0)
        e->bail(cinfo);
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) e->last_dc[ci] = 0;
    e->eobrun = 0;
    e->restarts_to_go = cinfo->restart_interval;
    load_segment(cinfo, e);
}

#define MCU_BEGIN(cinfo, e)                                                                \
    do {                                                                                   \
        if ((cinfo)->restart_interval) {                                                   \
            if ((e)->restarts_to_go == 0) restart((cinfo), (e));                           \
            (e)->restarts_to_go--;                                                         \
        }                                                                                  \
    } while (0)

/* Reading past the segment means the data was cut by a marker: libjpeg then feeds
 * zeros, warns and skips the rest of the segment. Not ours to imitate. */
#define MCU_END(cinfo, e, r)                                                               \
    do {                                                                                   \
        if (br_used(&(r), (e)->seg) > (e)->seg_bits) (e)->bail(cinfo);                     \
        (e)->br = (r);                                                                     \
    } while (0)

/* The fast[] entry at the buffer's top; its bits are taken when it is one (not 0). */
static inline int32_t fast_take(const jp_huff *h, br *r)
{
    int32_t f = h->fast[r->buf >> (64 - FAST_BITS)];
    unsigned n = (unsigned)f & 0xFF; /* 0 for no entry */
    r->buf <<= n;
    r->cnt -= n;
    return f;
}

/* A DC difference, from a buffer holding >= 31 bits: its code and value bits in one
 * lookup of fast[] when they fit, else the code and then the value. */
static inline int dc_diff(j_decompress_ptr cinfo, jp_dec *e, const jp_huff *h, br *r)
{
    int32_t f = fast_take(h, r);
    int s;
    if (f != 0) return f >> 16;
    s = huff_decode(h, r);
    if (s < 0) e->bail(cinfo);
    if (s) s = extend(br_get(r, s), s);
    return s;
}

static boolean dc_first(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    br r;
    int al = cinfo->Al;

    MCU_BEGIN(cinfo, e);
    r = e->br;
    for (int blk = 0; blk < cinfo->blocks_in_MCU; blk++) {
        int ci = cinfo->MCU_membership[blk];
        int s, last = e->last_dc[ci];
        br_fill(&r);
        s = dc_diff(cinfo, e, e->dc_tbl[ci], &r);
        if ((last >= 0 && s > INT_MAX - last) || (last < 0 && s < INT_MIN - last))
            e->bail(cinfo);
        last += s;
        e->last_dc[ci] = last;
        mcu[blk][0][0] = (JCOEF)(int)((unsigned)last << al);
    }
    MCU_END(cinfo, e, r);
    return TRUE;
}

static boolean dc_refine(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    br r;
    int p1 = 1 << cinfo->Al;

    MCU_BEGIN(cinfo, e);
    r = e->br;
    br_fill(&r); /* at most 10 blocks */
    for (int blk = 0; blk < cinfo->blocks_in_MCU; blk++)
        if (br_get(&r, 1)) mcu[blk][0][0] = (JCOEF)(mcu[blk][0][0] | p1);
    MCU_END(cinfo, e, r);
    return TRUE;
}

/* The next blocks of a scan usually follow this one in memory (libjpeg keeps each
 * block row of the coefficient buffer contiguous); a scan over a buffer larger than
 * the caches stalls on every block without this. Prefetching never faults. */
#define PREFETCH_BLOCKS(blk)                                                               \
    do {                                                                                   \
        __builtin_prefetch((const char *)(blk) + 4 * sizeof(JBLOCK), 1);                   \
        __builtin_prefetch((const char *)(blk) + 4 * sizeof(JBLOCK) + 64, 1);              \
    } while (0)

/* The block's nonzero bitmap; the scan may not visit more blocks than it has. */
static inline uint64_t *next_mask(j_decompress_ptr cinfo, jp_dec *e)
{
    if (e->blkno >= e->nblocks) e->bail(cinfo);
    return &e->cur_nz[e->blkno++];
}

static boolean ac_first(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    const jp_huff *h = e->ac_tbl;
    br r;
    uint64_t *maskp, mask;
    int se = cinfo->Se, al = cinfo->Al;
    JCOEF *blk = mcu[0][0];

    MCU_BEGIN(cinfo, e);
    maskp = next_mask(cinfo, e);
    PREFETCH_BLOCKS(blk);
    if (e->eobrun > 0) {
        e->eobrun--;
        return TRUE;
    }
    r = e->br;
    mask = *maskp;
    for (int k = cinfo->Ss; k <= se; k++) {
        int s, run;
        int32_t f;
        if (r.cnt < 32) br_fill(&r); /* a code and its value bits take at most 31 */
        f = fast_take(h, &r);
        if (f & FAST_EOB) {
            /* an end of band, and of the next 2^run - 1 + (run extra bits) blocks: at most
             * 11 + 14 bits, and there are >= 32 */
            unsigned er = ((unsigned)f >> 8) & 15, eob = 1u << er;
            if (er) eob += br_get(&r, (int)er);
            e->eobrun = eob - 1;
            break;
        }
        if (f != 0) {
            /* a code with its value bits */
            JCOEF v;
            k += (f >> 8) & 15;
            if (k > se) e->bail(cinfo);
            v = (JCOEF)(int)((unsigned)(f >> 16) << al);
            blk[zz_natural[k]] = v;
            mask |= (uint64_t)(v != 0) << k;
            continue;
        }
        s = huff_decode(h, &r);
        if (s < 0) e->bail(cinfo);
        run = s >> 4;
        s &= 15;
        if (s) {
            JCOEF v;
            k += run;
            if (k > se) e->bail(cinfo);
            s = extend(br_get(&r, s), s);
            v = (JCOEF)(int)((unsigned)s << al);
            blk[zz_natural[k]] = v;
            mask |= (uint64_t)(v != 0) << k;
        } else if (run == 15) {
            k += 15;
        } else {
            unsigned eob = 1u << run;
            if (run) eob += br_get(&r, run);
            e->eobrun = eob - 1;
            break;
        }
    }
    *maskp = mask;
    MCU_END(cinfo, e, r);
    return TRUE;
}

/* Coefficients of zigzag band [lo, hi], as a bitmap. */
static inline uint64_t band(int lo, int hi)
{
    return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* One correction bit for each nonzero coefficient in m (lowest zigzag index first):
 * a 1 adds the refined bit to the magnitude, unless it is already there. */
static inline void correct(JCOEF *blk, uint64_t m, br *r, int p1, int m1)
{
    while (m) {
        int k = __builtin_ctzll(m), cv, bit;
        JCOEF *c = blk + zz_natural[k];
        if (r->cnt == 0) br_fill(r);
        m &= m - 1;
        cv = *c;
        bit = (int)(r->buf >> 63) & ((cv & p1) == 0);
        r->buf <<= 1;
        r->cnt--;
        *c = (JCOEF)(cv + ((cv >= 0 ? p1 : m1) & -bit)); /* branch-free: bits are noise */
    }
}

static boolean ac_refine(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    const jp_huff *h = e->ac_tbl;
    br r;
    uint64_t *maskp, mask;
    int se = cinfo->Se;
    int p1 = 1 << cinfo->Al;
    int m1 = (int)(~0u << cinfo->Al);
    JCOEF *blk = mcu[0][0];
    int k = cinfo->Ss;
    unsigned eobrun;

    MCU_BEGIN(cinfo, e);
    maskp = next_mask(cinfo, e);
    PREFETCH_BLOCKS(blk);
    mask = *maskp;
    eobrun = e->eobrun;
    r = e->br;
    if (eobrun == 0) {
        while (k <= se) {
            int s, run;
            uint64_t zeros;
            if (r.cnt < 32) br_fill(&r);
            s = huff_decode(h, &r);
            if (s < 0) e->bail(cinfo);
            run = s >> 4;
            s &= 15;
            if (s) {
                if (s != 1) e->bail(cinfo);
                s = br_get(&r, 1) ? p1 : m1;
            } else if (run != 15) {
                eobrun = 1u << run;
                if (run) eobrun += br_get(&r, run);
                break;
            }
            /* pass run zero coefficients and the nonzero ones among them (which each
             * take a correction bit); stop on the next zero one */
            zeros = ~mask & band(k, se);
            for (int i = 0; i < run && zeros; i++) zeros &= zeros - 1;
            if (zeros == 0) {
                /* the band ends first: libjpeg refines the rest and, for a new
                 * coefficient, writes it past the band; we refuse that */
                if (s) e->bail(cinfo);
                correct(blk, mask & band(k, se), &r, p1, m1);
                k = se + 1;
                break;
            } else {
                int t = __builtin_ctzll(zeros);
                if (t > k) correct(blk, mask & band(k, t - 1), &r, p1, m1);
                if (s) {
                    blk[zz_natural[t]] = (JCOEF)s;
                    mask |= 1ull << t;
                }
                k = t + 1;
            }
        }
    }
    if (eobrun > 0) {
        if (k <= se) correct(blk, mask & band(k, se), &r, p1, m1);
        eobrun--;
    }
    e->eobrun = eobrun;
    *maskp = mask;
    MCU_END(cinfo, e, r);
    return TRUE;
}

int dv__jprog_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail)
{
    jp_dec *e;
    if (!cinfo->progressive_mode || cinfo->arith_code || cinfo->data_precision != 8 ||
        cinfo->num_components > MAX_COMPONENTS ||
        cinfo->coef_bits == NULL || cinfo->comps_in_scan < 1 ||
        cinfo->comps_in_scan > MAX_COMPS_IN_SCAN)
        return -1;
    e = get_dec(d);
    if (e == NULL) return -1;
    e->d = d;
    e->bail = bail;
    e->skip_refine = d->opts.fast && d->opts.fast_skip_refine;
    e->pub.start_pass = start_pass;
    for (int c = 0; c < cinfo->num_components && c < MAX_COMPONENTS; c++) {
        const jpeg_component_info *comp = &cinfo->comp_info[c];
        size_t n = (size_t)comp->width_in_blocks * comp->height_in_blocks;
        if (n == 0 || n > SIZE_MAX / sizeof(uint64_t)) return -1;
        e->nz[c] = (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                              n * sizeof(uint64_t));
        memset(e->nz[c], 0, n * sizeof(uint64_t));
    }
    cinfo->entropy = &e->pub;
    e->orig_consume = cinfo->coef->consume_data;
    /* libjpeg's own start_pass already did this scan's checks and bookkeeping */
    setup_scan(cinfo, e);
    /* and jdinput.c already took libjpeg's consume_data for this first scan */
    if (cinfo->inputctl->consume_input == e->orig_consume)
        cinfo->inputctl->consume_input = cinfo->coef->consume_data;
    return 0;
}

int dv__jprog_complete(j_decompress_ptr cinfo)
{
    if (cinfo->coef_bits == NULL) return 0;
    for (int c = 0; c < cinfo->num_components; c++)
        for (int k = 0; k < DCTSIZE2; k++)
            if (cinfo->coef_bits[c][k] != 0) return 0;
    return 1;
}

/* ---------------------------------------------------------------- baseline */

static boolean seq_mcu(j_decompress_ptr cinfo, JBLOCKROW *mcu)
{
    jp_dec *e = (jp_dec *)cinfo->entropy;
    br r;

    MCU_BEGIN(cinfo, e);
    r = e->br;
    for (int blk = 0; blk < cinfo->blocks_in_MCU; blk++) {
        JCOEF *c = mcu[blk][0];
        const jp_huff *ac = e->blk_ac[blk];
        int32_t f;
        int s;
        br_fill(&r);
        s = dc_diff(cinfo, e, e->blk_dc[blk], &r);
        if (e->dc_needed[blk]) {
            int ci = cinfo->MCU_membership[blk], last = e->last_dc[ci];
            if ((last >= 0 && s > INT_MAX - last) || (last < 0 && s < INT_MIN - last))
                e->bail(cinfo);
            last += s;
            e->last_dc[ci] = last;
            c[0] = (JCOEF)last;
        }
        /* AC coefficients are decoded either way; stored only when needed (not for a
         * component left out of the output, nor at 1/8 scale), as libjpeg does */
        if (!e->ac_needed[blk]) {
            /* passed over, several symbols a lookup where the window holds them and they
             * end inside the block; anything else one at a time */
            unsigned k = 1;
            for (;;) {
                uint32_t sk;
                unsigned adv;
                if (r.cnt < 32) br_fill(&r);
                sk = ac->skip[r.buf >> (64 - FAST_BITS)];
                adv = (sk >> 8) & 0xFF;
                if (__builtin_expect(sk != 0 && k + adv + (sk >> 16) <= DCTSIZE2, 1)) {
                    unsigned n = sk & 0xFF;
                    r.buf <<= n;
                    r.cnt -= n;
                    k += adv;
                    if ((sk >> 16) || k >= DCTSIZE2) break;
                    continue;
                }
                f = fast_take(ac, &r);
                if (f != 0) {
                    if (f & FAST_EOB) break;
                    k += ((unsigned)f >> 8 & 15) + 1;
                    if (k > DCTSIZE2) e->bail(cinfo);
                    if (k == DCTSIZE2) break;
                    continue;
                }
                s = huff_decode(ac, &r);
                if (s < 0) e->bail(cinfo);
                if (s & 15) {
                    k += (unsigned)(s >> 4) + 1;
                    if (k > DCTSIZE2) e->bail(cinfo);
                    (void)br_get(&r, s & 15);
                    if (k == DCTSIZE2) break;
                } else if ((s >> 4) == 15) {
                    k += 16;
                    if (k >= DCTSIZE2) break;
                } else {
                    break;
                }
            }
            if (br_used(&r, e->seg) > e->seg_bits) e->bail(cinfo);
            continue;
        }
        /* The buffer is topped up every other code, a branch taken in a fixed pattern
         * (a test of the bits left mispredicts on random code lengths): a fill leaves
         * >= 56 bits, a code from fast[] takes <= 11, the one after it finds >= 45; the
         * slow path fills before its code (<= 31 bits with the value) and after a value.
         * The DC code and value left >= 25 (at most 16 + 15 bits), so the first AC
         * code goes without. */
        unsigned fill = 1;
        for (int k = 1; k < DCTSIZE2; k++) {
            int run;
            if ((fill ^= 1) != 0) br_fill(&r);
            f = fast_take(ac, &r);
            if (f != 0) {
                if (f & FAST_EOB) break;
                k += (f >> 8) & 15;
                if (k >= DCTSIZE2) e->bail(cinfo);
                c[zz_natural[k]] = (JCOEF)(f >> 16);
                continue;
            }
            if (r.cnt < 32) br_fill(&r);
            s = huff_decode(ac, &r);
            if (s < 0) e->bail(cinfo);
            run = s >> 4;
            s &= 15;
            if (s) {
                k += run;
                if (k >= DCTSIZE2) e->bail(cinfo);
                c[zz_natural[k]] = (JCOEF)extend(br_get(&r, s), s);
                br_fill(&r);
            } else if (run == 15) {
                k += 15;
            } else {
                break;
            }
        }
        /* a block reads at most 2 KB bits: check before the next could leave the pad */
        if (br_used(&r, e->seg) > e->seg_bits) e->bail(cinfo);
    }
    MCU_END(cinfo, e, r);
    return TRUE;
}

/* A single-scan file has no second scan to start. */
static void seq_start_pass(j_decompress_ptr cinfo)
{
    ((jp_dec *)cinfo->entropy)->bail(cinfo);
}

int dv__jseq_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail)
{
    jp_dec *e;
    if (cinfo->progressive_mode || cinfo->arith_code || cinfo->data_precision != 8 ||
        cinfo->inputctl == NULL || cinfo->inputctl->has_multiple_scans ||
        cinfo->comps_in_scan < 1 || cinfo->comps_in_scan > MAX_COMPS_IN_SCAN ||
        cinfo->blocks_in_MCU < 1 || cinfo->blocks_in_MCU > D_MAX_BLOCKS_IN_MCU ||
        cinfo->Ss != 0 || cinfo->Se != DCTSIZE2 - 1 || cinfo->Ah != 0 || cinfo->Al != 0)
        return -1;
    e = get_dec(d);
    if (e == NULL) return -1;
    e->d = d;
    e->bail = bail;
    e->pub.start_pass = seq_start_pass;
    e->pub.decode_mcu = seq_mcu;
    cinfo->entropy = &e->pub;
    {
        const jp_huff *dc[MAX_COMPS_IN_SCAN], *ac[MAX_COMPS_IN_SCAN];
        for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
            dc[ci] = table(cinfo, e, 1, cinfo->cur_comp_info[ci]->dc_tbl_no);
            ac[ci] = table(cinfo, e, 0, cinfo->cur_comp_info[ci]->ac_tbl_no);
        }
        for (int blk = 0; blk < cinfo->blocks_in_MCU; blk++) {
            e->blk_dc[blk] = dc[cinfo->MCU_membership[blk]];
            e->blk_ac[blk] = ac[cinfo->MCU_membership[blk]];
        }
    }
    for (int blk = 0; blk < cinfo->blocks_in_MCU; blk++) {
        int ci = cinfo->MCU_membership[blk];
        const jpeg_component_info *comp = cinfo->cur_comp_info[ci];
        e->dc_needed[blk] = comp->component_needed ? 1 : 0;
        e->ac_needed[blk] = comp->component_needed && comp->DCT_scaled_size > 1;
        if (!e->ac_needed[blk] && !e->blk_ac[blk]->skip_built) build_skip((jp_huff *)e->blk_ac[blk]);
    }
    e->restarts_to_go = cinfo->restart_interval;
    load_segment(cinfo, e);
    return 0;
}

void dv__jhuff_wipe(dv_decoder *d)
{
    if (d->ebufused) {
        explicit_bzero(d->ebuf, d->ebufused);
        d->ebufused = 0;
    }
}
