import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import type { ImageOverrides } from '../../../shared/contract/proxy.ts';

/** Images OpenPanel itself runs on a server, by role. Every one can be overridden per server. */
export const DEFAULT_IMAGES = SERVICE_IMAGES;

/** Whether the first path component of a reference names a registry (has a dot or a port, or is localhost). */
function hasRegistry(ref: string): boolean {
  const slash = ref.indexOf('/');
  if (slash < 0) return false;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/**
 * The image to really run for `ref` on a server: an exact mapping wins; otherwise a mirror prefix is put in
 * front of Docker Hub names (official images get `library/`, as registry mirrors expect); else `ref` itself.
 */
export function resolveImage(ref: string, overrides: ImageOverrides): string {
  const exact = overrides.images[ref];
  if (exact) return exact;
  if (!overrides.prefix || hasRegistry(ref)) return ref;
  const name = ref.includes('/') ? ref : `library/${ref}`;
  return `${overrides.prefix.replace(/\/+$/, '')}/${name}`;
}

/** Base-image aliases for builds: every exact mapping that is not one of OpenPanel's own images. */
export function baseImageAliases(overrides: ImageOverrides): [from: string, to: string][] {
  const own = new Set<string>(Object.values(DEFAULT_IMAGES));
  return Object.entries(overrides.images).filter(([from]) => !own.has(from));
}
