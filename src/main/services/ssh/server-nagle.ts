import type { ClientChannel } from 'ssh2';

/**
 * OpenSSH's sshd turns Nagle off on its side only once a session (exec, shell, subsystem) ran on the connection
 * (ssh_packet_set_interactive). Until then a second small packet from the server waits for the ACK of the first: a
 * round trip whenever two replies are in flight. A session opened right after connecting puts its replies in flight
 * beside the first forwarded channel's (the Docker socket), so this runs one only after that channel's first answer,
 * and not at all when a session ran anyway.
 */
export class ServerNagle {
  private state: 'on' | 'running' | 'off' = 'on';
  private readonly runSession: () => Promise<unknown>;

  constructor(runSession: () => Promise<unknown>) {
    this.runSession = runSession;
  }

  get off(): boolean {
    return this.state === 'off';
  }

  /** A session ran on the connection: sshd has turned Nagle off. */
  sessionRan(): void {
    this.state = 'off';
  }

  /** A forwarded channel opened: once it received something (or closed), turn Nagle off if nothing did. */
  watch(channel: ClientChannel): void {
    if (this.state !== 'on') return;
    // ssh2 hands received data to push(); a 'data' listener here would switch the stream to flowing before its reader.
    const push = channel.push.bind(channel);
    const first = () => {
      channel.push = push;
      channel.off('close', first);
      this.turnOff();
    };
    channel.push = (chunk: unknown, encoding?: BufferEncoding) => {
      first();
      return push(chunk, encoding);
    };
    channel.once('close', first);
  }

  private turnOff(): void {
    if (this.state !== 'on') return;
    this.state = 'running';
    this.runSession().then(
      () => (this.state = 'off'),
      () => {
        if (this.state === 'running') this.state = 'on';
      },
    );
  }
}
