import type Docker from 'dockerode';
import { LABELS, ROLES } from '../docker/labels.ts';
import { ensureNetwork } from '../docker/networks.ts';

/**
 * The internal network of a server's databases. Apps deployed by OpenPanel join it (deploy job), so they reach a
 * database by its name (the URL shown "for apps"); nothing on it is published beyond the server's loopback.
 */
export const DATA_NETWORK = 'openpanel-data';

export function ensureDataNetwork(api: Docker): Promise<void> {
  return ensureNetwork(api, DATA_NETWORK, { [LABELS.role]: ROLES.dataNetwork });
}
