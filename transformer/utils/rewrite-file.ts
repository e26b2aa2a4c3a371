import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * Writes `text` over an existing file without truncating it first, cutting it only where the new
 * text is shorter. tsc has just written these files: on ext4 a truncation of a file whose blocks
 * are not yet allocated starts their write-back at once (`auto_da_alloc`). Woven text is longer
 * but where an edit drops a call's type arguments, so opening for update skips that cost for
 * nearly every woven file.
 */
export function rewriteFile(file: string, text: string): void {
  const data = Buffer.from(text, 'utf8');
  const descriptor = openSync(file, 'r+');
  try {
    let written = 0;
    while (written < data.length) written += writeSync(descriptor, data, written, data.length - written, written);
    if (fstatSync(descriptor).size > data.length) ftruncateSync(descriptor, data.length);
  } finally {
    closeSync(descriptor);
  }
}
