/**
 * Image references, parsed and normalized exactly as Docker does
 * (distribution/reference): `redis` → `docker.io/library/redis:latest`,
 * `localhost:5000/app`, `repo@sha256:…`, `repo:tag@sha256:…`.
 */
import { TscComposeError } from '../errors/index.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

export interface ImageReference {
  /** Registry host, with port when given: `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/redis`. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

export class InvalidReferenceError extends TscComposeError {
  constructor(reference: string, reason: string) {
    super('TSC_IMAGE_REFERENCE', `invalid reference format "${reference}": ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

/** Parses and normalizes; a reference with neither tag nor digest gets `latest`. */
export function parseReference(input: string): ImageReference {
  if (input === '') throw new InvalidReferenceError(input, 'empty reference');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidReferenceError(input, `invalid digest "${digest}"`);
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
      throw new InvalidReferenceError(input, 'sha256 digests have 64 lowercase hex digits');
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(input, `invalid tag "${tag}"`);
  }
  if (rest === '') throw new InvalidReferenceError(input, 'missing repository name');
  if (rest.length > MAX_NAME_LENGTH) throw new InvalidReferenceError(input, `repository name longer than ${MAX_NAME_LENGTH} characters`);

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash !== -1) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(firstSlash + 1);
      validateDomain(input, domain);
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path !== path.toLowerCase()) throw new InvalidReferenceError(input, 'repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) throw new InvalidReferenceError(input, `invalid repository name component "${component}"`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { domain, path, tag, digest };
}

function validateDomain(input: string, domain: string): void {
  let host = domain;
  const ipv6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(domain);
  if (ipv6) return;
  const portMatch = /^(.*):(\d+)$/.exec(domain);
  if (portMatch) host = portMatch[1] as string;
  else if (domain.includes(':')) throw new InvalidReferenceError(input, `invalid registry port in "${domain}"`);
  if (!host.split('.').every((label) => DOMAIN_LABEL.test(label))) {
    throw new InvalidReferenceError(input, `invalid registry host "${domain}"`);
  }
}

/** `docker.io/library/redis:7@sha256:…` — the fully qualified form. */
export function formatReference(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The short form Docker shows: `redis:7`, `user/app:latest`, `localhost:5000/app:1`. */
export function familiarReference(ref: ImageReference): string {
  let name = `${ref.domain}/${ref.path}`;
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
  }
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The repository alone: `docker.io/library/redis`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

