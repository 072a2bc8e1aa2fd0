/** Moved to docker/exec.ts: this re-export stays only until backups/* (being reorganised in parallel) import it from there. */
export * from '../docker/exec.ts';
