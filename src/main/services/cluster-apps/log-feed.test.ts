import { describe, expect, it } from 'vitest';
import { splitDetails } from './log-feed.ts';

describe('service log details', () => {
  it('takes the task and node from the attributes Docker puts before the text (as read from dockerd 20.10)', () => {
    const line = 'com.docker.swarm.node.id=1sk6wku6c6udfzhyie3mtjzul,com.docker.swarm.service.id=zhb14k14a08x7h5tddl9i2v6q,com.docker.swarm.task.id=ihaecz0qop9w7n1i6s90kv9eq out 10 ad0a12d90fab';
    expect(splitDetails(line)).toEqual({ task: 'ihaecz0qop9w7n1i6s90kv9eq', node: '1sk6wku6c6udfzhyie3mtjzul', text: 'out 10 ad0a12d90fab' });
  });

  it('decodes URL-encoded values, keeps the text whole (spaces, = and , included), and leaves a line without attributes alone', () => {
    expect(splitDetails('env=a%2Cb+c,com.docker.swarm.task.id=t1 x=1, y')).toEqual({ task: 't1', node: null, text: 'x=1, y' });
    expect(splitDetails('com.docker.swarm.task.id=t2 ')).toEqual({ task: 't2', node: null, text: '' });
    expect(splitDetails('plain line = no attrs')).toEqual({ task: null, node: null, text: 'plain line = no attrs' });
  });
});
