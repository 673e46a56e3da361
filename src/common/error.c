/* error.c - fixed error texts, version string and the small formatting helpers.
 * Detail messages live on each handle; these strings never change. */
#include "common.h"

#include <stdio.h>

const char *dv_version(void) { return DV_VERSION_STRING; }

const char *dv_strerror(int code)
{
    switch (code) {
    case DV_OK: return "ok";
    case DV_ENOMEM: return "out of memory";
    case DV_EINVAL: return "invalid argument";
    case DV_EIO: return "input/output error";
    case DV_EFORMAT: return "unrecognised or unsupported format";
    case DV_ECORRUPT: return "corrupt or truncated input";
    case DV_ETOOBIG: return "input exceeds a configured limit";
    case DV_ETHREAD: return "could not start a thread";
    case DV_ERANGE: return "value out of range";
    default: return "unknown error";
    }
}

void dv__set_err(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (buf == NULL || cap == 0) return;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

void dv_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

int dv__hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    /* without branches on the digits (a metadata scan decodes a random digest a row, whose
     * digit/letter branches mispredict): a digit or a letter (either case) by range, every
     * byte's verdict or-ed; out may be written before a bad digit is seen */
    unsigned bad = 0;
    if (len != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            unsigned c = (unsigned char)s[2 * i + k];
            unsigned d = c - '0', l = (c | 0x20) - 'a';
            unsigned isd = d < 10, isl = l < 6;
            bad |= !(isd | isl);
            v = v << 4 | (isd ? d : l + 10);
        }
        out[i] = (uint8_t)v;
    }
    return bad ? -1 : 0;
}
