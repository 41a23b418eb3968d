/* dates.c - civil date <-> day number, after Howard Hinnant's days_from_civil and
 * civil_from_days (public domain algorithms, exact for the whole proleptic calendar). */
#include "dates.h"

int32_t tg_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

static void civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tg_date_parse(const char *s, size_t len, int32_t *days)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int v[8], k = 0;
    for (size_t i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v[k++] = s[i] - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    unsigned m = (unsigned)(v[4] * 10 + v[5]), d = (unsigned)(v[6] * 10 + v[7]);
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return -1;
    unsigned dim = mdays[m - 1] + (m == 2 && is_leap(y));
    if (d > dim)
        return -1;
    *days = tg_days_from_civil(y, m, d);
    return 0;
}

void tg_date_format(int32_t days, char out[11])
{
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int tg_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((days % 7 + 7) % 7);
    return (w + 3) % 7;
}
