/** A source map as the `data:` URL a `//# sourceMappingURL=` comment carries inline, written as tsc writes one. */
export function inlineMapUrl(map: object): string {
  return `data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
}
