/**
 * The internal network of a server's databases. Apps deployed by OpenPanel join it (deploy job), so they reach a
 * database by its name (the URL shown "for apps"); nothing on it is published beyond the server's loopback.
 */
export const DATA_NETWORK = 'openpanel-data';
