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
    if (len != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= c - '0';
            else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
            else return -1;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}
