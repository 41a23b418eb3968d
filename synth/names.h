/* names.h - the fixed vocabularies of the synthetic world: real city names (French
 * first, by size, then francophone and international cities), the parts from which
 * further small-town names are composed, genre names, age buckets and platforms. */
#ifndef SYNTH_NAMES_H
#define SYNTH_NAMES_H

#include <stddef.h>

extern const char *const synth_real_cities[];
extern const size_t synth_n_real_cities;

/* Small-town names beyond the real list are "<root><suffix>", e.g. "Montfort-sur-Loire". */
extern const char *const synth_town_roots[];
extern const size_t synth_n_town_roots;
extern const char *const synth_town_suffixes[];
extern const size_t synth_n_town_suffixes;

/* The report's 27 genres (those with 5 albums or more), in its tables' order. */
extern const char *const synth_main_genres[];
#define SYNTH_N_MAIN_GENRES 27

/* 24 rare genres and their album counts at report size (15 of them on one album). */
extern const char *const synth_rare_genres[];
extern const unsigned synth_rare_counts[];
#define SYNTH_N_RARE_GENRES 24

extern const char *const synth_ages[];
#define SYNTH_N_AGES 7
extern const char *const synth_platforms[];
#define SYNTH_N_PLATFORMS 6

#endif
