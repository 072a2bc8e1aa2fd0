/**
 * The preload exposes nothing: it only hands the renderer the MessagePort on which the API is served.
 */
import { ipcRenderer } from 'electron';

ipcRenderer.once('openpanel:port', (event) => {
  window.postMessage('openpanel:port', window.location.origin === 'null' ? '*' : window.location.origin, event.ports);
});
