/**
 * The remote-job building block: one on-server layout (a job dir with state.json + log), one read script and parser,
 * one tracker that re-attaches, and two launchers (a detached container; a setsid process on the host). A job dir is
 * read over SSH, or inside a container when only that container sees it (a named volume).
 */
export { JobState, READ_CHUNK } from './state.ts';
export { execBounded, parseRead, READ_SCRIPT, sshRead, type JobRead, type SshReadOpts } from './read.ts';
export { followTracker, JobTracker, type JobOutcome, type JobReader, type TrackerOptions } from './tracker.ts';
export { containerJobSpec, containerReader, startContainerJob, type ContainerJobOpts, type ContainerReaderOpts, type ContainerStderr } from './container.ts';
export { hostReader, launchOnHost, LAUNCH_SCRIPT, RUN_SCRIPT, type HostJobOpts } from './host.ts';
export { execRunning, inContainerRead, inContainerReader, type InContainerReaderOpts } from './in-container.ts';
