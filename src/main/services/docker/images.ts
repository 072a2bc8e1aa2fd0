import type Docker from 'dockerode';
import { AppError, errorMessage } from '../core/errors.ts';
import { dockerError, isDockerNotFound } from './errors.ts';

/** `data.fix` of a failed pull: the UI offers the server's image mapping screen from the error. */
export const IMAGE_MAPPING_FIX = 'image-mapping';

export interface EnsureImageOptions {
  /** Where the user maps an image to a mirror or a local one, named in the error when the pull fails. */
  mapping: string;
}

/**
 * Makes sure `ref` is on the server: used as it is when the engine has it (e.g. an override to a locally built
 * image), pulled only when the engine answers 404. Any other failure of the inspect is reported, not pulled over.
 */
export async function ensureImage(api: Docker, ref: string, opts: EnsureImageOptions): Promise<void> {
  try {
    await api.getImage(ref).inspect();
    return;
  } catch (e) {
    if (!isDockerNotFound(e)) throw dockerError(e, `image ${ref}`);
  }
  try {
    const stream = await api.pull(ref);
    await new Promise<void>((resolve, reject) => api.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    throw new AppError('REMOTE_COMMAND_FAILED', `image ${ref} is not on the server and could not be pulled (${errorMessage(e)}); map it to a mirror or a local image in ${opts.mapping}`, { fix: IMAGE_MAPPING_FIX, image: ref });
  }
}
