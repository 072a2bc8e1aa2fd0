import { z } from 'zod';
import { GitRef, GitUrl } from './apps.ts';
import { base, Id, Timestamp } from './base.ts';
import { AdvertiseAddr } from './cluster.ts';

/** Image registries: a private one the app runs on a server (its own CA, basic auth) and external v2 registries. */

export const RegistryName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(40, 'expected at most 40 characters')
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lowercase letters, digits or - and a letter or digit first, like main');

export const RegistryPort = z.number({ message: 'expected a port number' }).int('expected a whole number').min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535');

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Where nodes reach the registry: an IP address of its server or a DNS name that resolves to it. */
export const RegistryAddress = z
  .string()
  .trim()
  .max(253)
  .refine((v) => AdvertiseAddr.safeParse(v).success || DNS_NAME.test(v), 'expected an IP address or a DNS name of the server, like 10.0.0.5 or registry.example.com');

export const RegistryUsername = z
  .string()
  .min(1, 'expected a user name')
  .max(128, 'expected at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, 'expected letters, digits, . _ @ + or -, like deploy');

export const RegistryPassword = z
  .string()
  .min(1, 'expected a password or token')
  .max(4096, 'expected at most 4096 characters')
  .regex(/^[^\p{Cc}]*$/u, 'expected a password or token without line breaks or control characters');

/** A v2 registry's address: host[:port], optionally with https:// (GHCR, Docker Hub, GitLab, a self-hosted one). */
export const RegistryUrl = z
  .string()
  .trim()
  .max(300)
  .refine((v) => {
    const m = /^(?:https:\/\/)?([^/:[\]]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?\/?$/i.exec(v);
    return !!m && (DNS_NAME.test(m[1] as string) || AdvertiseAddr.safeParse((m[1] as string).replace(/^\[|\]$/g, '')).success) && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535));
  }, 'expected a registry address like ghcr.io, registry.gitlab.com or https://registry.example.com:5000');

export const CaPem = z
  .string()
  .max(20_000, 'expected one PEM certificate')
  .regex(/^\s*-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/, 'expected a PEM certificate (-----BEGIN CERTIFICATE-----)');

/** A repository name component as Docker accepts it. */
export const ImageApp = z
  .string()
  .min(1, 'expected an app name')
  .max(64, 'expected at most 64 characters')
  .regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'expected lowercase letters, digits and . _ - between them, like shop-api');

export const ImageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'expected a tag of letters, digits, _ . or - (at most 128), like d-42');
export const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected a digest like sha256:<64 hex digits>');

export const SourceImage = z.string().regex(/^[a-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'expected an image reference like nginx:1.27 or ghcr.io/owner/app:1');

export const CreatePrivateInput = z
  .object({
    name: RegistryName,
    /** The server the registry container runs on. */
    serverId: Id,
    /** Its nodes get the CA too; joining nodes get it through syncNodes. */
    clusterId: Id.optional(),
    /** More servers that pull from it (single-server users: build on A, run on B). */
    trust: z.array(Id).max(64, 'expected at most 64 servers').default([]),
    /** Default: the address the app connects to the server at. */
    address: RegistryAddress.optional(),
    port: RegistryPort.default(5000),
    username: RegistryUsername.default('openpanel'),
  })
  .strict();
export type CreatePrivateInput = z.input<typeof CreatePrivateInput>;

export const AddExternalInput = z.object({ name: RegistryName, url: RegistryUrl, username: RegistryUsername, password: RegistryPassword, ca: CaPem.optional() }).strict();
export type AddExternalInput = z.infer<typeof AddExternalInput>;

export const Registry = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['private', 'external']),
  /** host:port as image references name it. */
  host: z.string(),
  serverId: z.string().nullable(),
  clusterId: z.string().nullable(),
  trust: z.array(z.string()),
  username: z.string(),
  /** The CA root nodes trust (private, or given for an external one); public. */
  caCertificate: z.string().nullable(),
  createdAt: Timestamp,
});
export type Registry = z.infer<typeof Registry>;

export const NodeTrust = z.object({ serverId: z.string(), serverName: z.string(), ok: z.boolean(), path: z.string(), error: z.string().nullable() });
export type NodeTrust = z.infer<typeof NodeTrust>;

export const RegistryStatus = z.object({
  registry: Registry,
  /** The container's state (running, exited, missing…). */
  state: z.string(),
  /** GET /v2/ with the credentials, over TLS checked against the CA: null when it answered 200. */
  error: z.string().nullable(),
  nodes: z.array(NodeTrust),
});
export type RegistryStatus = z.infer<typeof RegistryStatus>;

const BuildSource = z.discriminatedUnion(
  'kind',
  [z.object({ kind: z.literal('git'), url: GitUrl, ref: GitRef.optional() }).strict(), z.object({ kind: z.literal('image'), image: SourceImage }).strict()],
  { message: 'expected kind git or image' },
);

export const BuildAndPushInput = z.object({ registryId: Id, buildServerId: Id, app: ImageApp, deployId: ImageTag, source: BuildSource }).strict();
export type BuildAndPushInput = z.infer<typeof BuildAndPushInput>;

export const PushedImage = z.object({ ref: z.string(), digest: z.string(), byDigest: z.string(), buildMs: z.number() });
export type PushedImage = z.infer<typeof PushedImage>;

const Ref = z.object({ registryId: Id }).strict();

export const registry = {
  list: base.output(z.array(Registry)),
  status: base.input(Ref).output(RegistryStatus),
  /** Runs the registry (TLS from the app's CA, basic auth) and writes the CA root to every node that pulls from it. */
  createPrivate: base.meta({ mutating: true }).input(CreatePrivateInput).output(RegistryStatus),
  /** Writes the CA root to the nodes that lack it (a cluster's new nodes). */
  syncNodes: base.meta({ mutating: true }).input(Ref).output(z.array(NodeTrust)),
  addExternal: base.meta({ mutating: true, secretFields: ['password'] }).input(AddExternalInput).output(Registry),
  /** Logs in at /v2/ with the stored credentials (basic, or a bearer token from the registry's realm). */
  testLogin: base.input(Ref).output(z.object({ ok: z.boolean(), detail: z.string() })),
  /** Private: removes the container and the CA files (the data volume is kept unless `purge`); external: forgets it. */
  remove: base.meta({ mutating: true }).input(z.object({ registryId: Id, purge: z.boolean().default(false) }).strict()).output(z.object({ removed: z.boolean() })),
  buildAndPush: base.meta({ mutating: true }).input(BuildAndPushInput).output(PushedImage),
  /** Pulls `<registry>/<app>@<digest>` on a server with the registry's credentials. */
  pull: base.meta({ mutating: true }).input(z.object({ registryId: Id, serverId: Id, app: ImageApp, digest: Digest }).strict()).output(z.object({ ref: z.string(), imageId: z.string() })),
  /** Keeps the `keep` newest tags of an app, deletes the other manifests, then runs the registry's garbage collection. */
  gc: base.meta({ mutating: true }).input(z.object({ registryId: Id, app: ImageApp, keep: z.number().int().min(1, 'expected at least 1').max(1000, 'expected at most 1000') }).strict()).output(z.object({ deleted: z.array(z.string()), kept: z.array(z.string()) })),
};
