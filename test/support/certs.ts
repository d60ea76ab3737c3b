/**
 * Certificates made in the test: a CA, a server certificate for localhost
 * and 127.0.0.1, a client certificate, and an expired server certificate,
 * written as PEM files to a temporary directory. Keys come from node:crypto
 * (fast); node-forge signs the X.509 certificates.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

export interface TestCerts {
  dir: string;
  caFile: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
  expiredCert: string;
  expiredKey: string;
  /** File paths of the above, by name. */
  files: Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'expiredCert' | 'expiredKey', string>;
}

function keyPair(): { pem: string; forgeKeys: { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    pem,
    forgeKeys: {
      privateKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey,
      publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
    },
  };
}

let serial = 1;

function certificate(opts: {
  subject: string;
  publicKey: forge.pki.PublicKey;
  signer: forge.pki.rsa.PrivateKey;
  issuer?: forge.pki.Certificate;
  ca?: boolean;
  days?: number;
  expired?: boolean;
  server?: boolean;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  const now = Date.now();
  cert.validity.notBefore = new Date(opts.expired ? now - 10 * 86_400_000 : now - 60_000);
  cert.validity.notAfter = new Date(opts.expired ? now - 86_400_000 : now + (opts.days ?? 2) * 86_400_000);
  const attrs = [{ name: 'commonName', value: opts.subject }];
  cert.setSubject(attrs);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : attrs);
  const extensions: object[] = [{ name: 'basicConstraints', cA: opts.ca === true }];
  if (opts.ca) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  else {
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true });
    extensions.push({ name: 'extKeyUsage', serverAuth: opts.server === true, clientAuth: opts.server !== true });
    if (opts.server)
      extensions.push({
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      });
  }
  cert.setExtensions(extensions);
  cert.sign(opts.signer, forge.md.sha256.create());
  return cert;
}

/** Make a fresh set of certificates in a new temporary directory. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-certs-'));
  const caKeys = keyPair();
  const ca = certificate({ subject: 'otel-policy test CA', publicKey: caKeys.forgeKeys.publicKey, signer: caKeys.forgeKeys.privateKey, ca: true });
  const issue = (subject: string, server: boolean, expired = false, issuer = ca, signer = caKeys.forgeKeys.privateKey) => {
    const k = keyPair();
    return { cert: forge.pki.certificateToPem(certificate({ subject, publicKey: k.forgeKeys.publicKey, signer, issuer, server, expired })), key: k.pem };
  };
  const server = issue('localhost', true);
  const client = issue('client', false);
  const expired = issue('localhost', true, true);
  const strangerCaKeys = keyPair();
  const strangerCa = certificate({ subject: 'stranger CA', publicKey: strangerCaKeys.forgeKeys.publicKey, signer: strangerCaKeys.forgeKeys.privateKey, ca: true });
  const stranger = issue('stranger', false, false, strangerCa, strangerCaKeys.forgeKeys.privateKey);
  const pems = {
    ca: forge.pki.certificateToPem(ca),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    expiredCert: expired.cert,
    expiredKey: expired.key,
  };
  const files = {} as TestCerts['files'];
  for (const [name, pem] of Object.entries(pems)) {
    const file = path.join(dir, `${name}.pem`);
    writeFileSync(file, pem);
    files[name as keyof TestCerts['files']] = file;
  }
  return { dir, caFile: files.ca, ...pems, strangerCert: stranger.cert, strangerKey: stranger.key, files };
}
