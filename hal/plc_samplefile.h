/* Sample files at 400 kS/s: raw little-endian float32 ("f32"), raw little-endian int16
 * ("s16", full scale 1.0 = 32768) and mono WAV (16-bit PCM or 32-bit float on reading,
 * 16-bit PCM on writing). Used by plc-modem and the file sample port. */
#ifndef PLC_SAMPLEFILE_H
#define PLC_SAMPLEFILE_H

#include <stddef.h>
#include <stdio.h>

typedef enum plc_sample_format { PLC_FMT_F32, PLC_FMT_S16, PLC_FMT_WAV } plc_sample_format;

/* "f32", "s16", "wav" -> format; -1 otherwise. */
int plc_samplefile_parse_format(const char *name);
/* Reads a whole file into *out (malloc'd, caller frees). Returns 0, or a plc_err with a
 * message in err ("not a WAV file", "WAV must be mono ...", the system's reason, ...). */
int plc_samplefile_load(const char *path, plc_sample_format fmt, float **out, size_t *count,
                        char *err, size_t errlen);
/* The same from an open stream; on error *why says what is wrong. Refused: a WAV file that
 * is not mono 16-bit PCM or 32-bit float at 400000 Hz, a file that ends inside a sample or
 * a WAV data chunk shorter than its header says, a float sample that is NaN or infinite. A
 * WAV file's data ends where its data chunk says (a size of 0 or 0xFFFFFFFF, left by a
 * writer that streamed, runs to the end of the file). */
int plc_samplefile_read(FILE *f, plc_sample_format fmt, float **out, size_t *count,
                        const char **why);
/* Writes n samples (s16 and WAV clip at full scale). Returns 0 or PLC_ERR_IO. */
int plc_samplefile_write(const char *path, plc_sample_format fmt, const float *x, size_t n);

#endif
