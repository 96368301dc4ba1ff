// Credentials of the embedded control plane: a CA, a serving certificate for the loopback
// address, and the admin bearer token. Made on first start and kept in the data dir, so a
// kubeconfig written once stays valid across restarts.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

interface Credentials {
  caCert: string;
  serverCert: string;
  serverKey: string;
  token: string;
}

const FILES = { caCert: 'ca.crt', serverCert: 'server.crt', serverKey: 'server.key', token: 'token' } as const;

/** Loads the credentials under `dir/pki`, creating any that are missing or do not cover `hosts`. */
export function ensureCredentials(dir: string, hosts: string[]): Credentials {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const path = (f: string) => join(pki, f);
  const existing = Object.values(FILES).every((f) => existsSync(path(f)));
  if (existing) {
    const creds: Credentials = {
      caCert: readFileSync(path(FILES.caCert), 'utf8'),
      serverCert: readFileSync(path(FILES.serverCert), 'utf8'),
      serverKey: readFileSync(path(FILES.serverKey), 'utf8'),
      token: readFileSync(path(FILES.token), 'utf8').trim(),
    };
    if (coversHosts(creds.serverCert, hosts)) return creds;
  }
  const creds = createCredentials(hosts);
  writeFileSync(path(FILES.caCert), creds.caCert);
  writeFileSync(path(FILES.serverCert), creds.serverCert);
  writeFileSync(path(FILES.serverKey), creds.serverKey, { mode: 0o600 });
  writeFileSync(path(FILES.token), `${creds.token}\n`, { mode: 0o600 });
  return creds;
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  const cert = forge.pki.certificateFromPem(certPem);
  const san = cert.getExtension('subjectAltName') as { altNames?: { value?: string; ip?: string }[] } | undefined;
  const names = new Set((san?.altNames ?? []).map((a) => a.ip ?? a.value));
  return hosts.every((h) => names.has(h));
}

function keyPair(): forge.pki.rsa.KeyPair {
  // node's native RSA generation is far faster than forge's JavaScript one.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
}

function certificate(subjectCn: string, keys: forge.pki.rsa.KeyPair, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  return cert;
}

function createCredentials(hosts: string[]): Credentials {
  const caKeys = keyPair();
  const ca = certificate('hotpod-ca', caKeys, 10);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = keyPair();
  const server = certificate('hotpod-apiserver', serverKeys, 5);
  server.setIssuer(ca.subject.attributes);
  const altNames = [...new Set(['localhost', '127.0.0.1', ...hosts])].map((h) =>
    /^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h },
  );
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCert: forge.pki.certificateToPem(ca),
    serverCert: forge.pki.certificateToPem(server),
    serverKey: forge.pki.privateKeyToPem(serverKeys.privateKey),
    token: randomBytes(24).toString('base64url'),
  };
}

/** A kubeconfig for the admin user, with the CA inline so it works from any directory. */
export function kubeconfigYaml(server: string, creds: Credentials, plainHttp = false): string {
  return tokenKubeconfigYaml(server, plainHttp ? undefined : creds.caCert, { user: 'hotpod-admin', token: creds.token, namespace: 'default' });
}

/**
 * A kubeconfig for one bearer token (the admin's, or a ServiceAccount's from the TokenRequest
 * API), trusting the CA given inline; without one, the server's certificate is not checked.
 */
export function tokenKubeconfigYaml(server: string, caCert: string | undefined, who: { user: string; token: string; namespace: string }): string {
  const trust = caCert ? `    certificate-authority-data: ${Buffer.from(caCert).toString('base64')}` : '    insecure-skip-tls-verify: true';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: hotpod',
    '  cluster:',
    `    server: ${server}`,
    trust,
    'users:',
    `- name: ${who.user}`,
    '  user:',
    `    token: ${who.token}`,
    'contexts:',
    '- name: hotpod',
    '  context:',
    '    cluster: hotpod',
    `    user: ${who.user}`,
    `    namespace: ${who.namespace}`,
    'current-context: hotpod',
    'preferences: {}',
    '',
  ].join('\n');
}
