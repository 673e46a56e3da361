/* gif.c - GIF adapter over giflib: the first frame only, painted on the logical screen.
 * Reads records one by one, so later frames are never decoded or buffered. */
#include "image_internal.h"

#include <string.h>

#include <gif_lib.h>

typedef struct gif_src {
    const uint8_t *buf;
    size_t len;
    size_t off;
} gif_src;

static int on_read(GifFileType *g, GifByteType *dst, int n)
{
    gif_src *s = g->UserData;
    size_t avail = s->len - s->off;
    size_t take = n < 0 ? 0 : (size_t)n;
    if (take > avail) take = avail;
    memcpy(dst, s->buf + s->off, take);
    s->off += take;
    return (int)take;
}

static int fail(dv_decoder *d, GifFileType *g, const gif_src *s, const char *what, int code)
{
    int err = g ? g->Error : 0;
    const char *txt = GifErrorString(err);
    dv__set_err(d->err, sizeof(d->err), "gif: %s at offset %zu%s%s", what, s->off,
                txt ? ": " : "", txt ? txt : "");
    if (g) DGifCloseFile(g, &err);
    return code;
}

int dv__decode_gif(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    gif_src src = {buf, len, 0};
    int err = 0, rc;
    GifFileType *g = DGifOpen(&src, on_read, &err);
    GifRecordType rt;

    out->format = DV_FMT_GIF;
    if (g == NULL) {
        dv__set_err(d->err, sizeof(d->err), "gif: cannot read header: %s",
                    GifErrorString(err) ? GifErrorString(err) : "unknown error");
        return DV_ECORRUPT;
    }
    out->src_width = (uint32_t)g->SWidth;
    out->src_height = (uint32_t)g->SHeight;
    for (;;) {
        if (DGifGetRecordType(g, &rt) == GIF_ERROR)
            return fail(d, g, &src, "truncated or corrupt record", DV_ECORRUPT);
        if (rt == TERMINATE_RECORD_TYPE)
            return fail(d, g, &src, "file has no image", DV_ECORRUPT);
        if (rt == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
                return fail(d, g, &src, "corrupt extension", DV_ECORRUPT);
            while (ext != NULL) {
                if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
                    return fail(d, g, &src, "corrupt extension", DV_ECORRUPT);
            }
            continue;
        }
        if (rt == IMAGE_DESC_RECORD_TYPE) break;
    }
    if (DGifGetImageDesc(g) == GIF_ERROR)
        return fail(d, g, &src, "corrupt image descriptor", DV_ECORRUPT);
    {
        const GifImageDesc *id = &g->Image;
        const ColorMapObject *cm = id->ColorMap ? id->ColorMap : g->SColorMap;
        uint64_t left = (uint64_t)(id->Left < 0 ? 0 : id->Left);
        uint64_t top = (uint64_t)(id->Top < 0 ? 0 : id->Top);
        uint64_t fw = (uint64_t)(id->Width < 0 ? 0 : id->Width);
        uint64_t fh = (uint64_t)(id->Height < 0 ? 0 : id->Height);
        uint64_t cw = (uint64_t)(g->SWidth < 0 ? 0 : g->SWidth);
        uint64_t ch = (uint64_t)(g->SHeight < 0 ? 0 : g->SHeight);
        size_t stride, need;
        uint8_t *pix, *line;
        uint8_t bg[3] = {0, 0, 0};

        if (cm == NULL) return fail(d, g, &src, "no colour map", DV_ECORRUPT);
        if (left + fw > cw) cw = left + fw;
        if (top + fh > ch) ch = top + fh;
        rc = dv__decoder_check_size(d, "gif", fw, fh);
        if (rc == DV_OK) rc = dv__decoder_check_size(d, "gif", cw, ch);
        if (rc != DV_OK) {
            DGifCloseFile(g, &err);
            return rc;
        }
        stride = (size_t)cw * 3;
        need = stride * (size_t)ch;
        pix = dv__decoder_pixels(d, need);
        line = dv__decoder_aux(d, (size_t)fw);
        if (pix == NULL || line == NULL) {
            DGifCloseFile(g, &err);
            return DV_ENOMEM;
        }
        if (g->SColorMap && g->SBackGroundColor < g->SColorMap->ColorCount) {
            const GifColorType *c = &g->SColorMap->Colors[g->SBackGroundColor];
            bg[0] = c->Red;
            bg[1] = c->Green;
            bg[2] = c->Blue;
        }
        for (size_t i = 0; i < (size_t)cw * (size_t)ch; i++) memcpy(pix + 3 * i, bg, 3);
        for (uint64_t pass = 0, k = 0; pass < (id->Interlace ? 4u : 1u); pass++) {
            static const unsigned start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
            uint64_t y0 = id->Interlace ? start[pass] : 0, dy = id->Interlace ? step[pass] : 1;
            for (uint64_t y = y0; y < fh; y += dy, k++) {
                uint8_t *dst = pix + (size_t)(top + y) * stride + (size_t)left * 3;
                if (DGifGetLine(g, line, (int)fw) == GIF_ERROR)
                    return fail(d, g, &src, "truncated or corrupt image data", DV_ECORRUPT);
                for (uint64_t x = 0; x < fw; x++) {
                    unsigned idx = line[x];
                    const GifColorType *c =
                        idx < (unsigned)cm->ColorCount ? &cm->Colors[idx] : &cm->Colors[0];
                    dst[3 * x] = c->Red;
                    dst[3 * x + 1] = c->Green;
                    dst[3 * x + 2] = c->Blue;
                }
            }
        }
        DGifCloseFile(g, &err);
        out->width = (uint32_t)cw;
        out->height = (uint32_t)ch;
        out->channels = 3;
        out->stride = stride;
        out->pixels = pix;
    }
    return DV_OK;
}
