import type { TextMapSetter } from '@opentelemetry/api';

/**
 * The setter for a fetch `Headers` the runtime made itself (fetch, Connect transports): the whole
 * carrier logic of carriers.ts is not needed there, and a page pays for every byte. A header the
 * Headers refuses (a custom propagator's bad name or value) is left out rather than thrown.
 */
export const headersSetter: TextMapSetter<Headers> = {
  set(headers, key, value) {
    try {
      headers.set(key, value);
    } catch {
      // not a valid header: the request goes without it
    }
  },
};
