#!/bin/sh
# messy_records.sh - prints the dirty middle of the messy NDJSON fixtures that
# test_threads.sh and tests/mpi/test_mpi.sh wrap in synth's records: CRLF and blank
# lines, agreeing and conflicting duplicates, a record of every reject reason, a city
# with a lone surrogate escape (bad_string) and one with a pair (kept), a 6000-byte
# city (kept), a long record rejected (its text cut), a city past 1 MiB (too_long) and
# nested traces with their album_id after them. Each test adds what is its own.
long=$(head -c 6000 /dev/zero | tr '\0' x)          # a city name: kept
huge=$(head -c 1048577 /dev/zero | tr '\0' y)       # past TG_REC_MAX_STR: too_long
printf '\r\n\r\n'
printf '{"album_id": 7, "date": "2017-01-02", "loc_city": "Brest", "nusers": 2}\r\n'
printf '{"album_id": "7", "date": "2017-01-02", "loc_city": "Brest", "nusers": 3, "nstreams": 9}\r\n'
printf '\n   \n'
printf '{"album_id": 7, "release_date": "2016-12-01", "genres": ["Jazz", "Pop"]}\n'
printf '{"album_id": 7, "release_date": "2016-12-01", "genres": ["Pop", "Jazz", "Pop"]}\n'
printf '{"album_id": 7, "release_date": "2016-12-02", "genres": ["Pop"]}\n'
printf '{"album_id": 8, "date": "2017-02-30", "loc_city": "Nice", "nusers": 1}\n'
printf '{"album_id": 3.5, "date": "2017-02-03", "loc_city": "Nice", "nusers": 1}\n'
printf '{"album_id": 8, "date": "2017-02-03", "loc_city": "Nice", "nusers": 1.5}\n'
printf '{"album_id": 8, "date": "2017-02-03", "loc_city": "Nice", "nusers": 4294967296}\n'
printf '{"album_id": 8, "date": "2017-02-03", "loc_city": "Nice"}\n'
printf '{"date": "2017-02-03", "loc_city": "Nice", "nusers": 1}\n'
printf '{"album_id": 8, "album_id": 9, "release_date": "2016-01-01", "genres": []}\n'
printf '{"hello": 1}\n'
printf '{"album_id": 12, "date": "2017-02-03", "loc_city": "Pa\\u0000ris", "nusers": 1}\n'
printf '{"album_id": 12, "date": "2017-02-03", "loc_city": "Metz\\ud800", "nusers": 1}\n'
printf '{"album_id": 7, "date": "2017-02-03", "loc_city": "Metz\\ud83c\\udfb5", "nusers": 1}\n'
printf '{"album_id": 10, "date": "2017-03-03", "loc_city": "%s", "nusers": 1}\n' "$long"
printf '{"album_id": 10, "date": "2017-03-04", "loc_city": "%s", "nusers": -1}\n' "$long"
printf '{"album_id": 10, "date": "2017-03-05", "loc_city": "%s", "nusers": 1}\n' "$huge"
printf '{"traces": [{"date": "2017-04-01", "loc_city": "Caen", "nusers": 5}], "album_id": 11, "release_date": "2017-03-01", "genres": ["Blues"]}\n'
