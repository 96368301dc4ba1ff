// ServiceAccount tokens: JWTs signed with the control plane's own RSA key (RS256), shaped as
// kube-apiserver's bound tokens are, so tools that decode them find the claims they expect.
// The key is made on first start and kept in the data dir like the other credentials.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, createHash, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface BoundRef {
  name: string;
  uid: string;
}

interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  jti: string;
  sub: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: BoundRef;
    pod?: BoundRef;
    secret?: BoundRef;
  };
}

interface IssueRequest {
  namespace: string;
  serviceAccount: BoundRef;
  audiences: string[];
  expirationSeconds: number;
  pod?: BoundRef;
  secret?: BoundRef;
}

/** Keeps the signature checks of recently seen tokens; expiry and the account are still checked every time. */
const MAX_VERIFIED = 4096;

export class TokenSigner {
  private readonly publicKey: KeyObject;
  private readonly kid: string;
  private readonly verified = new Map<string, TokenClaims>();

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    this.kid = createHash('sha256').update(der).digest('base64url');
  }

  /** The signing key under `dir/pki/sa.key`, created when missing. */
  static fromDataDir(dir: string): TokenSigner {
    const pki = join(dir, 'pki');
    mkdirSync(pki, { recursive: true, mode: 0o700 });
    const file = join(pki, 'sa.key');
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    return new TokenSigner(createPrivateKey(readFileSync(file, 'utf8')));
  }

  issue(req: IssueRequest, now = Date.now()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(now / 1000);
    const claims: TokenClaims = {
      aud: req.audiences,
      exp: iat + req.expirationSeconds,
      iat,
      nbf: iat,
      iss: ISSUER,
      jti: randomUUID(),
      sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount.name}`,
      'kubernetes.io': { namespace: req.namespace, serviceaccount: req.serviceAccount },
    };
    if (req.pod) claims['kubernetes.io'].pod = req.pod;
    if (req.secret) claims['kubernetes.io'].secret = req.secret;
    const header = b64json({ alg: 'RS256', kid: this.kid, typ: 'JWT' });
    const signingInput = `${header}.${b64json(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey).toString('base64url');
    return { token: `${signingInput}.${signature}`, claims };
  }

  /** The claims of a token this signer made that is valid now for one of the audiences (the API server's by default), else undefined. */
  verify(token: string, now = Date.now(), audiences: string[] = [API_AUDIENCE]): TokenClaims | undefined {
    const claims = this.verified.get(token) ?? this.checkSignature(token);
    if (!claims) return undefined;
    const seconds = now / 1000;
    if (claims.exp <= seconds || claims.nbf > seconds + 60) {
      this.verified.delete(token);
      return undefined;
    }
    if (!claims.aud.some((a) => audiences.includes(a)) || claims.iss !== ISSUER) return undefined;
    return claims;
  }

  private checkSignature(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const [header64, claims64, signature64] = parts.map(strictBase64url) as [Buffer, Buffer, Buffer];
      const header = JSON.parse(header64.toString('utf8')) as { alg?: string };
      if (header.alg !== 'RS256') return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey, signature64);
      if (!ok) return undefined;
      const claims = JSON.parse(claims64.toString('utf8')) as TokenClaims;
      if (!wellFormed(claims)) return undefined;
      if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
      this.verified.set(token, claims);
      return claims;
    } catch {
      return undefined;
    }
  }
}

/**
 * base64url as JWS writes it (RFC 7515: no padding, no other characters, unused bits zero).
 * Node's decoder skips what it cannot read, so several texts would pass for one signature.
 */
function strictBase64url(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!/^[A-Za-z0-9_-]*$/.test(text) || bytes.toString('base64url') !== text) throw new Error('not canonical base64url');
  return bytes;
}

function wellFormed(c: TokenClaims): boolean {
  const k = c?.['kubernetes.io'];
  return (
    typeof c.exp === 'number' &&
    typeof c.nbf === 'number' &&
    Array.isArray(c.aud) &&
    typeof k?.namespace === 'string' &&
    typeof k.serviceaccount?.name === 'string' &&
    typeof k.serviceaccount?.uid === 'string'
  );
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}
