import { z } from 'zod';
import { base, Id, Timestamp } from './base.ts';

/** Clusters are Docker Swarms made of servers the app knows; join tokens are read from a manager when needed, never stored. */

export const ClusterName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(40, 'expected at most 40 characters')
  .regex(/^[a-z0-9][a-z0-9-]*$/i, 'expected letters, digits or - and a letter or digit first, like prod-eu');

export const NodeRole = z.enum(['manager', 'worker'], { message: 'expected manager or worker' });
export type NodeRole = z.infer<typeof NodeRole>;

export const NodeAvailability = z.enum(['active', 'pause', 'drain'], { message: 'expected active, pause or drain' });
export type NodeAvailability = z.infer<typeof NodeAvailability>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address of the server (no port, no name): the address other nodes reach it at. */
export const AdvertiseAddr = z
  .string()
  .trim()
  .max(45)
  .refine((v) => IPV4.test(v) || z.ipv6().safeParse(v).success, 'expected an IP address of the server, like 10.0.0.5');

/** The IPv4 range Swarm carves overlay networks from (/24 each): a CIDR of /8 to /24. */
export const AddrPool = z
  .string()
  .trim()
  .max(18)
  .refine((v) => {
    const [ip, bits, extra] = v.split('/');
    return extra === undefined && ip !== undefined && IPV4.test(ip) && /^\d{1,2}$/.test(bits ?? '') && Number(bits) >= 8 && Number(bits) <= 24;
  }, 'expected an IPv4 range from /8 to /24, like 10.20.0.0/16');

/** Docker's label rules, kept strict: keys like com.example.zone or zone, values printable without line breaks. */
export const NodeLabelKey = z
  .string()
  .min(1, 'expected a label key')
  .max(128, 'expected at most 128 characters')
  .regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i, 'expected letters, digits, . _ or - (a letter or digit at each end), like zone or com.example.tier');
export const NodeLabelValue = z
  .string()
  .max(256, 'expected at most 256 characters')
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'expected printable text without line breaks or control characters');
export const NodeLabels = z.record(z.string(), NodeLabelValue).superRefine((labels, ctx) => {
  const keys = Object.keys(labels);
  if (keys.length > 64) ctx.addIssue({ code: 'custom', message: 'expected at most 64 labels' });
  for (const key of keys) {
    const r = NodeLabelKey.safeParse(key);
    if (!r.success) ctx.addIssue({ code: 'custom', path: [key], message: `key ${r.error.issues[0]?.message ?? 'invalid'}` });
  }
});

export const MemberInput = z
  .object({
    serverId: Id,
    role: NodeRole,
    /** Default: the server's address the app connects to when it is one of its own, else its first global address. */
    advertiseAddr: AdvertiseAddr.optional(),
  })
  .strict();
export type MemberInput = z.infer<typeof MemberInput>;

export const CreateClusterInput = z
  .object({
    name: ClusterName,
    /** The first member initialises the swarm and must be a manager; the others join in order. */
    members: z.array(MemberInput).min(1, 'expected at least one server').max(32, 'expected at most 32 servers'),
    /** Default: a range that overlaps none of the members' interfaces, routes or Docker networks. */
    addrPool: AddrPool.optional(),
  })
  .strict();
export type CreateClusterInput = z.infer<typeof CreateClusterInput>;

export const ServerAddress = z.object({
  address: z.string(),
  prefix: z.number().int(),
  iface: z.string(),
  family: z.enum(['ipv4', 'ipv6']),
  /** Why it cannot be advertised (loopback, link-local, a Docker bridge), or null when it can. */
  unusable: z.string().nullable(),
});
export type ServerAddress = z.infer<typeof ServerAddress>;

export const AddressesOutput = z.object({
  servers: z.array(z.object({ serverId: z.string(), name: z.string(), addresses: z.array(ServerAddress), suggested: z.string().nullable(), error: z.string().nullable() })),
  /** A pool that collides with none of these servers' networks (null when every candidate does). */
  addrPool: z.string().nullable(),
  /** The networks in use on these servers, for the pool field's explanation. */
  used: z.array(z.object({ cidr: z.string(), serverId: z.string(), source: z.string() })),
});
export type AddressesOutput = z.infer<typeof AddressesOutput>;

export const ClusterNode = z.object({
  id: z.string(),
  hostname: z.string(),
  serverId: z.string().nullable(),
  serverName: z.string().nullable(),
  role: NodeRole,
  availability: NodeAvailability,
  /** Swarm's view: ready, down, unknown or disconnected. */
  status: z.string(),
  message: z.string().nullable(),
  address: z.string().nullable(),
  engineVersion: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  tasksRunning: z.number().int(),
  leader: z.boolean(),
  /** Managers only: reachable or unreachable to the other managers. */
  reachability: z.string().nullable(),
});
export type ClusterNode = z.infer<typeof ClusterNode>;

/** An operation that did not finish: shown with what finishing and undoing will do. Nothing stays half-done silently. */
export const PendingOperation = z.object({
  serverId: z.string(),
  serverName: z.string(),
  op: z.enum(['join', 'remove']),
  role: NodeRole,
  /** What happened, in words (e.g. "the join failed: …", "it left the swarm but is still listed"). */
  detail: z.string(),
  finish: z.string(),
  undo: z.string(),
  at: Timestamp,
});
export type PendingOperation = z.infer<typeof PendingOperation>;

export const Quorum = z.object({
  managers: z.number().int(),
  reachable: z.number().int(),
  /** Managers needed for changes to go through: a majority. */
  needed: z.number().int(),
  /** Managers that can be lost while keeping a majority. */
  tolerance: z.number().int(),
  healthy: z.boolean(),
  warnings: z.array(z.string()),
  /** What losing one more manager would do, in words. */
  oneMoreLost: z.string(),
});
export type Quorum = z.infer<typeof Quorum>;

export const ClusterSummary = z.object({
  id: z.string(),
  name: z.string(),
  addrPool: z.string(),
  createdAt: Timestamp,
  members: z.array(z.object({ serverId: z.string(), serverName: z.string(), role: NodeRole, advertiseAddr: z.string() })),
});
export type ClusterSummary = z.infer<typeof ClusterSummary>;

export const ClusterView = ClusterSummary.extend({
  nodes: z.array(ClusterNode),
  pending: z.array(PendingOperation),
  quorum: Quorum.nullable(),
  /** The manager the view was read from, or null with `error` when none answered. */
  readFrom: z.string().nullable(),
  error: z.string().nullable(),
});
export type ClusterView = z.infer<typeof ClusterView>;

const ClusterRef = z.object({ clusterId: Id }).strict();
const NodeId = z.string().regex(/^[a-z0-9]{1,64}$/, 'expected a swarm node id (lowercase letters and digits)');

export const UpdateNodeInput = z
  .object({ clusterId: Id, nodeId: NodeId, availability: NodeAvailability.optional(), role: NodeRole.optional(), labels: NodeLabels.optional() })
  .strict();
export type UpdateNodeInput = z.infer<typeof UpdateNodeInput>;

export const cluster = {
  list: base.output(z.array(ClusterSummary)),
  /** The cluster as its managers see it now: nodes, quorum, half-done operations. */
  get: base.input(ClusterRef).output(ClusterView),
  /** The servers' addresses (for the advertise address) and a pool that collides with none of their networks. */
  addresses: base.input(z.object({ serverIds: z.array(Id).min(1).max(32) }).strict()).output(AddressesOutput),
  create: base.meta({ mutating: true }).input(CreateClusterInput).output(ClusterView),
  join: base.meta({ mutating: true }).input(MemberInput.extend({ clusterId: Id }).strict()).output(ClusterView),
  updateNode: base.meta({ mutating: true }).input(UpdateNodeInput).output(ClusterView),
  /** Leave on the node (when it is one of our servers and reachable), then remove it from the node list. */
  removeNode: base.meta({ mutating: true }).input(z.object({ clusterId: Id, nodeId: NodeId }).strict()).output(ClusterView),
  finish: base.meta({ mutating: true }).input(z.object({ clusterId: Id, serverId: Id }).strict()).output(ClusterView),
  undo: base.meta({ mutating: true }).input(z.object({ clusterId: Id, serverId: Id }).strict()).output(ClusterView),
  /** New join tokens: the old ones are refused from now on. */
  rotateTokens: base
    .meta({ mutating: true })
    .input(z.object({ clusterId: Id, which: z.enum(['worker', 'manager', 'both'], { message: 'expected worker, manager or both' }).default('both') }).strict())
    .output(z.object({ rotated: z.array(NodeRole), at: Timestamp })),
  /** Every member leaves the swarm (workers first) and the cluster is forgotten. */
  dissolve: base.meta({ mutating: true }).input(ClusterRef).output(z.object({ left: z.array(z.string()), failed: z.array(z.object({ serverId: z.string(), error: z.string() })) })),
};
